import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/node/index.js';
import { sleep, waitFor } from './store-contract.js';

const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const childScript = fileURLToPath(new URL('./fixtures/sqlite-child.ts', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'fedmcp-store-processes-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(directory, { recursive: true, force: true });
});

function startChild(...parameters: string[]): {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    ['--conditions=@fedmcp/source', '--import', 'tsx', childScript, ...parameters],
    {
      cwd: repositoryRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.add(child);
  const lines: string[] = [];
  let buffered = '';
  let errors = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    const complete = buffered.split('\n');
    buffered = complete.pop()!; // a line cut by the kill was never acknowledged
    lines.push(...complete);
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    errors += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      children.delete(child);
      if (code !== 0 && code !== null) process.stderr.write(errors);
      resolve(code);
    }),
  );
  return { child, lines, exited };
}

describe('sqlite engine across processes', () => {
  it('keeps every acknowledged append, none twice, across 20 kill -9s at random moments', async () => {
    const path = join(directory, 'durable.db');
    const acknowledged = new Map<string, string>();
    for (let round = 0; round < 20; round += 1) {
      const { child, lines, exited } = startChild(path, 'append', `r${round}`);
      await waitFor(() => lines.length > 0, 20_000);
      await sleep(20 + Math.random() * 120);
      child.kill('SIGKILL');
      expect(await exited).toBeNull();
      for (const line of lines) {
        const [id, data] = line.split(' ');
        acknowledged.set(id!, data!);
      }
    }
    await using store = createSqliteStore({ path });
    const stored = new Map<string, string>();
    const seenData = new Set<string>();
    let after: string | undefined;
    for (;;) {
      const page = await store.streams.read('durable', {
        limit: 1_000,
        ...(after ? { after } : {}),
      });
      if (page.length === 0) break;
      for (const entry of page) {
        expect(stored.has(entry.id)).toBe(false);
        expect(seenData.has(entry.data)).toBe(false);
        stored.set(entry.id, entry.data);
        seenData.add(entry.data);
      }
      after = page.at(-1)!.id;
    }
    expect(acknowledged.size).toBeGreaterThanOrEqual(20);
    for (const [id, data] of acknowledged) expect(stored.get(id)).toBe(data);
    // At most one unacknowledged append per kill may have committed.
    expect(stored.size - acknowledged.size).toBeLessThanOrEqual(20);
  }, 120_000);

  it('keeps appends a process started just before process.exit()', async () => {
    const path = join(directory, 'exit.db');
    const { exited } = startChild(path, 'exit', 'e', '25');
    expect(await exited).toBe(0);
    await using store = createSqliteStore({ path });
    const entries = await store.streams.read('exit', { limit: 100 });
    expect(entries.map((entry) => entry.data)).toEqual(
      Array.from({ length: 25 }, (_, index) => `e-${index}`),
    );
  }, 30_000);

  it('keeps appends waiting for a commit window when the process calls process.exit()', async () => {
    const path = join(directory, 'window-exit.db');
    const { exited } = startChild(path, 'window-exit', 'w', '25');
    expect(await exited).toBe(0);
    await using store = createSqliteStore({ path });
    const entries = await store.streams.read('exit', { limit: 100 });
    expect(entries.map((entry) => entry.data)).toEqual([
      'w-first',
      'w-second',
      ...Array.from({ length: 25 }, (_, index) => `w-${index}`),
    ]);
  }, 30_000);

  it('serialises writers from several processes: no lost increment, no duplicate id', async () => {
    const path = join(directory, 'shared.db');
    const runs = ['a', 'b', 'c'].map((tag) => startChild(path, 'work', tag, '60'));
    expect(await Promise.all(runs.map((run) => run.exited))).toEqual([0, 0, 0]);
    await using store = createSqliteStore({ path });
    expect((await store.kv.get('counter'))?.value).toBe('180');
    const entries = await store.streams.read('work', { limit: 1_000 });
    expect(entries).toHaveLength(180);
    expect(new Set(entries.map((entry) => entry.id)).size).toBe(180);
    for (const tag of ['a', 'b', 'c']) {
      const own = entries
        .filter((entry) => entry.data.startsWith(`${tag}-`))
        .map((entry) => entry.data);
      expect(own).toEqual(Array.from({ length: 60 }, (_, index) => `${tag}-${index}`));
    }
  }, 60_000);

  it('numbers lone appends of several processes in commit order, with a stopped clock', async () => {
    // Each append of these children is alone in its commit (one autocommit INSERT): the last id it
    // continues must be the newest any process committed, or two would share an id.
    const path = join(directory, 'stopped-clock.db');
    const runs = ['a', 'b', 'c'].map((tag) => startChild(path, 'stopped-clock', tag, '500'));
    await using store = createSqliteStore({ path, now: () => 1_000 });
    // All three start appending at once, so their appends interleave.
    await waitFor(() => runs.every((run) => run.lines[0] === 'ready'), 30_000);
    await store.kv.set('go', '1');
    expect(await Promise.all(runs.map((run) => run.exited))).toEqual([0, 0, 0]);
    const entries = await store.streams.read('stopped', { limit: 2_000 });
    expect(entries.map((entry) => entry.id)).toEqual(
      Array.from({ length: 1_500 }, (_, index) => `1000-${index}`),
    );
    for (const [index, tag] of ['a', 'b', 'c'].entries()) {
      // What each process was told is what was committed, and its own appends are in its order.
      const told = runs[index]!.lines.slice(1).map((line) => line.split(' '));
      const stored = new Map(entries.map((entry) => [entry.id, entry.data]));
      expect(told.map(([id, data]) => [stored.get(id!), data])).toEqual(
        told.map(([, data]) => [data, data]),
      );
      expect(told.map(([, data]) => data)).toEqual(
        Array.from({ length: 500 }, (_, position) => `${tag}-${position}`),
      );
    }
  }, 60_000);

  it('delivers pub/sub messages published by another process', async () => {
    const path = join(directory, 'pubsub.db');
    await using store = createSqliteStore({ path });
    const received: string[] = [];
    await using _subscription = await store.pubsub.subscribe('events', (message) =>
      received.push(message),
    );
    const { exited } = startChild(path, 'publish', 'events', '5');
    expect(await exited).toBe(0);
    await waitFor(() => received.length === 5);
    expect(received).toEqual([
      'from-child-0',
      'from-child-1',
      'from-child-2',
      'from-child-3',
      'from-child-4',
    ]);
  }, 60_000);
});
