/**
 * Connection handling of the redis engine: ioredis configured to fail fast instead of queueing
 * without limit, a bounded wait for a reconnect, and mapping of ioredis/Redis errors to
 * {@link StoreError}. Also runs Lua scripts by SHA with a fallback to EVAL.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '@fedmcp/protocol';
import type { Redis, RedisOptions } from 'ioredis';
import { StoreError } from '../store-error.js';

export interface RedisConnectionOptions {
  url: string;
  connectionName: string;
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  offlineWaitMs: number;
  maxOfflineWaiters: number;
  reconnectMinDelayMs: number;
  reconnectMaxDelayMs: number;
  redisOptions?: RedisOptions;
  logger?: Logger;
}

/** Maps anything ioredis or Redis threw to a {@link StoreError}. */
export function toRedisStoreError(error: unknown): StoreError {
  if (StoreError.isInstance(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('STORE_INVALID_VALUE')) {
    return new StoreError('STORE_INVALID_VALUE', 'Cannot increment: the value is not an integer.', {
      cause: error,
    });
  }
  if (message.startsWith('NOGROUP')) {
    return new StoreError('STORE_NO_GROUP', 'No such consumer group; call createGroup() first.', {
      cause: error,
    });
  }
  if (message === 'Command timed out') {
    return new StoreError(
      'STORE_TIMEOUT',
      'Redis did not answer within commandTimeoutMs; the command may or may not have run.',
      { cause: error },
    );
  }
  if (
    (error instanceof Error && error.name === 'MaxRetriesPerRequestError') ||
    message.includes("Stream isn't writeable") ||
    message.includes('Connection is closed')
  ) {
    return new StoreError(
      'STORE_UNAVAILABLE',
      'The connection to Redis was lost; the command may or may not have run. Retry once Redis is back.',
      { cause: error },
    );
  }
  return new StoreError('STORE_FAILED', `Redis failed: ${message}`, { cause: error });
}

/** The ioredis client class, loaded on first use: a hub on SQLite or memory never pays for it (~19 MB RSS, ~130 ms at start). */
let RedisClient: typeof Redis | undefined;

/** Loads ioredis; call (and await) before constructing a {@link RedisConnection}. */
export async function loadRedisClient(): Promise<void> {
  RedisClient ??= (await import('ioredis')).Redis;
}

/** One ioredis connection plus the gate that bounds how long and how many callers wait for it. */
export class RedisConnection {
  readonly client: Redis;
  private readonly options: RedisConnectionOptions;
  private readonly waiters = new Set<{ resolve: () => void; reject: (error: Error) => void }>();
  private closed = false;

  private readonly blocking: boolean;

  /** `role` names it in logs; a `'blocking'` connection runs XREADGROUP BLOCK and nothing else. */
  constructor(options: RedisConnectionOptions, role: string) {
    this.options = options;
    this.blocking = role === 'blocking';
    if (RedisClient === undefined) {
      throw new StoreError('STORE_FAILED', 'RedisConnection: await loadRedisClient() first.');
    }
    this.client = new RedisClient(options.url, {
      ...options.redisOptions,
      lazyConnect: true,
      connectionName: options.connectionName,
      // Fail fast: no unbounded offline queue, and commands in flight when the socket drops are
      // rejected (maxRetriesPerRequest 0) rather than silently re-sent, which could duplicate an append.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // A blocking read legitimately waits longer than commandTimeoutMs: its own BLOCK time
      // plus the same grace bounds it instead.
      ...(this.blocking
        ? { blockingTimeout: 1, blockingTimeoutGrace: options.commandTimeoutMs }
        : { commandTimeout: options.commandTimeoutMs }),
      connectTimeout: options.connectTimeoutMs,
      retryStrategy: (attempt) =>
        Math.min(
          options.reconnectMaxDelayMs,
          options.reconnectMinDelayMs * 2 ** Math.min(attempt - 1, 10),
        ) *
        (0.75 + Math.random() * 0.5),
    });
    this.client.on('ready', () => {
      for (const waiter of this.waiters) waiter.resolve();
      this.waiters.clear();
    });
    this.client.on('reconnecting', (delay: number) =>
      options.logger?.warn({ role, delay }, 'store: Redis connection lost; reconnecting'),
    );
    this.client.on('error', (error: Error) =>
      options.logger?.debug({ role, error }, 'store: Redis connection error'),
    );
  }

  /** Connects once, failing with `STORE_UNAVAILABLE` when Redis cannot be reached. */
  async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch (error) {
      this.client.disconnect();
      throw new StoreError(
        'STORE_UNAVAILABLE',
        `Cannot connect to Redis at ${redactUrl(this.options.url)}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Resolves when the connection is ready, waiting at most `offlineWaitMs` behind a bounded number of other callers. */
  ready(): Promise<void> {
    if (this.closed)
      return Promise.reject(
        new StoreError('STORE_CLOSED', 'The store is closed; create a new one.'),
      );
    if (this.client.status === 'ready') return Promise.resolve();
    if (this.options.offlineWaitMs <= 0 || this.waiters.size >= this.options.maxOfflineWaiters) {
      return Promise.reject(this.unavailable());
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(this.unavailable());
      }, this.options.offlineWaitMs);
      this.waiters.add(waiter);
    });
  }

  /** Runs `operation` once the connection is ready, mapping errors. */
  async run<T>(operation: (client: Redis) => Promise<T>): Promise<T> {
    await this.ready();
    try {
      return await operation(this.client);
    } catch (error) {
      throw toRedisStoreError(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const closedError = new StoreError('STORE_CLOSED', 'The store is closed; create a new one.');
    for (const waiter of this.waiters) waiter.reject(closedError);
    this.waiters.clear();
    if (this.client.status === 'ready' && !this.blocking) {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }

  private unavailable(): StoreError {
    return new StoreError(
      'STORE_UNAVAILABLE',
      `Redis at ${redactUrl(this.options.url)} is unreachable (status ${this.client.status}); retry later.`,
    );
  }
}

/** A Lua script run by SHA, loaded on first use (and again after a server restart). */
export class RedisScript {
  readonly sha: string;
  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(client: Redis, keys: string[], args: (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
