/**
 * WAL checkpoints off the event loop (src/node/sqlite-checkpointer.ts): once the WAL of a store
 * that writes passes 1 MiB, a worker thread checkpoints it, long before SQLite's own checkpoint
 * inside a commit (at 1,000 pages, ~4 MB); the store's close stops the worker first, so no WAL is
 * left behind.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/node/index.js';
import { START_AT_WAL_BYTES } from '../src/node/sqlite-checkpointer.js';
import { waitFor } from './store-contract.js';

const directory = mkdtempSync(join(tmpdir(), 'fedmcp-store-checkpoint-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const entry = 'x'.repeat(300);
const size = (file: string): number => (existsSync(file) ? statSync(file).size : 0);

/** Appends until the WAL is past the worker's start, and stays under SQLite's own 1,000 pages. */
async function fillWal(store: ReturnType<typeof createSqliteStore>, path: string): Promise<void> {
  while (size(`${path}-wal`) < START_AT_WAL_BYTES * 1.5) {
    await Promise.all(Array.from({ length: 100 }, () => store.streams.append('log', entry)));
  }
  expect(size(`${path}-wal`)).toBeLessThan(1000 * 4096);
}

describe('sqlite store: WAL checkpoints', () => {
  it('are run by a worker thread once the WAL passes 1 MiB, and the store closes it first', async () => {
    const path = join(directory, 'worker.db');
    const store = createSqliteStore({ path, synchronous: 'normal', checkpointIntervalMs: 20 });
    await store.streams.append('log', entry);
    const before = size(path);
    await fillWal(store, path);
    // Pages reach the database file only through a checkpoint, and no commit ran one (below).
    await waitFor(() => size(path) > before, 30_000);
    const written = await store.streams.length('log');
    await store.close();
    expect(existsSync(`${path}-wal`)).toBe(false); // checkpointed and removed: nothing left behind
    await using again = createSqliteStore({ path, checkpointIntervalMs: 0 });
    expect(await again.streams.length('log')).toBe(written);
  }, 60_000);

  it('are left to SQLite with checkpointIntervalMs: 0 (in the commit, at 1,000 pages)', async () => {
    const path = join(directory, 'sqlite.db');
    await using store = createSqliteStore({ path, synchronous: 'normal', checkpointIntervalMs: 0 });
    await store.streams.append('log', entry);
    const before = size(path);
    await fillWal(store, path);
    // No commit checkpointed the WAL (SQLite would at 1,000 pages): the file has not grown.
    expect(size(path)).toBe(before);
  });

  it('refuses a negative or non-finite checkpointIntervalMs, naming it', () => {
    for (const checkpointIntervalMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() =>
        createSqliteStore({ path: join(directory, 'refused.db'), checkpointIntervalMs }),
      ).toThrow(/checkpointIntervalMs must be 0 \(off\) or a positive number of ms/);
    }
  });
});
