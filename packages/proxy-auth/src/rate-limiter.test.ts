import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, type Store } from '@fedmcp/store';
import { createRedisStore, createSqliteStore } from '@fedmcp/store/node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { redisAvailable } from '../test/redis-available.js';
import { createPolicy } from './create-policy.js';
import { createRateLimiter, type RateLimitSpec } from './rate-limiter.js';

const fivePerSecond: RateLimitSpec = { limit: 5, intervalMs: 1_000 };

describe('createRateLimiter (memory)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-11-23T12:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('lets a burst through, refuses the next with retry-after, and refills over time', async () => {
    const limiter = createRateLimiter();
    const results = [];
    for (let index = 0; index < 6; index += 1)
      results.push(await limiter.consume('alice', fivePerSecond));
    expect(results.map((result) => result.allowed)).toEqual([true, true, true, true, true, false]);
    expect(results.map((result) => result.remaining)).toEqual([4, 3, 2, 1, 0, 0]);
    expect(results[5]!.retryAfterMs).toBe(200);
    // Other principals are unaffected.
    expect((await limiter.consume('bob', fivePerSecond)).allowed).toBe(true);
    vi.advanceTimersByTime(199);
    expect((await limiter.consume('alice', fivePerSecond)).allowed).toBe(false);
    vi.advanceTimersByTime(1);
    expect((await limiter.consume('alice', fivePerSecond)).allowed).toBe(true);
    // A long pause refills to the bucket size, never beyond.
    vi.advanceTimersByTime(60_000);
    const afterPause = [];
    for (let index = 0; index < 6; index += 1)
      afterPause.push((await limiter.consume('alice', fivePerSecond)).allowed);
    expect(afterPause).toEqual([true, true, true, true, true, false]);
  });

  it('honours a burst larger than the rate', async () => {
    const limiter = createRateLimiter();
    const spec = { limit: 1, intervalMs: 60_000, burst: 3 };
    const allowed = [];
    for (let index = 0; index < 4; index += 1)
      allowed.push((await limiter.consume('k', spec)).allowed);
    expect(allowed).toEqual([true, true, true, false]);
    expect((await limiter.consume('k', spec)).retryAfterMs).toBe(60_000);
  });

  it('enforces the limits of a policy decision with a RATE_LIMITED error', async () => {
    const policy = createPolicy([
      {
        id: 'calls',
        effect: 'allow',
        subjects: ['*'],
        actions: ['tools/call'],
        rateLimit: { limit: 2, per: 'minute' },
      },
    ]);
    const limiter = createRateLimiter();
    const principal = { subject: 'alice', groups: [], scopes: [], authMethod: 'oauth' as const };
    const decision = () => policy.decide({ principal, action: 'tools/call', target: 'x__y' });
    await limiter.enforce(decision().rateLimits);
    await limiter.enforce(decision().rateLimits);
    await expect(limiter.enforce(decision().rateLimits)).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      data: { retryAfterMs: 30_000, rule: 'calls' },
      message: 'Rate limit exceeded (policy rule "calls"); retry after 30 s.',
    });
    expect(await limiter.check([])).toMatchObject({ allowed: true });
  });

  it('refuses impossible limits', async () => {
    const limiter = createRateLimiter();
    await expect(limiter.consume('k', { limit: 0, intervalMs: 1_000 })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
    await expect(limiter.consume('k', fivePerSecond, 6)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
    });
  });
});

async function sharedLimitBehaviour(first: Store, second: Store): Promise<void> {
  const left = createRateLimiter({ store: first.kv });
  const right = createRateLimiter({ store: second.kv });
  const spec = { limit: 10, intervalMs: 60_000 };
  // 30 concurrent requests through two limiters on one store: exactly the bucket size gets through.
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, index) =>
      (index % 2 === 0 ? left : right).consume('alice', spec),
    ),
  );
  expect(results.filter((result) => result.allowed)).toHaveLength(10);
  const refused = results.filter((result) => !result.allowed);
  expect(refused.every((result) => result.retryAfterMs > 0 && result.retryAfterMs <= 6_000)).toBe(
    true,
  );
  expect((await right.consume('bob', spec)).allowed).toBe(true);
}

describe('createRateLimiter (store)', () => {
  it('shares buckets through a store with atomic compare-and-set', async () => {
    await using store = createMemoryStore();
    await sharedLimitBehaviour(store, store);
  });

  it('shares buckets between two SQLite connections to one database file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-rate-limit-'));
    try {
      const path = join(directory, 'state.db');
      await using first = createSqliteStore({ path, synchronous: 'normal' });
      await using second = createSqliteStore({ path, synchronous: 'normal' });
      await sharedLimitBehaviour(first, second);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('keeps the bucket with a TTL so idle keys disappear', async () => {
    await using store = createMemoryStore();
    const limiter = createRateLimiter({ store: store.kv, prefix: 'rl:' });
    await limiter.consume('alice', fivePerSecond);
    const entry = await store.kv.get('rl:alice');
    expect(entry?.expiresAt).toBeGreaterThan(Date.now());
    expect(entry!.expiresAt! - Date.now()).toBeLessThanOrEqual(200);
  });
});

describe.runIf(redisAvailable)('createRateLimiter (redis)', () => {
  it('shares one limit between two connections to the same Redis', async () => {
    const prefix = `fedmcp-proxy-auth-test:${Date.now()}:${Math.random().toString(36).slice(2)}:`;
    await using first = await createRedisStore({ prefix, connectionName: 'proxy-auth-test-1' });
    await using second = await createRedisStore({ prefix, connectionName: 'proxy-auth-test-2' });
    await sharedLimitBehaviour(first, second);
    await first.kv.delete('ratelimit:alice');
    await first.kv.delete('ratelimit:bob');
  });
});
