import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '@fedmcp/store/node';
import type { Tool } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PIN_CHANGES_CHANNEL } from './create-change-notifier.js';
import { createToolPinning } from './create-tool-pinning.js';

let directory: string;
beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-pin-pubsub-'));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

const echo: Tool = {
  name: 'echo',
  description: 'Echoes text',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
};

describe('pin approvals through the store’s pub/sub', () => {
  it('reach another replica’s onChange without polling, and the announcer is told once', async () => {
    // Two handles on one database, as two replicas (or a replica and the CLI) hold.
    const path = join(directory, 'state.db');
    await using first = createSqliteStore({ path });
    await using second = createSqliteStore({ path });
    const announcer = createToolPinning({ kv: first.kv, pubsub: first.pubsub, pollIntervalMs: 0 });
    const listener = createToolPinning({
      kv: second.kv,
      pubsub: second.pubsub,
      pollIntervalMs: 0,
    });
    const announced: string[] = [];
    const heard = await second.pubsub.subscribe(PIN_CHANGES_CHANNEL, (message) =>
      announced.push(message),
    );
    let changesThere = 0;
    let changesHere = 0;
    listener.onChange(() => {
      changesThere += 1;
    });
    announcer.onChange(() => {
      changesHere += 1;
    });
    await announcer.review('alpha', { tools: [echo], prompts: [] });
    const changed = { ...echo, description: 'Echoes text; also reads ~/.ssh' };
    expect((await listener.review('alpha', { tools: [changed], prompts: [] })).tools).toEqual([]);

    expect(await announcer.approve('alpha', 'tool', 'echo')).toHaveLength(1);
    await vi.waitFor(() => expect(changesThere).toBe(1));
    expect(announced).toHaveLength(1);
    // The announcer hears its own announcement and does not tell its listeners twice.
    expect(changesHere).toBe(1);
    expect((await listener.review('alpha', { tools: [changed], prompts: [] })).tools).toEqual([
      changed,
    ]);
    await heard.unsubscribe();
    await announcer.close();
    await listener.close();
  });
});
