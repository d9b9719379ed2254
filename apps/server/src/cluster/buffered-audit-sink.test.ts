/**
 * The buffered audit sink on a real redis-server that the test stops and starts: events written
 * while Redis is down wait in order, the oldest are dropped past `maxBuffered` (and counted in an
 * error log), and the rest are appended once Redis answers. Skips with a notice without
 * redis-server, unless CI=true.
 */
import { readAuditEvents } from '@fedmcp/proxy-auth';
import { createStore } from '@fedmcp/store/node';
import { redisServerAvailable, startTestRedisServer } from '@fedmcp/test-support';
import { describe, expect, it, vi } from 'vitest';
import { createBufferedAuditSink } from './buffered-audit-sink.js';
import { membershipSettingsFromEnv } from './replica-membership.js';

const available = redisServerAvailable();
if (!available && process.env.CI === 'true') {
  throw new Error('redis-server and redis-cli are required in CI (apt-get install redis-server).');
}
if (!available) console.warn('notice: redis-server not installed; skipping the audit queue test.');

const event = (target: string) => ({
  time: new Date().toISOString(),
  type: 'call' as const,
  outcome: 'ok' as const,
  action: 'tools/call',
  target,
});

describe.runIf(available)('createBufferedAuditSink', () => {
  it('keeps events in order while Redis is down, drops the oldest past its bound, and writes the rest when it is back', async () => {
    await using redis = await startTestRedisServer();
    await using store = await createStore(redis.url, { redis: { offlineWaitMs: 0 } });
    const errors: unknown[] = [];
    const logger = {
      child: () => logger,
      debug: () => {},
      info: () => {},
      warn: () => {},
      error: (details: unknown) => errors.push(details),
    };
    const sink = createBufferedAuditSink({
      streams: store.streams,
      maxBuffered: 3,
      retryMs: 50,
      logger,
    });
    sink.write(event('before'));
    await sink.flush();
    await redis.stop();
    for (const target of ['one', 'two', 'three', 'four']) sink.write(event(target));
    expect(sink.pending()).toBe(3);
    expect(errors).toEqual([expect.objectContaining({ dropped: 1, maxBuffered: 3 })]);
    await expect(sink.flush()).rejects.toThrow(/Redis/);
    await redis.start();
    await vi.waitFor(() => expect(sink.pending()).toBe(0), { timeout: 15_000, interval: 50 });
    // Redis restarted empty (no persistence): what it holds is what the queue wrote.
    const targets = (await readAuditEvents(store.streams)).map(({ event }) => event.target);
    expect(targets).toEqual(['two', 'three', 'four']);
    await sink.close();
  }, 30_000);
});

describe('membershipSettingsFromEnv', () => {
  it('reads the replica id, heartbeat and lease, naming a bad variable', () => {
    expect(
      membershipSettingsFromEnv({
        FEDMCP_REPLICA_ID: 'eu-1',
        FEDMCP_REPLICA_HEARTBEAT_MS: '500',
        FEDMCP_REPLICA_LEASE_MS: '1500',
      }),
    ).toEqual({ replicaId: 'eu-1', heartbeatMs: 500, leaseMs: 1500 });
    expect(membershipSettingsFromEnv({})).toEqual({});
    expect(() => membershipSettingsFromEnv({ FEDMCP_REPLICA_HEARTBEAT_MS: 'soon' })).toThrow(
      /FEDMCP_REPLICA_HEARTBEAT_MS=soon: expected a whole number of milliseconds/,
    );
    expect(() => membershipSettingsFromEnv({ FEDMCP_REPLICA_LEASE_MS: '1000' })).toThrow(
      /FEDMCP_REPLICA_LEASE_MS=1000 must be longer than the heartbeat \(2000 ms\)/,
    );
    expect(() => membershipSettingsFromEnv({ FEDMCP_REPLICA_ID: 'a b' })).toThrow(
      /FEDMCP_REPLICA_ID=a b/,
    );
  });
});
