/**
 * Expiry of abandoned sessions' event streams (`expireSessionEvents` of @fedmcp/transports over
 * the store-backed event store), on a real redis-server: a session with no event for `maxIdleMs`
 * loses its stream and its index entry at the next sweep, an active one keeps both and still
 * resumes, and two replicas sweeping at once sweep once (the lease). The clock of the index is
 * injected; the store is real. Skips with a notice without redis-server, unless CI=true.
 */
import { createStore } from '@fedmcp/store/node';
import { redisServerAvailable, startTestRedisServer } from '@fedmcp/test-support';
import { createStoreEventStore, expireSessionEvents } from '@fedmcp/transports';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';

const available = redisServerAvailable();
if (!available && process.env.CI === 'true') {
  throw new Error('redis-server and redis-cli are required in CI (apt-get install redis-server).');
}
if (!available) console.warn('notice: redis-server not installed; skipping the expiry test.');

const note = (index: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/message',
  params: { level: 'info', data: index },
});

describe.runIf(available)('expireSessionEvents on Redis', () => {
  it('drops the stream of a session idle past maxIdleMs, keeps an active one, and sweeps once across replicas', async () => {
    await using redis = await startTestRedisServer();
    await using store = await createStore(redis.url);
    await using other = await createStore(redis.url);
    let clock = Date.now();
    const options = {
      maxIdleMs: 60_000,
      // Never by the timer during the test: the sweeps below are called.
      sweepEveryMs: 3_600_000,
      now: () => clock,
    };
    const replica = expireSessionEvents(createStoreEventStore({ store }), { store, ...options });
    const second = expireSessionEvents(createStoreEventStore({ store: other }), {
      store: other,
      ...options,
    });
    const stream = (key: string) => `fedmcp:session-events:${key}`;
    const seen = async (key: string) => store.kv.get(`fedmcp:session-events-seen:${key}`);

    await replica.forSession('abandoned').storeEvent('_GET_stream', note(1));
    const first = await second.forSession('active').storeEvent('_GET_stream', note(2));
    // Activity is noted off the request path.
    await expect.poll(() => seen('abandoned')).toBeDefined();
    await expect.poll(() => seen('active')).toBeDefined();

    clock += 50_000;
    await replica.forSession('active').storeEvent('_GET_stream', note(3));
    await expect.poll(async () => Number((await seen('active'))?.value)).toBe(clock);
    clock += 30_000;
    // Idle 80 s: past maxIdleMs (60 s) plus the lag an index entry may have (15 s).
    expect(await replica.sweep()).toBe(1);
    // The other replica finds the lease taken: one sweep per period in the cluster.
    expect(await second.sweep()).toBe(0);

    expect(await store.streams.length(stream('abandoned'))).toBe(0);
    expect(await seen('abandoned')).toBeUndefined();
    expect(await store.streams.length(stream('active'))).toBe(2);
    const replayed: JSONRPCMessage[] = [];
    await second.forSession('active').replayEventsAfter(first, {
      send: async (_id, message) => {
        replayed.push(message);
      },
    });
    expect(replayed).toEqual([note(3)]);

    // A deleted session's index entry goes with its stream.
    await replica.dropSession('active');
    expect(await seen('active')).toBeUndefined();
    expect(await store.streams.length(stream('active'))).toBe(0);
    await replica.close();
    await second.close();
  }, 30_000);
});
