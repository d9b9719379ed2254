/**
 * The redis engine, for several hub replicas sharing state: KV entries as hashes changed by Lua
 * scripts (atomic CAS and increment), Redis Streams with consumer groups (XREADGROUP, XAUTOCLAIM,
 * XACK), pub/sub on a dedicated connection, and leases with SET NX PX and a checked release.
 * Needs Redis ≥ 6.2 on a single node (or a primary with replicas), not Redis Cluster.
 */
import type { Redis, RedisOptions } from 'ioredis';
import { checkCount, checkDuration, checkInteger } from '../check-arguments.js';
import type {
  CompareAndSetResult,
  KeyValueEntry,
  KeyValueStore,
  LeaseStore,
  MessageListener,
  PubSub,
  Store,
  StoreOptions,
  Subscription,
} from '../store.js';
import { StoreError } from '../store-error.js';
import {
  loadRedisClient,
  RedisConnection,
  type RedisConnectionOptions,
  RedisScript,
} from './redis-connection.js';
import {
  compareAndSetScript,
  deleteScript,
  getLeaseScript,
  getScript,
  incrementScript,
  listScript,
  releaseLeaseScript,
  renewLeaseScript,
  setScript,
} from './redis-scripts.js';
import { createRedisStreams } from './redis-streams.js';

export interface RedisStoreOptions extends StoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. @default 'redis://127.0.0.1:6379' */
  url?: string;
  /** CLIENT SETNAME of the engine's connections (find them in CLIENT LIST). @default 'fedmcp-store' */
  connectionName?: string;
  /** A command without an answer after this long fails with `STORE_TIMEOUT`. @default 5000 */
  commandTimeoutMs?: number;
  /** Give up a (re)connection attempt after this long. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * While disconnected, an operation waits this long for the reconnect before failing with
   * `STORE_UNAVAILABLE`; 0 fails at once. @default 2000
   */
  offlineWaitMs?: number;
  /** At most this many operations wait for a reconnect; more fail at once. @default 1000 */
  maxOfflineWaiters?: number;
  /** First reconnect delay; doubles (with jitter) per failed attempt. @default 50 */
  reconnectMinDelayMs?: number;
  /** Longest reconnect delay. @default 2000 */
  reconnectMaxDelayMs?: number;
  /**
   * Connections kept for `readGroup` calls with `blockMs` (XREADGROUP BLOCK holds its connection);
   * further concurrent blocked reads poll every 50 ms instead. @default 4
   */
  maxBlockingConnections?: number;
  /** Extra ioredis options (TLS, sentinels…); the fail-fast settings above win. */
  redisOptions?: RedisOptions;
}

const toNumber = (value: unknown): number => Number(value);

/**
 * Connects to Redis and returns a store on it.
 *
 * @throws {StoreError} `STORE_UNAVAILABLE` when Redis cannot be reached within `connectTimeoutMs`.
 * @example
 * ```ts
 * const store = await createRedisStore({ url: 'redis://127.0.0.1:6379', prefix: 'hub:' });
 * const lease = await store.leases.acquire('leader', { ttlMs: 10_000, holder: 'replica-1' });
 * ```
 */
export async function createRedisStore(options: RedisStoreOptions = {}): Promise<Store> {
  const prefix = options.prefix ?? '';
  const connectionOptions: RedisConnectionOptions = {
    url: options.url ?? 'redis://127.0.0.1:6379',
    connectionName: options.connectionName ?? 'fedmcp-store',
    commandTimeoutMs: options.commandTimeoutMs ?? 5_000,
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    offlineWaitMs: options.offlineWaitMs ?? 2_000,
    maxOfflineWaiters: options.maxOfflineWaiters ?? 1_000,
    reconnectMinDelayMs: options.reconnectMinDelayMs ?? 50,
    reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 2_000,
    ...(options.redisOptions ? { redisOptions: options.redisOptions } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  };
  await loadRedisClient();
  const connection = new RedisConnection(connectionOptions, 'commands');
  await connection.connect();
  const run = <T>(operation: (client: Redis) => Promise<T>): Promise<T> =>
    connection.run(operation);

  const scripts = {
    get: new RedisScript(getScript),
    set: new RedisScript(setScript),
    compareAndSet: new RedisScript(compareAndSetScript),
    delete: new RedisScript(deleteScript),
    increment: new RedisScript(incrementScript),
    list: new RedisScript(listScript),
    renewLease: new RedisScript(renewLeaseScript),
    releaseLease: new RedisScript(releaseLeaseScript),
    getLease: new RedisScript(getLeaseScript),
  };

  // Key/value ----------------------------------------------------------------------------------
  const entryKey = (key: string): string => `${prefix}kv:${key}`;
  const indexKey = `${prefix}kv-index`;
  const expiriesKey = `${prefix}kv-expiries`;
  const writeKeys = (key: string): string[] => [entryKey(key), indexKey, expiriesKey];
  const sweepArguments = (): string[] => [`${prefix}kv:`, String(Date.now())];
  const toEntry = (
    key: string,
    value: unknown,
    version: unknown,
    expiresAt: unknown,
  ): KeyValueEntry => ({
    key,
    value: String(value),
    version: toNumber(version),
    ...(expiresAt ? { expiresAt: toNumber(expiresAt) } : {}),
  });
  const ttlArguments = (ttlMs: number | undefined): [string, string] =>
    ttlMs === undefined ? ['', ''] : [String(Math.ceil(ttlMs)), String(Date.now() + ttlMs)];

  const kv: KeyValueStore = {
    get: (key) =>
      run(async (client) => {
        const reply = (await scripts.get.run(client, [entryKey(key)], [])) as unknown[] | null;
        return reply ? toEntry(key, reply[0], reply[1], reply[2]) : undefined;
      }),
    set: async (key, value, setOptions = {}) => {
      checkDuration('ttlMs', setOptions.ttlMs);
      const [ttl, expiresAt] = ttlArguments(setOptions.ttlMs);
      return run(async (client) => {
        const version = await scripts.set.run(client, writeKeys(key), [
          value,
          ttl,
          expiresAt,
          key,
          '',
          ...sweepArguments(),
        ]);
        return toEntry(key, value, version, expiresAt);
      });
    },
    compareAndSet: async (key, value, casOptions) => {
      checkDuration('ttlMs', casOptions.ttlMs);
      const [ttl, expiresAt] = ttlArguments(casOptions.ttlMs);
      const expected =
        casOptions.expectedVersion === null ? '' : String(casOptions.expectedVersion);
      return run(async (client): Promise<CompareAndSetResult> => {
        const reply = (await scripts.compareAndSet.run(client, writeKeys(key), [
          value,
          ttl,
          expiresAt,
          key,
          expected,
          ...sweepArguments(),
        ])) as unknown[];
        if (reply[0] === 1) return { ok: true, entry: toEntry(key, value, reply[1], expiresAt) };
        return {
          ok: false,
          current: reply[2] ? toEntry(key, reply[1], reply[2], reply[3]) : undefined,
        };
      });
    },
    delete: (key, deleteOptions = {}) =>
      run(async (client) => {
        const expected =
          deleteOptions.expectedVersion === undefined ? '' : String(deleteOptions.expectedVersion);
        return (await scripts.delete.run(client, writeKeys(key), [key, expected])) === 1;
      }),
    increment: async (key, incrementOptions = {}) => {
      const by = incrementOptions.by ?? 1;
      checkInteger('by', by);
      checkDuration('ttlMs', incrementOptions.ttlMs);
      const [ttl, expiresAt] = ttlArguments(incrementOptions.ttlMs);
      return run(async (client) =>
        toNumber(
          await scripts.increment.run(client, writeKeys(key), [
            by,
            ttl,
            expiresAt,
            key,
            '',
            ...sweepArguments(),
          ]),
        ),
      );
    },
    list: async (listOptions = {}) => {
      const limit = checkCount('limit', listOptions.limit, 100);
      const start = listOptions.prefix ?? '';
      // Compare as bytes, the order Redis sorts members in.
      const cursor = listOptions.cursor;
      const min =
        cursor !== undefined && Buffer.compare(Buffer.from(cursor), Buffer.from(start)) >= 0
          ? `(${cursor}`
          : `[${start}`;
      return run(async (client) => {
        const rows = (await scripts.list.run(
          client,
          [indexKey, expiriesKey],
          [min, `${prefix}kv:`, start, limit + 1],
        )) as unknown[][];
        const entries = rows
          .slice(0, limit)
          .map((row) => toEntry(String(row[0]), row[1], row[2], row[3]));
        return rows.length > limit ? { entries, cursor: entries[limit - 1]!.key } : { entries };
      });
    },
  };

  // Pub/sub on its own connection (a subscribed connection can run nothing else) ------------------
  const channelKey = (channel: string): string => `${prefix}channel:${channel}`;
  const listeners = new Map<string, Set<MessageListener>>();
  let subscriber: RedisConnection | undefined;
  const subscriberConnection = async (): Promise<RedisConnection> => {
    if (subscriber) return subscriber;
    const created = new RedisConnection(connectionOptions, 'subscriber');
    subscriber = created;
    created.client.on('message', (channel: string, message: string) => {
      for (const listener of listeners.get(channel) ?? []) {
        try {
          listener(message, channel.slice(`${prefix}channel:`.length));
        } catch (error) {
          options.logger?.error({ error, channel }, 'store: a subscriber threw');
        }
      }
    });
    try {
      await created.connect();
    } catch (error) {
      subscriber = undefined;
      throw error;
    }
    return created;
  };
  const pubsub: PubSub = {
    publish: (channel, message) =>
      run(async (client) => {
        await client.publish(channelKey(channel), message);
      }),
    subscribe: async (channel, listener) => {
      if (closed) throw new StoreError('STORE_CLOSED', 'The store is closed; create a new one.');
      const name = channelKey(channel);
      const wrapped: MessageListener = (message, source) => listener(message, source);
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      set.add(wrapped);
      try {
        const connection = await subscriberConnection();
        // ioredis re-subscribes on its own after a reconnect.
        await connection.run((client) => client.subscribe(name));
      } catch (error) {
        set.delete(wrapped);
        throw error;
      }
      const unsubscribe = async (): Promise<void> => {
        if (!set.delete(wrapped) || set.size > 0) return;
        listeners.delete(name);
        await subscriber?.run((client) => client.unsubscribe(name)).catch(() => undefined);
      };
      const subscription: Subscription = { unsubscribe, [Symbol.asyncDispose]: unsubscribe };
      return subscription;
    },
  };

  let closed = false;

  // Pooled connections for blocking reads ------------------------------------------------------
  const idleBlocking: RedisConnection[] = [];
  const allBlocking = new Set<RedisConnection>();
  const runBlocking = async <T>(
    operation: (client: Redis) => Promise<T>,
  ): Promise<T | undefined> => {
    let blocking = idleBlocking.pop();
    if (!blocking) {
      if (allBlocking.size >= (options.maxBlockingConnections ?? 4)) return undefined;
      blocking = new RedisConnection(connectionOptions, 'blocking');
      allBlocking.add(blocking);
      try {
        await blocking.connect();
      } catch (error) {
        allBlocking.delete(blocking);
        throw error;
      }
    }
    try {
      return await blocking.run(operation);
    } catch (error) {
      if (closed)
        throw new StoreError('STORE_CLOSED', 'The store was closed during a blocked read.');
      throw error;
    } finally {
      if (!closed) idleBlocking.push(blocking);
    }
  };

  // Leases: SET NX PX, renewal and release checked against the token -------------------------
  const leaseKey = (name: string): string => `${prefix}lease:${name}`;
  // The stored value is "<uuid>:<holder>", so one GET tells the token and the holder.
  const tokenHolder = (token: string): string => token.slice(37);
  const leases: LeaseStore = {
    acquire: async (name, acquireOptions) => {
      checkDuration('ttlMs', acquireOptions.ttlMs);
      const holder = acquireOptions.holder ?? crypto.randomUUID();
      const token = `${crypto.randomUUID()}:${holder}`;
      const ttlMs = Math.ceil(acquireOptions.ttlMs);
      return run(async (client) => {
        const expiresAt = Date.now() + ttlMs;
        const reply = await client.set(leaseKey(name), token, 'PX', ttlMs, 'NX');
        return reply === 'OK' ? { name, holder, token, expiresAt } : undefined;
      });
    },
    renew: async (lease, renewOptions) => {
      checkDuration('ttlMs', renewOptions.ttlMs);
      const ttlMs = Math.ceil(renewOptions.ttlMs);
      return run(async (client) => {
        const expiresAt = Date.now() + ttlMs;
        const renewed = await scripts.renewLease.run(
          client,
          [leaseKey(lease.name)],
          [lease.token, ttlMs],
        );
        return renewed === 1 ? { ...lease, expiresAt } : undefined;
      });
    },
    release: (lease) =>
      run(
        async (client) =>
          (await scripts.releaseLease.run(client, [leaseKey(lease.name)], [lease.token])) === 1,
      ),
    get: (name) =>
      run(async (client) => {
        const reply = (await scripts.getLease.run(client, [leaseKey(name)], [])) as
          | [string, number]
          | null;
        return reply
          ? { name, holder: tokenHolder(reply[0]), expiresAt: Date.now() + reply[1] }
          : undefined;
      }),
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    listeners.clear();
    await Promise.all([
      connection.close(),
      subscriber?.close(),
      ...[...allBlocking].map((blocking) => blocking.close()),
    ]);
  };
  return {
    engine: 'redis',
    kv,
    streams: createRedisStreams({ prefix, run, runBlocking }),
    pubsub,
    leases,
    close,
    [Symbol.asyncDispose]: close,
  };
}
