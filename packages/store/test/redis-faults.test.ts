import { afterAll, describe, expect, it } from 'vitest';
import { type Store, StoreError } from '../src/index.js';
import { createRedisStore, type RedisStoreOptions } from '../src/node/index.js';
import {
  deleteKeys,
  killConnections,
  redisAvailable,
  redisUrl,
  runPrefix,
} from './redis-test-server.js';
import { sleep, waitFor } from './store-contract.js';

const prefix = `${runPrefix}faults:`;
let opened = 0;
const open = async (options: RedisStoreOptions = {}): Promise<{ store: Store; name: string }> => {
  opened += 1;
  const name = `fedmcp-fault-${process.pid}-${opened}`;
  const store = await createRedisStore({ url: redisUrl, prefix, connectionName: name, ...options });
  return { store, name };
};
const codeOf = (error: unknown): string =>
  StoreError.isInstance(error) ? error.code : String(error);

/** Repeats `operation` every 5 ms until it rejects; resolves with the error. */
async function firstFailure(
  operation: () => Promise<unknown>,
  timeoutMs: number,
): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await operation();
    } catch (error) {
      return error;
    }
    await sleep(5);
  }
  throw new Error('the operation never failed');
}

/** Repeats `operation` every 20 ms until it resolves. */
async function firstSuccess<T>(operation: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await operation();
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await sleep(20);
  }
}

describe.runIf(redisAvailable)('redis engine under connection faults', () => {
  afterAll(async () => {
    await deleteKeys(prefix);
  });

  it('survives CLIENT KILL of its connections while working: bounded failures, nothing acknowledged lost, pub/sub back', async () => {
    const offlineWaitMs = 1_000;
    const commandTimeoutMs = 1_000;
    const { store, name } = await open({ offlineWaitMs, commandTimeoutMs });
    await using _store = store;
    await using observer = await createRedisStore({ url: redisUrl, prefix });
    const received: string[] = [];
    await store.pubsub.subscribe('control', (message) => received.push(message));

    const acknowledged: string[] = [];
    const failures: { code: string; durationMs: number }[] = [];
    let longestMs = 0;
    let working = true;
    const worker = (async () => {
      for (let index = 0; working; index += 1) {
        const started = performance.now();
        try {
          acknowledged.push(await store.streams.append('log', `entry-${index}`));
        } catch (error) {
          failures.push({ code: codeOf(error), durationMs: performance.now() - started });
        }
        longestMs = Math.max(longestMs, performance.now() - started);
      }
    })();
    let killed = 0;
    for (let round = 0; round < 3; round += 1) {
      await sleep(150);
      killed += await killConnections(name);
    }
    await sleep(300);
    working = false;
    await worker;

    expect(killed).toBeGreaterThanOrEqual(6); // command and subscriber connections, three times
    // Every failure is a clear, typed one, and no operation hung past its bound.
    for (const failure of failures)
      expect(['STORE_UNAVAILABLE', 'STORE_TIMEOUT']).toContain(failure.code);
    expect(longestMs).toBeLessThan(offlineWaitMs + commandTimeoutMs + 2_000);
    // It works again afterwards, and every acknowledged append is in the stream exactly once.
    acknowledged.push(await store.streams.append('log', 'after'));
    const stored = await observer.streams.read('log', { limit: 100_000 });
    const storedIds = new Set(stored.map((entry) => entry.id));
    expect(storedIds.size).toBe(stored.length);
    for (const id of acknowledged) expect(storedIds.has(id)).toBe(true);
    expect(acknowledged.length).toBeGreaterThan(10);
    // The subscriber connection re-subscribed by itself.
    await waitFor(() => {
      void observer.pubsub.publish('control', 'ping');
      return received.length > 0;
    }, 10_000);
  }, 30_000);

  it('fails fast with STORE_UNAVAILABLE while disconnected when offlineWaitMs is 0, then recovers', async () => {
    const { store, name } = await open({ offlineWaitMs: 0, reconnectMinDelayMs: 400 });
    await using _store = store;
    await store.kv.set('k', 'v');
    expect(await killConnections(name)).toBe(1);
    const failure = await firstFailure(() => store.kv.get('k'), 5_000);
    expect(codeOf(failure)).toBe('STORE_UNAVAILABLE');
    expect((await firstSuccess(() => store.kv.get('k'), 10_000))?.value).toBe('v');
  }, 20_000);

  it('lets only maxOfflineWaiters operations wait for a reconnect; the rest fail at once', async () => {
    const { store, name } = await open({
      offlineWaitMs: 5_000,
      maxOfflineWaiters: 3,
      reconnectMinDelayMs: 1_500,
    });
    await using _store = store;
    await store.kv.set('k', 'v');
    expect(await killConnections(name)).toBe(1);
    // Let the engine notice the drop; it then waits at least 1.1 s before reconnecting.
    await sleep(200);
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => store.kv.get('k')));
    const rejected = results.filter((result) => result.status === 'rejected');
    // Three waited for the reconnect and got their answer; seven were refused at once.
    expect(
      results
        .filter((result) => result.status === 'fulfilled')
        .map((result) => result.value?.value),
    ).toEqual(['v', 'v', 'v']);
    expect(rejected).toHaveLength(7);
    for (const result of rejected)
      expect(codeOf((result as PromiseRejectedResult).reason)).toBe('STORE_UNAVAILABLE');
    expect((await store.kv.get('k'))?.value).toBe('v');
  }, 20_000);
});
