/**
 * The server's event store through a Redis outage, on a real redis-server the test stops and
 * starts: an event the store does not take is still given an id (so the SDK sends it rather than
 * failing the POST), the outage is logged once, and a client resuming from that id after Redis is
 * back gets what was stored later. Skips with a notice without redis-server, unless CI=true.
 */
import { createStore } from '@fedmcp/store/node';
import { redisServerAvailable, startTestRedisServer } from '@fedmcp/test-support';
import { createStoreEventStore } from '@fedmcp/transports';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it, vi } from 'vitest';
import { tolerateEventStoreOutage } from './outage-tolerant-events.js';

const available = redisServerAvailable();
if (!available && process.env.CI === 'true') {
  throw new Error('redis-server and redis-cli are required in CI (apt-get install redis-server).');
}
if (!available) console.warn('notice: redis-server not installed; skipping the outage test.');

const note = (index: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/message',
  params: { level: 'info', data: index },
});

describe.runIf(available)('tolerateEventStoreOutage', () => {
  it('sends events the store does not take under a time-based id, logging the outage once', async () => {
    await using redis = await startTestRedisServer();
    await using store = await createStore(redis.url, { redis: { offlineWaitMs: 0 } });
    const warnings: string[] = [];
    const infos: string[] = [];
    const logger = {
      child: () => logger,
      debug: () => {},
      info: (_details: unknown, message: string) => infos.push(message),
      warn: (_details: unknown, message: string) => warnings.push(message),
      error: () => {},
    };
    const events = tolerateEventStoreOutage(createStoreEventStore({ store }), logger).forSession(
      'session',
    );
    const stored = await events.storeEvent('_GET_stream', note(1));
    expect(stored).toMatch(/^_GET_stream~\d+-\d+$/);

    await redis.stop();
    const before = Date.now();
    const unstored = [
      await events.storeEvent('_GET_stream', note(2)),
      await events.storeEvent('_GET_stream', note(3)),
    ];
    for (const id of unstored) {
      expect(id).toMatch(/^_GET_stream~\d+-0$/);
      expect(Number(id.split('~')[1]?.split('-')[0])).toBeGreaterThanOrEqual(before);
    }
    expect(await events.getStreamIdForEventId?.(unstored[0] as string)).toBe('_GET_stream');
    expect(warnings).toHaveLength(1);

    await redis.start();
    // Until the store has reconnected, events still go out unstored.
    await vi.waitFor(
      async () => {
        await events.storeEvent('_GET_stream', note(4));
        expect(infos).toEqual(['session events: the store takes events again']);
      },
      { timeout: 15_000, interval: 50 },
    );
    const replayed: JSONRPCMessage[] = [];
    const streamId = await events.replayEventsAfter(unstored[1] as string, {
      send: async (_id, message) => {
        replayed.push(message);
      },
    });
    // Redis restarted empty: what it holds is what came after the outage.
    expect(streamId).toBe('_GET_stream');
    expect(replayed).toEqual([note(4)]);
  }, 30_000);
});
