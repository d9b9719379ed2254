/**
 * Token-bucket rate limits. A bucket holds up to `burst` tokens (default `limit`) and refills at
 * `limit` tokens per `intervalMs`; each request takes one. Buckets live in memory for one node, or
 * in a shared store — any key/value store with versioned compare-and-set and TTL, such as
 * `@fedmcp/store`'s `store.kv` — when replicas must share the limits.
 */
import { FedmcpError, RateLimitedError } from '@fedmcp/protocol';

/** A bucket's shape. */
export interface RateLimitSpec {
  /** Tokens added per `intervalMs` (the sustained rate). */
  limit: number;
  /** The refill period in milliseconds. */
  intervalMs: number;
  /** Bucket size, the largest burst. @default limit */
  burst?: number;
}

/** The outcome of taking tokens from a bucket. */
export interface RateLimitResult {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When refused, how long until enough tokens are back; 0 when allowed. */
  retryAfterMs: number;
  /** The bucket key that decided. */
  key: string;
  /** The policy rule the limit came from, when checked through {@link RateLimiter.check}. */
  rule?: string;
}

/** A bucket key with its shape, as policy decisions return them (`decision.rateLimits`). */
export interface KeyedRateLimit {
  key: string;
  limit: RateLimitSpec;
  rule?: string;
}

/**
 * The store a shared limiter needs — structurally `@fedmcp/store`'s `KeyValueStore` (get plus
 * versioned, atomic compare-and-set with TTL), so any engine that offers those works.
 */
export interface CounterStore {
  get(key: string): Promise<{ value: string; version: number } | undefined>;
  compareAndSet(
    key: string,
    value: string,
    options: { expectedVersion: number | null; ttlMs?: number },
  ): Promise<{ ok: boolean }>;
}

/** Options of {@link createRateLimiter}. */
export interface RateLimiterOptions {
  /** Where buckets live; shared by every replica that uses the same store. @default in this process's memory */
  store?: CounterStore;
  /** Prefix of the store keys. @default 'ratelimit:' */
  prefix?: string;
  /** The clock. @default Date.now */
  now?: () => number;
  /** Compare-and-set attempts under contention before the request is refused. @default 16 */
  maxAttempts?: number;
}

/** A rate limiter over token buckets. */
export interface RateLimiter {
  /** Takes `cost` tokens (default 1) from the bucket `key`. */
  consume(key: string, limit: RateLimitSpec, cost?: number): Promise<RateLimitResult>;
  /**
   * Takes one token from each bucket in order and returns the first refusal, or the last
   * success. A refusal leaves earlier buckets charged (limits are upper bounds, never exceeded).
   */
  check(limits: readonly KeyedRateLimit[]): Promise<RateLimitResult>;
  /**
   * Like {@link RateLimiter.check}, but throws when refused.
   * @throws {FedmcpError} `RATE_LIMITED` with `data.retryAfterMs`.
   */
  enforce(limits: readonly KeyedRateLimit[]): Promise<void>;
}

interface BucketState {
  /** Tokens at `at`. */
  tokens: number;
  /** When `tokens` was measured (ms since epoch). */
  at: number;
}

/** The error of a refused request: `RATE_LIMITED`, with `retryAfterMs` (and the rule) in `data`. */
export function rateLimitedError(
  result: Pick<RateLimitResult, 'retryAfterMs' | 'rule'>,
): RateLimitedError {
  const seconds = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
  return new RateLimitedError({
    retryAfterMs: result.retryAfterMs,
    message: `Rate limit exceeded${result.rule ? ` (policy rule "${result.rule}")` : ''}; retry after ${seconds} s.`,
    ...(result.rule ? { data: { rule: result.rule } } : {}),
  });
}

function validate(limit: RateLimitSpec, cost: number): { capacity: number; perMs: number } {
  const capacity = limit.burst ?? limit.limit;
  if (!(limit.limit > 0) || !(limit.intervalMs > 0) || !(capacity > 0)) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      'A rate limit needs a positive limit, interval and burst.',
    );
  }
  if (!(cost > 0) || cost > capacity) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `A request cost of ${cost} can never fit a bucket of ${capacity}.`,
    );
  }
  return { capacity, perMs: limit.limit / limit.intervalMs };
}

// The bucket after refilling up to `now` and trying to take `cost`.
function take(
  state: BucketState | undefined,
  now: number,
  capacity: number,
  perMs: number,
  cost: number,
): { allowed: boolean; next: BucketState; retryAfterMs: number; fullInMs: number } {
  const previous = state ?? { tokens: capacity, at: now };
  const elapsed = Math.max(0, now - previous.at);
  const tokens = Math.min(capacity, previous.tokens + elapsed * perMs);
  // Replicas' clocks differ a little: never move the bucket's time backwards, or the same
  // interval would be refilled twice.
  const at = Math.max(previous.at, now);
  if (tokens >= cost) {
    const left = tokens - cost;
    return {
      allowed: true,
      next: { tokens: left, at },
      retryAfterMs: 0,
      fullInMs: Math.ceil((capacity - left) / perMs),
    };
  }
  return {
    allowed: false,
    next: { tokens, at },
    retryAfterMs: Math.ceil((cost - tokens) / perMs),
    fullInMs: Math.ceil((capacity - tokens) / perMs),
  };
}

function parseState(value: string): BucketState | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<BucketState>;
    return typeof parsed.tokens === 'number' && typeof parsed.at === 'number'
      ? { tokens: parsed.tokens, at: parsed.at }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates a rate limiter, in memory or on a shared store.
 *
 * @example
 * ```ts
 * const limiter = createRateLimiter({ store: store.kv }); // omit store for one node
 * const result = await limiter.consume('alice', { limit: 10, intervalMs: 60_000 });
 * if (!result.allowed) throw rateLimitedError(result);
 * ```
 */
export function createRateLimiter(options: RateLimiterOptions = {}): RateLimiter {
  const now = options.now ?? Date.now;
  const prefix = options.prefix ?? 'ratelimit:';
  const maxAttempts = options.maxAttempts ?? 16;
  const memory = new Map<string, BucketState & { fullAt: number }>();
  let operations = 0;

  function sweep(time: number): void {
    // A bucket that has refilled completely is the same as no bucket: forget it.
    for (const [key, bucket] of memory) if (bucket.fullAt <= time) memory.delete(key);
  }

  async function consumeInMemory(
    key: string,
    capacity: number,
    perMs: number,
    cost: number,
  ): Promise<RateLimitResult> {
    const time = now();
    operations += 1;
    if (operations % 1024 === 0) sweep(time);
    const outcome = take(memory.get(key), time, capacity, perMs, cost);
    memory.set(key, { ...outcome.next, fullAt: time + outcome.fullInMs });
    return {
      allowed: outcome.allowed,
      remaining: Math.floor(outcome.next.tokens),
      retryAfterMs: outcome.retryAfterMs,
      key,
    };
  }

  async function consumeInStore(
    store: CounterStore,
    key: string,
    capacity: number,
    perMs: number,
    cost: number,
  ): Promise<RateLimitResult> {
    const storeKey = `${prefix}${key}`;
    for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
      const entry = await store.get(storeKey);
      const time = now();
      const outcome = take(
        entry ? parseState(entry.value) : undefined,
        time,
        capacity,
        perMs,
        cost,
      );
      if (!outcome.allowed) {
        return {
          allowed: false,
          remaining: Math.floor(outcome.next.tokens),
          retryAfterMs: outcome.retryAfterMs,
          key,
        };
      }
      const written = await store.compareAndSet(storeKey, JSON.stringify(outcome.next), {
        expectedVersion: entry?.version ?? null,
        ttlMs: Math.max(1, outcome.fullInMs),
      });
      if (written.ok) {
        return { allowed: true, remaining: Math.floor(outcome.next.tokens), retryAfterMs: 0, key };
      }
    }
    // Heavy contention on one bucket: refuse (fail closed) and let the caller retry shortly.
    return {
      allowed: false,
      remaining: 0,
      retryAfterMs: Math.max(1, Math.ceil(cost / perMs)),
      key,
    };
  }

  async function consume(key: string, limit: RateLimitSpec, cost = 1): Promise<RateLimitResult> {
    const { capacity, perMs } = validate(limit, cost);
    return options.store
      ? consumeInStore(options.store, key, capacity, perMs, cost)
      : consumeInMemory(key, capacity, perMs, cost);
  }

  async function check(limits: readonly KeyedRateLimit[]): Promise<RateLimitResult> {
    let last: RateLimitResult = {
      allowed: true,
      remaining: Number.POSITIVE_INFINITY,
      retryAfterMs: 0,
      key: '',
    };
    for (const limit of limits) {
      const result = await consume(limit.key, limit.limit);
      last = limit.rule === undefined ? result : { ...result, rule: limit.rule };
      if (!result.allowed) return last;
    }
    return last;
  }

  return {
    consume,
    check,
    async enforce(limits) {
      const result = await check(limits);
      if (!result.allowed) throw rateLimitedError(result);
    },
  };
}
