import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/node/index.js';
import { HELD_APPEND_BATCH } from '../src/node/sqlite-streams.js';
import { describeStoreContract, waitFor } from './store-contract.js';

const parseId = (id: string): number => {
  const [ms, sequence] = id.split('-').map(Number);
  return ms! * 1e6 + sequence!;
};
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

describe('sqlite engine stream ids', () => {
  it('writes only the entry per append, and keeps ids growing after a trim removes every entry', async () => {
    const path = join(directory, 'last-id.db');
    // A stopped clock: every id is in the same millisecond, so only the sequence can grow.
    await using store = createSqliteStore({ path, now: () => 1_000 });
    const first = await Promise.all([
      store.streams.append('s', 'a'),
      store.streams.append('s', 'b'),
    ]);
    const third = await store.streams.append('s', 'c');
    expect([...first, third]).toEqual(['1000-0', '1000-1', '1000-2']);
    const metaRows = () => {
      const raw = new Database(path, { readonly: true });
      try {
        return (raw.prepare('SELECT count(*) AS count FROM stream_meta').get() as { count: number })
          .count;
      } finally {
        raw.close();
      }
    };
    // An append commits its entry alone (one page of the WAL): no stream_meta row is written.
    expect(metaRows()).toBe(0);
    expect(await store.streams.trim('s', { maxLength: 0 })).toBe(3);
    expect(await store.streams.length('s')).toBe(0);
    // The trim kept the last id: a group from the end, and the next append, continue after it.
    await store.streams.createGroup('s', 'g', { from: 'end' });
    expect(await store.streams.append('s', 'd')).toBe('1000-3');
    const delivered = await store.streams.readGroup('s', 'g', 'c1');
    expect(delivered.map((entry) => [entry.id, entry.data])).toEqual([['1000-3', 'd']]);
    // A group from the end of a stream whose newest entry is newer than its kept id.
    await store.streams.createGroup('s', 'h', { from: 'end' });
    await store.streams.append('s', 'e');
    expect((await store.streams.readGroup('s', 'h', 'c1')).map((entry) => entry.data)).toEqual([
      'e',
    ]);
    // Deleting the stream starts its ids again, as before.
    expect(await store.streams.delete('s')).toBe(true);
    expect(await store.streams.append('s', 'f')).toBe('1000-0');
  });

  it('continues after ids this connection wrote outside a batch (a dead-lettering claim)', async () => {
    const path = join(directory, 'last-id-claim.db');
    let clock = 3_000;
    await using store = createSqliteStore({ path, now: () => clock });
    expect(await store.streams.append('dead', 'first')).toBe('3000-0');
    await store.streams.append('work', 'job');
    await store.streams.createGroup('work', 'g');
    await store.streams.readGroup('work', 'g', 'c1');
    clock = 3_010;
    expect(await store.streams.append('dead', 'second')).toBe('3010-0');
    const claimed = await store.streams.claim('work', 'g', 'c2', {
      minIdleMs: 1,
      maxDeliveries: 1,
      deadLetterStream: 'dead',
    });
    expect(claimed.deadLettered).toHaveLength(1);
    expect(await store.streams.append('dead', 'after')).toBe('3010-2');
    expect((await store.streams.read('dead')).map((entry) => entry.id)).toEqual([
      '3000-0',
      '3010-0',
      '3010-1',
      '3010-2',
    ]);
  });

  it('continues the last id a trim kept, in a batch and after a reopen', async () => {
    const path = join(directory, 'last-id-reopen.db');
    {
      await using store = createSqliteStore({ path, now: () => 2_000 });
      await Promise.all(['a', 'b', 'c'].map((data) => store.streams.append('s', data)));
      expect(await store.streams.trim('s', { maxLength: 0 })).toBe(3);
    }
    await using reopened = createSqliteStore({ path, now: () => 2_000 });
    const ids = await Promise.all(['d', 'e'].map((data) => reopened.streams.append('s', data)));
    expect(ids).toEqual(['2000-3', '2000-4']);
  });
});

describe('sqlite engine commit window', () => {
  const countEntries = (path: string, stream: string): number => {
    const raw = new Database(path, { readonly: true });
    try {
      return (
        raw
          .prepare('SELECT count(*) AS count FROM stream_entries WHERE stream = ?')
          .get(stream) as {
          count: number;
        }
      ).count;
    } finally {
      raw.close();
    }
  };
  const turns = async (count: number): Promise<void> => {
    for (let turn = 0; turn < count; turn += 1) await new Promise(setImmediate);
  };

  it('after a shared commit, commits the appends of the window together; a lone append at once', async () => {
    const path = join(directory, 'window.db');
    // A window far longer than the test: only close() can commit what waits in it.
    const store = createSqliteStore({ path, appendWindowMs: 60_000 });
    // A lone append after a lone commit (a client calling one at a time) waits for no window.
    await store.streams.append('window', 'alone-1');
    await store.streams.append('window', 'alone-2');
    expect(countEntries(path, 'window')).toBe(2);
    // Two appends in one turn share a commit: appends are concurrent, the window opens.
    const first = await Promise.all([
      store.streams.append('window', 'first-a'),
      store.streams.append('window', 'first-b'),
    ]);
    expect(countEntries(path, 'window')).toBe(4);
    const later: Promise<string>[] = [];
    for (let index = 0; index < 20; index += 1) {
      later.push(store.streams.append('window', `later-${index}`));
      later.push(store.streams.append(`other-${index % 3}`, `o-${index}`));
      await turns(3);
    }
    // Spread over many turns, none committed yet: another connection sees only the first four.
    expect(countEntries(path, 'window')).toBe(4);
    await store.close();
    const ids = await Promise.all(later);
    await using reopened = createSqliteStore({ path });
    const entries = await reopened.streams.read('window', { limit: 100 });
    expect(entries.map((entry) => entry.data)).toEqual([
      'alone-1',
      'alone-2',
      'first-a',
      'first-b',
      ...Array.from({ length: 20 }, (_, index) => `later-${index}`),
    ]);
    expect(entries.slice(2).map((entry) => entry.id)).toEqual([
      ...first,
      ...ids.filter((_, index) => index % 2 === 0),
    ]);
    for (const [stream, count] of [
      ['other-0', 7],
      ['other-1', 7],
      ['other-2', 6],
    ] as const) {
      expect(await reopened.streams.length(stream)).toBe(count);
    }
    // Every stream's last id was kept: a later append gets a larger one.
    const next = await reopened.streams.append('window', 'next');
    expect(parseId(next)).toBeGreaterThan(parseId(entries.at(-1)!.id));
  });

  it('reads through the same store wait for no window: they commit pending appends first', async () => {
    const path = join(directory, 'window-read.db');
    await using store = createSqliteStore({ path, appendWindowMs: 60_000 });
    await Promise.all([store.streams.append('window', 'a'), store.streams.append('window', 'b')]);
    const pending = store.streams.append('window', 'c');
    await turns(3);
    expect(countEntries(path, 'window')).toBe(2);
    expect((await store.streams.read('window')).map((entry) => entry.data)).toEqual([
      'a',
      'b',
      'c',
    ]);
    await expect(pending).resolves.toMatch(/^\d+-\d+$/);
    expect(countEntries(path, 'window')).toBe(3);
  });

  it('continues the ids another connection appended between two batches', async () => {
    const path = join(directory, 'window-shared.db');
    let clock = 1_000;
    await using mine = createSqliteStore({ path, now: () => clock });
    await using theirs = createSqliteStore({ path, now: () => clock });
    const a = await Promise.all([mine.streams.append('s', 'a1'), mine.streams.append('s', 'a2')]);
    const b = await theirs.streams.append('s', 'b1');
    const c = await Promise.all([mine.streams.append('s', 'c1'), mine.streams.append('t', 't1')]);
    clock = 900; // a clock that went back: ids still grow
    const d = await mine.streams.append('s', 'd1');
    expect([...a, b, c[0], d]).toEqual(['1000-0', '1000-1', '1000-2', '1000-3', '1000-4']);
    expect(c[1]).toBe('1000-0');
  });

  it('continues a newer id another connection appended between two lone appends', async () => {
    // A lone append is one autocommit INSERT that reads the stream's last id itself: the id this
    // connection committed last (1000-0) is not the stream's last once another one committed.
    const path = join(directory, 'lone-shared.db');
    await using mine = createSqliteStore({ path, now: () => 1_000 });
    await using theirs = createSqliteStore({ path, now: () => 1_001 });
    expect(await mine.streams.append('s', 'a')).toBe('1000-0');
    expect(await theirs.streams.append('s', 'b')).toBe('1001-0');
    expect(await mine.streams.append('s', 'c')).toBe('1001-1');
    expect((await mine.streams.read('s')).map((entry) => entry.data)).toEqual(['a', 'b', 'c']);
  });

  it('holds an append with commitWithinMs to share a commit with later turns; one without it, a read or close commits them', async () => {
    const path = join(directory, 'within.db');
    const store = createSqliteStore({ path });
    const held: Promise<string>[] = [];
    for (let index = 0; index < 5; index += 1) {
      held.push(store.streams.append('held', `held-${index}`, { commitWithinMs: 60_000 }));
      await turns(3);
    }
    // Five turns later, none is committed: another connection sees nothing yet.
    expect(countEntries(path, 'held')).toBe(0);
    // An append that waits for its commit takes them along, in order, in the next turn.
    await store.streams.append('held', 'waited');
    expect(countEntries(path, 'held')).toBe(6);
    expect(await Promise.all(held)).toHaveLength(5);
    // A read through the store commits what is held first.
    const beforeRead = store.streams.append('held', 'before-read', { commitWithinMs: 60_000 });
    await turns(3);
    expect(countEntries(path, 'held')).toBe(6);
    expect((await store.streams.read('held', { limit: 100 })).map((entry) => entry.data)).toEqual([
      ...Array.from({ length: 5 }, (_, index) => `held-${index}`),
      'waited',
      'before-read',
    ]);
    await expect(beforeRead).resolves.toMatch(/^\d+-\d+$/);
    // So does close.
    const beforeClose = store.streams.append('held', 'before-close', { commitWithinMs: 60_000 });
    await store.close();
    await expect(beforeClose).resolves.toMatch(/^\d+-\d+$/);
    expect(countEntries(path, 'held')).toBe(8);
  });

  it('commits held appends in the next turn once HELD_APPEND_BATCH are held, whatever their window', async () => {
    const path = join(directory, 'within-full.db');
    await using store = createSqliteStore({ path });
    const held: Promise<string>[] = [];
    for (let index = 0; index < HELD_APPEND_BATCH - 1; index += 1) {
      held.push(store.streams.append('held', `held-${index}`, { commitWithinMs: 60_000 }));
    }
    await turns(3);
    // One short of the batch: they wait for their window.
    expect(countEntries(path, 'held')).toBe(0);
    held.push(store.streams.append('held', 'the last', { commitWithinMs: 60_000 }));
    expect(countEntries(path, 'held')).toBe(0); // not in the appending call's own turn
    expect(await Promise.all(held)).toHaveLength(HELD_APPEND_BATCH);
    expect(countEntries(path, 'held')).toBe(HELD_APPEND_BATCH);
  });

  it('commits a held append when its window ends', async () => {
    const path = join(directory, 'within-timer.db');
    await using store = createSqliteStore({ path });
    const id = await store.streams.append('held', 'alone', { commitWithinMs: 5 });
    expect(id).toMatch(/^\d+-\d+$/);
    expect(countEntries(path, 'held')).toBe(1);
  });

  it('refuses a negative or non-finite commitWithinMs', async () => {
    await using store = createSqliteStore({ path: join(directory, 'within-refused.db') });
    for (const commitWithinMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(store.streams.append('held', 'x', { commitWithinMs })).rejects.toMatchObject({
        code: 'STORE_INVALID_ARGUMENT',
      });
    }
    expect(await store.streams.length('held')).toBe(0);
  });

  it('refuses a negative or non-finite window', () => {
    for (const appendWindowMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() =>
        createSqliteStore({ path: join(directory, 'refused.db'), appendWindowMs }),
      ).toThrow(expect.objectContaining({ code: 'STORE_INVALID_ARGUMENT' }));
    }
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
