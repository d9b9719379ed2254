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
