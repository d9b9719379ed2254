/**
 * The contract every engine must satisfy, run by memory.test.ts, sqlite.test.ts and
 * redis.test.ts. `open(prefix)` returns a new handle on the engine's shared state (for sqlite and
 * redis a second handle is another connection, as another process or replica would have).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/index.js';
import { StoreError } from '../src/index.js';

export interface ContractTarget {
  name: string;
  /** Opens a handle with this key prefix. */
  open: (prefix: string) => Promise<Store>;
  /** Whether two handles see the same state (false for memory). */
  sharesState: boolean;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns true, failing after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('waitFor: condition not met in time');
    await sleep(10);
  }
}

let counter = 0;

export function describeStoreContract(target: ContractTarget): void {
  describe(`Store contract: ${target.name}`, () => {
    const opened: Store[] = [];
    let prefix = '';
    const open = async (ownPrefix = prefix): Promise<Store> => {
      const store = await target.open(ownPrefix);
      opened.push(store);
      return store;
    };
    const fresh = async (): Promise<Store> => {
      counter += 1;
      prefix = `t${counter}-${Math.random().toString(36).slice(2, 8)}:`;
      return open();
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((store) => store.close()));
    });

    describe('kv', () => {
      it('sets and gets values with growing versions', async () => {
        const store = await fresh();
        expect(store.engine).toBe(target.name);
        expect(await store.kv.get('missing')).toBeUndefined();
        expect(await store.kv.set('a', 'one')).toEqual({ key: 'a', value: 'one', version: 1 });
        expect(await store.kv.set('a', 'two')).toEqual({ key: 'a', value: 'two', version: 2 });
        expect(await store.kv.get('a')).toEqual({ key: 'a', value: 'two', version: 2 });
        expect(await store.kv.set('empty', '')).toMatchObject({ value: '' });
        expect(await store.kv.get('empty')).toMatchObject({ value: '' });
      });

      it('expires keys after their TTL and clears a TTL on a plain set', async () => {
        const store = await fresh();
        const before = Date.now();
        const entry = await store.kv.set('short', 'x', { ttlMs: 400 });
        expect(entry.expiresAt).toBeGreaterThanOrEqual(before + 400);
        expect((await store.kv.get('short'))?.expiresAt).toBe(entry.expiresAt);
        await store.kv.set('kept', 'x', { ttlMs: 400 });
        await store.kv.set('kept', 'y');
        await sleep(500);
        expect(await store.kv.get('short')).toBeUndefined();
        expect(await store.kv.get('kept')).toEqual({ key: 'kept', value: 'y', version: 2 });
      });

      it('compares and sets by version, creating only when absent with null', async () => {
        const store = await fresh();
        const created = await store.kv.compareAndSet('c', 'v1', { expectedVersion: null });
        expect(created).toEqual({ ok: true, entry: { key: 'c', value: 'v1', version: 1 } });
        const again = await store.kv.compareAndSet('c', 'other', { expectedVersion: null });
        expect(again).toEqual({ ok: false, current: { key: 'c', value: 'v1', version: 1 } });
        expect(await store.kv.compareAndSet('c', 'v2', { expectedVersion: 1 })).toMatchObject({
          ok: true,
          entry: { value: 'v2', version: 2 },
        });
        expect(await store.kv.compareAndSet('c', 'stale', { expectedVersion: 1 })).toMatchObject({
          ok: false,
          current: { value: 'v2', version: 2 },
        });
        expect(await store.kv.compareAndSet('none', 'x', { expectedVersion: 3 })).toEqual({
          ok: false,
          current: undefined,
        });
        const withTtl = await store.kv.compareAndSet('c', 'v3', {
          expectedVersion: 2,
          ttlMs: 60_000,
        });
        expect(withTtl.ok && withTtl.entry.expiresAt).toBeGreaterThan(Date.now());
      });

      it('lets exactly one of many concurrent compare-and-sets win', async () => {
        const first = await fresh();
        const second = target.sharesState ? await open() : first;
        await first.kv.set('race', '0');
        const attempts = Array.from({ length: 20 }, (_, index) =>
          (index % 2 ? first : second).kv.compareAndSet('race', `w${index}`, {
            expectedVersion: 1,
          }),
        );
        const results = await Promise.all(attempts);
        expect(results.filter((result) => result.ok)).toHaveLength(1);
        expect((await first.kv.get('race'))?.version).toBe(2);
      });

      it('deletes, optionally only at an expected version', async () => {
        const store = await fresh();
        await store.kv.set('d', 'x');
        expect(await store.kv.delete('d', { expectedVersion: 5 })).toBe(false);
        expect(await store.kv.delete('d', { expectedVersion: 1 })).toBe(true);
        expect(await store.kv.delete('d')).toBe(false);
        await store.kv.set('d', 'y');
        expect(await store.kv.delete('d')).toBe(true);
        expect(await store.kv.get('d')).toBeUndefined();
      });

      it('increments atomically, with a TTL set only on creation', async () => {
        const first = await fresh();
        const second = target.sharesState ? await open() : first;
        expect(await first.kv.increment('n')).toBe(1);
        expect(await first.kv.increment('n', { by: 5 })).toBe(6);
        expect(await first.kv.increment('n', { by: -10 })).toBe(-4);
        await Promise.all(
          Array.from({ length: 40 }, (_, index) =>
            (index % 2 ? first : second).kv.increment('many'),
          ),
        );
        expect(await first.kv.get('many')).toMatchObject({ value: '40', version: 40 });

        const windowStart = Date.now();
        await first.kv.increment('window', { ttlMs: 400 });
        await first.kv.increment('window', { ttlMs: 10_000 });
        const window = await first.kv.get('window');
        expect(window?.value).toBe('2');
        expect(window?.expiresAt).toBeLessThan(windowStart + 5_000);
        await sleep(500);
        expect(await first.kv.increment('window', { ttlMs: 400 })).toBe(1);

        await first.kv.set('text', 'abc');
        const error = await first.kv.increment('text').catch((caught: unknown) => caught);
        expect(StoreError.isInstance(error) && error.code).toBe('STORE_INVALID_VALUE');
      });

      it('lists live keys by prefix in order, page by page', async () => {
        const store = await fresh();
        for (const key of ['user:3', 'user:1', 'other:1', 'user:5', 'user:2', 'user:4']) {
          await store.kv.set(key, key.toUpperCase());
        }
        await store.kv.set('user:0', 'gone', { ttlMs: 30 });
        await sleep(80);
        const keys: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.kv.list({
            prefix: 'user:',
            limit: 2,
            ...(cursor ? { cursor } : {}),
          });
          expect(page.entries.length).toBeLessThanOrEqual(2);
          keys.push(...page.entries.map((entry) => entry.key));
          expect(page.entries.every((entry) => entry.value === entry.key.toUpperCase())).toBe(true);
          cursor = page.cursor;
          pages += 1;
        } while (cursor !== undefined);
        expect(keys).toEqual(['user:1', 'user:2', 'user:3', 'user:4', 'user:5']);
        expect(pages).toBeGreaterThanOrEqual(3);
        expect((await store.kv.list()).entries.map((entry) => entry.key)).toEqual([
          'other:1',
          'user:1',
          'user:2',
          'user:3',
          'user:4',
          'user:5',
        ]);
      });

      it('keeps stores with different prefixes apart', async () => {
        const store = await fresh();
        const neighbour = await open(`${prefix}neighbour:`);
        await store.kv.set('k', 'mine');
        await neighbour.kv.set('k', 'theirs');
        expect((await store.kv.get('k'))?.value).toBe('mine');
        expect((await neighbour.kv.list()).entries.map((entry) => entry.key)).toEqual(['k']);
        await neighbour.streams.append('s', 'x');
        expect(await store.streams.length('s')).toBe(0);
      });
    });

    describe('streams', () => {
      it('appends with strictly growing ids and reads in order', async () => {
        const store = await fresh();
        const ids: string[] = [];
        for (let index = 0; index < 5; index += 1)
          ids.push(await store.streams.append('s', `m${index}`));
        const sorted = [...ids].sort((a, b) => {
          const [aMs, aSequence] = a.split('-').map(Number);
          const [bMs, bSequence] = b.split('-').map(Number);
          return aMs! - bMs! || aSequence! - bSequence!;
        });
        expect(new Set(ids).size).toBe(5);
        expect(ids).toEqual(sorted);
        const all = await store.streams.read('s');
        expect(all.map((entry) => entry.data)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
        expect(all[0]?.timestamp).toBe(Number(ids[0]!.split('-')[0]));
        const after = await store.streams.read('s', { after: ids[1]!, limit: 2 });
        expect(after.map((entry) => entry.id)).toEqual([ids[2], ids[3]]);
        expect(await store.streams.length('s')).toBe(5);
        expect(await store.streams.read('nothing')).toEqual([]);
      });

      it('trims by length and by age', async () => {
        const store = await fresh();
        for (let index = 0; index < 6; index += 1) await store.streams.append('s', `m${index}`);
        expect(await store.streams.trim('s', { maxLength: 4 })).toBe(2);
        for (const bad of [{}, { maxLength: -1 }, { maxLength: 1.5 }, { maxAgeMs: 0 }]) {
          const error = await store.streams.trim('s', bad).catch((caught: unknown) => caught);
          expect(StoreError.isInstance(error) && error.code).toBe('STORE_INVALID_ARGUMENT');
        }
        expect((await store.streams.read('s')).map((entry) => entry.data)).toEqual([
          'm2',
          'm3',
          'm4',
          'm5',
        ]);
        await sleep(400);
        await store.streams.append('s', 'fresh');
        expect(await store.streams.trim('s', { maxAgeMs: 200 })).toBe(4);
        expect((await store.streams.read('s')).map((entry) => entry.data)).toEqual(['fresh']);
        // Ids keep growing after a trim.
        const last = (await store.streams.read('s'))[0]!.id;
        const next = await store.streams.append('s', 'later');
        expect((await store.streams.read('s', { after: last })).map((entry) => entry.id)).toEqual([
          next,
        ]);
        await store.streams.createGroup('s', 'g');
        expect(await store.streams.delete('s')).toBe(true);
        expect(await store.streams.delete('s')).toBe(false);
        expect(await store.streams.length('s')).toBe(0);
        const error = await store.streams
          .readGroup('s', 'g', 'c')
          .catch((caught: unknown) => caught);
        expect(StoreError.isInstance(error) && error.code).toBe('STORE_NO_GROUP');
      });

      it('delivers each message of a group once across consumers, until acknowledged', async () => {
        const store = await fresh();
        await store.streams.append('s', 'before');
        await store.streams.createGroup('s', 'all');
        await store.streams.createGroup('s', 'new', { from: 'end' });
        await store.streams.createGroup('s', 'all', { from: 'end' }); // idempotent
        for (let index = 0; index < 4; index += 1) await store.streams.append('s', `m${index}`);

        const a = await store.streams.readGroup('s', 'all', 'a', { count: 3 });
        const b = await store.streams.readGroup('s', 'all', 'b', { count: 10 });
        expect(a.map((message) => message.data)).toEqual(['before', 'm0', 'm1']);
        expect(b.map((message) => message.data)).toEqual(['m2', 'm3']);
        expect([...a, ...b].every((message) => message.deliveryCount === 1)).toBe(true);
        expect(await store.streams.readGroup('s', 'all', 'b')).toEqual([]);
        expect(
          (await store.streams.readGroup('s', 'new', 'c')).map((message) => message.data),
        ).toEqual(['m0', 'm1', 'm2', 'm3']);

        const pending = await store.streams.pending('s', 'all');
        expect(pending.map((entry) => [entry.id, entry.consumer, entry.deliveryCount])).toEqual([
          ...a.map((message) => [message.id, 'a', 1]),
          ...b.map((message) => [message.id, 'b', 1]),
        ]);
        expect(await store.streams.ack('s', 'all', [a[0]!.id, b[0]!.id, b[0]!.id])).toBe(2);
        expect(await store.streams.ack('s', 'all', [a[0]!.id])).toBe(0);
        expect((await store.streams.pending('s', 'all')).map((entry) => entry.id)).toEqual([
          a[1]!.id,
          a[2]!.id,
          b[1]!.id,
        ]);
        // A fresh claim right away finds nothing idle enough.
        expect(await store.streams.claim('s', 'all', 'b', { minIdleMs: 60_000 })).toEqual({
          messages: [],
          deadLettered: [],
        });
        const error = await store.streams
          .readGroup('s', 'nope', 'a')
          .catch((caught: unknown) => caught);
        expect(StoreError.isInstance(error) && error.code).toBe('STORE_NO_GROUP');
      });

      it('recovers a killed consumer: the other claims its pending messages, poison goes to the dead-letter stream', async () => {
        const producer = await fresh();
        const workerA = target.sharesState ? await open() : producer;
        const workerB = target.sharesState ? await open() : producer;
        await producer.streams.createGroup('jobs', 'workers');
        const sent: string[] = [];
        for (let index = 0; index < 20; index += 1) {
          sent.push(await producer.streams.append('jobs', index === 7 ? 'poison' : `job${index}`));
        }
        const processed = new Map<string, number>();
        const process = (messages: { id: string; data: string }[]): string[] => {
          const done: string[] = [];
          for (const message of messages) {
            if (message.data === 'poison') continue; // always fails, never acknowledged
            processed.set(message.id, (processed.get(message.id) ?? 0) + 1);
            done.push(message.id);
          }
          return done;
        };

        // Consumer A takes a batch of 8, processes 3 of them and is killed before acking the rest.
        const batchA = await workerA.streams.readGroup('jobs', 'workers', 'a', { count: 8 });
        expect(batchA).toHaveLength(8);
        await workerA.streams.ack('jobs', 'workers', process(batchA.slice(0, 3)));
        if (workerA !== producer) await workerA.close();

        // Consumer B works through the rest of the stream.
        for (;;) {
          const batch = await workerB.streams.readGroup('jobs', 'workers', 'b', { count: 5 });
          if (batch.length === 0) break;
          await workerB.streams.ack('jobs', 'workers', process(batch));
        }
        const stuck = await workerB.streams.pending('jobs', 'workers');
        expect(stuck.map((entry) => entry.consumer)).toEqual(['a', 'a', 'a', 'a', 'a']);

        // After the idle timeout B claims what A held; the poison message keeps failing.
        const options = { minIdleMs: 40, maxDeliveries: 3, count: 10 };
        const deliveryCounts: number[] = [];
        const deadLettered: string[] = [];
        for (let round = 0; round < 4; round += 1) {
          await sleep(70);
          const claimed = await workerB.streams.claim('jobs', 'workers', 'b', options);
          deliveryCounts.push(
            ...claimed.messages.filter((m) => m.data === 'poison').map((m) => m.deliveryCount),
          );
          deadLettered.push(...claimed.deadLettered);
          await workerB.streams.ack('jobs', 'workers', process(claimed.messages));
        }
        expect(deliveryCounts).toEqual([2, 3]);
        expect(deadLettered).toEqual([sent[7]]);
        expect(await workerB.streams.pending('jobs', 'workers')).toEqual([]);
        for (const id of sent)
          if (id !== sent[7]) expect(processed.get(id)).toBeGreaterThanOrEqual(1);

        const dead = await producer.streams.read('jobs:dead-letter');
        expect(dead).toHaveLength(1);
        expect(dead[0]).toMatchObject({
          data: 'poison',
          deadLetter: { stream: 'jobs', group: 'workers', id: sent[7], deliveryCount: 3 },
        });
      });

      it('waits up to blockMs for a message appended by another handle', async () => {
        const consumer = await fresh();
        const producer = target.sharesState ? await open() : consumer;
        await consumer.streams.createGroup('s', 'g');
        expect(await consumer.streams.readGroup('s', 'g', 'c', { blockMs: 50 })).toEqual([]);
        const waiting = consumer.streams.readGroup('s', 'g', 'c', { blockMs: 10_000 });
        await sleep(100);
        const id = await producer.streams.append('s', 'late');
        expect(
          (await waiting).map((message) => [message.id, message.data, message.deliveryCount]),
        ).toEqual([[id, 'late', 1]]);
      });

      it('ends a blocked read with STORE_CLOSED when the store closes', async () => {
        const store = await fresh();
        await store.streams.createGroup('s', 'g');
        const waiting = store.streams
          .readGroup('s', 'g', 'c', { blockMs: 10_000 })
          .catch((caught: unknown) => caught);
        await sleep(100);
        await store.close();
        const error = await waiting;
        expect(StoreError.isInstance(error) && error.code).toBe('STORE_CLOSED');
      });

      it('dead-letters to a chosen stream and drops pending messages that were trimmed away', async () => {
        const store = await fresh();
        await store.streams.createGroup('s', 'g');
        const [first, second] = [
          await store.streams.append('s', 'one'),
          await store.streams.append('s', 'two'),
        ];
        await store.streams.readGroup('s', 'g', 'a', { count: 2 });
        await store.streams.trim('s', { maxLength: 1 });
        await sleep(30);
        const claimed = await store.streams.claim('s', 'g', 'b', {
          minIdleMs: 10,
          maxDeliveries: 1,
          deadLetterStream: 'poison',
        });
        expect(claimed.messages).toEqual([]);
        expect(claimed.deadLettered).toEqual([second]);
        expect((await store.streams.read('poison'))[0]?.deadLetter).toEqual({
          stream: 's',
          group: 'g',
          id: second,
          deliveryCount: 1,
        });
        expect((await store.streams.pending('s', 'g')).map((entry) => entry.id)).not.toContain(
          first,
        );
      });
    });

    describe('pubsub', () => {
      it('fans a message out to every subscriber until they unsubscribe', async () => {
        const publisher = await fresh();
        const other = target.sharesState ? await open() : publisher;
        const received: string[] = [];
        const local = await publisher.pubsub.subscribe('news', (message, channel) =>
          received.push(`local:${channel}:${message}`),
        );
        const remote = await other.pubsub.subscribe('news', (message) =>
          received.push(`remote:${message}`),
        );
        const unrelated = await other.pubsub.subscribe('sports', (message) =>
          received.push(`sports:${message}`),
        );
        await publisher.pubsub.publish('news', 'hello');
        await waitFor(() => received.length >= 2);
        expect(received.sort()).toEqual(['local:news:hello', 'remote:hello']);
        await remote.unsubscribe();
        await publisher.pubsub.publish('news', 'again');
        await waitFor(() => received.length >= 3);
        await sleep(150);
        expect(received).toEqual(['local:news:hello', 'remote:hello', 'local:news:again']);
        await local[Symbol.asyncDispose]();
        await unrelated.unsubscribe();
      });
    });

    describe('leases', () => {
      it('grants a lease to one holder at a time, with renewal and checked release', async () => {
        const first = await fresh();
        const second = target.sharesState ? await open() : first;
        const lease = await first.leases.acquire('leader', { ttlMs: 5_000, holder: 'replica-1' });
        expect(lease).toMatchObject({ name: 'leader', holder: 'replica-1' });
        expect(
          await second.leases.acquire('leader', { ttlMs: 5_000, holder: 'replica-2' }),
        ).toBeUndefined();
        expect(await second.leases.get('leader')).toMatchObject({
          name: 'leader',
          holder: 'replica-1',
        });
        const renewed = await first.leases.renew(lease!, { ttlMs: 10_000 });
        expect(renewed?.expiresAt).toBeGreaterThan(lease!.expiresAt);
        const forged = { ...lease!, token: 'forged' };
        expect(await second.leases.release(forged)).toBe(false);
        expect(await second.leases.renew(forged, { ttlMs: 1_000 })).toBeUndefined();
        expect(await first.leases.release(lease!)).toBe(true);
        expect(await first.leases.release(lease!)).toBe(false);
        expect(await second.leases.get('leader')).toBeUndefined();
        expect(await second.leases.acquire('leader', { ttlMs: 5_000 })).toBeDefined();
      });

      it('lets another holder take an expired lease; the old holder cannot renew it', async () => {
        const first = await fresh();
        const second = target.sharesState ? await open() : first;
        const old = await first.leases.acquire('job', { ttlMs: 50, holder: 'a' });
        await sleep(120);
        const taken = await second.leases.acquire('job', { ttlMs: 5_000, holder: 'b' });
        expect(taken?.holder).toBe('b');
        expect(await first.leases.renew(old!, { ttlMs: 5_000 })).toBeUndefined();
        expect(await first.leases.release(old!)).toBe(false);
        expect((await first.leases.get('job'))?.holder).toBe('b');
      });
    });

    it('refuses operations after close', async () => {
      const store = await fresh();
      await store.close();
      const error = await store.kv.get('x').catch((caught: unknown) => caught);
      expect(StoreError.isInstance(error) && error.code).toBe('STORE_CLOSED');
    });
  });
}
