/**
 * A task resumed after its hub died carries the original call's hop trail and on-behalf-of
 * upstream, is audited as the original caller's, and its record keeps no token.
 */
import { HOP_TRAIL_META_KEY, ON_BEHALF_OF_META_KEY } from '@fedmcp/protocol';
import { createMemoryStore, type Store } from '@fedmcp/store';
import { Client } from '@modelcontextprotocol/client';
import { CreateTaskResultSchema } from '@modelcontextprotocol/core';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, memoryConnector } from '../../test/helpers.js';
import type { AccessOutcome, AccessRequest } from '../hub-access.js';
import { createHub, type Hub } from '../index.js';
import { TaskStore } from './task-store.js';

type Params = Record<string, unknown>;

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

/** An upstream whose idempotent tool records the `_meta` of each call; the first call hangs. */
function recordingUpstream(seen: Params[]): Server {
  const server = new Server({ name: 'rec', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', async () => ({
    tools: [
      {
        name: 'record',
        inputSchema: { type: 'object' },
        annotations: { idempotentHint: true },
      },
    ],
  }));
  server.setRequestHandler('tools/call', async (_request, ctx) => {
    seen.push({ ...ctx.mcpReq._meta });
    if (seen.length === 1) {
      await new Promise<void>((resolve) =>
        ctx.mcpReq.signal.addEventListener('abort', () => resolve()),
      );
    }
    return { content: [{ type: 'text', text: 'recorded' }] };
  });
  return server;
}

function hubOn(store: Store, seen: Params[], audits: Array<[AccessRequest, AccessOutcome]>): Hub {
  const hub = createHub({
    connect: memoryConnector({ rec: () => recordingUpstream(seen) }),
    upstreams: { rec: { url: 'memory://rec' } },
    healthIntervalMs: 0,
    hubId: 'hub-a',
    access: { completed: (request, outcome) => void audits.push([request, outcome]) },
    tasks: { store, pollIntervalMs: 20, leaseMs: 300 },
  });
  opened.push(hub);
  return hub;
}

describe('a hub-managed task resumed after its hub died', () => {
  it('carries the hop trail and on-behalf-of, is audited as the caller’s, and keeps no token', async () => {
    const store = createMemoryStore();
    opened.push(store);
    const seen: Params[] = [];
    const firstAudits: Array<[AccessRequest, AccessOutcome]> = [];
    const first = hubOn(store, seen, firstAudits);
    await first.start();
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const principal = {
      subject: 'ada',
      issuer: 'test',
      authMethod: 'oauth',
      token: 'secret-token',
    };
    await first
      .createServer({ era: 'legacy', transport: 'in-memory', principal })
      .connect(serverSide);
    const client = new Client({ name: 'ada', version: '1.0.0' });
    await client.connect(clientSide);
    opened.push(client);
    const created = await client.request(
      {
        method: 'tools/call',
        params: { name: 'rec__record', arguments: {}, task: { ttl: 60_000 } },
      } as never,
      CreateTaskResultSchema,
    );
    const taskId = created.task.taskId;
    await eventually(() => seen.length === 1);
    await first.close(); // the call hangs; its lease lapses

    const audits: Array<[AccessRequest, AccessOutcome]> = [];
    const second = hubOn(store, seen, audits);
    await second.start();
    await eventually(() => audits.length === 1);
    const sent = {
      [HOP_TRAIL_META_KEY]: ['hub-a'],
      [ON_BEHALF_OF_META_KEY]: { subject: 'ada', issuer: 'test' },
    };
    expect(seen[0]).toMatchObject(sent);
    expect(seen[1]).toMatchObject(sent);
    const [request, outcome] = audits[0] as [AccessRequest, AccessOutcome];
    expect(request).toMatchObject({
      action: 'tools/call',
      target: 'rec__record',
      upstream: 'rec',
      principal: { subject: 'ada', issuer: 'test', authMethod: 'oauth' },
      meta: sent,
    });
    expect(outcome.ok).toBe(true);
    const record = await new TaskStore(store.kv).get(taskId);
    expect(record).toMatchObject({ status: 'completed', attempts: 2 });
    expect(JSON.stringify(record)).not.toContain('secret-token');
  });
});
