import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/node/index.js';
import { describeStoreContract, waitFor } from './store-contract.js';

const directory = mkdtempSync(join(tmpdir(), 'fedmcp-store-sqlite-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describeStoreContract({
  name: 'sqlite',
  sharesState: true,
  // Every handle opens its own connection to one file, as separate processes would.
  open: async (prefix) =>
    createSqliteStore({ path: join(directory, 'state.db'), prefix, synchronous: 'normal' }),
});

describe('sqlite engine appends', () => {
  it('commits appends of one turn together, in order, and reads see appends not yet awaited', async () => {
    const path = join(directory, 'batched.db');
    await using store = createSqliteStore({ path });
    const appended = Array.from({ length: 600 }, (_, index) =>
      store.streams.append('burst', `m${index}`),
    );
    // Not awaited yet: a read (and a length) in this process still sees every one of them.
    expect(await store.streams.length('burst')).toBe(600);
    const ids = await Promise.all(appended);
    expect(new Set(ids).size).toBe(600);
    const entries = await store.streams.read('burst', { limit: 1000 });
    expect(entries.map((entry) => entry.id)).toEqual(ids);
    expect(entries.map((entry) => entry.data)).toEqual(appended.map((_, index) => `m${index}`));
    // Another connection to the file (another process) sees them once they are acknowledged.
    const raw = new Database(path, { readonly: true });
    try {
      const row = raw.prepare('SELECT count(*) AS count FROM stream_entries').get() as {
        count: number;
      };
      expect(row.count).toBe(600);
    } finally {
      raw.close();
    }
  });

  it('commits pending appends on close, and refuses appends after it', async () => {
    const path = join(directory, 'close.db');
    const store = createSqliteStore({ path });
    const pending = store.streams.append('closing', 'last words');
    await store.close();
    await expect(pending).resolves.toMatch(/^\d+-\d+$/);
    await expect(store.streams.append('closing', 'too late')).rejects.toMatchObject({
      code: 'STORE_CLOSED',
    });
    await using reopened = createSqliteStore({ path });
    expect((await reopened.streams.read('closing')).map((entry) => entry.data)).toEqual([
      'last words',
    ]);
  });
});

describe('sqlite engine housekeeping', () => {
  it('deletes expired keys, expired leases and old pub/sub messages from the file', async () => {
    const path = join(directory, 'sweep.db');
    await using store = createSqliteStore({ path, sweepIntervalMs: 40, pubsubRetentionMs: 40 });
    for (let index = 0; index < 10; index += 1) {
      await store.kv.set(`short:${index}`, 'x', { ttlMs: 20 });
      await store.pubsub.publish('news', `m${index}`);
    }
    await store.kv.set('kept', 'x');
    await store.leases.acquire('lease', { ttlMs: 20 });
    const raw = new Database(path, { readonly: true });
    try {
      const count = (table: string): number =>
        (raw.prepare(`SELECT count(*) AS count FROM ${table}`).get() as { count: number }).count;
      await waitFor(
        () => count('kv') === 1 && count('pubsub_messages') === 0 && count('leases') === 0,
      );
      expect((await store.kv.get('kept'))?.value).toBe('x');
    } finally {
      raw.close();
    }
  });
});
