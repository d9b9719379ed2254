/**
 * The memory engine: everything in this process's heap, gone when it exits. For tests and
 * ephemeral runs; web-standard only, so it runs on Node, Deno and Workers.
 */
import {
  checkCount,
  checkDuration,
  checkInteger,
  defaultDeadLetterStream,
  parseCounter,
} from './check-arguments.js';
import { createMemoryStreams } from './memory-streams.js';
import type {
  KeyValueEntry,
  KeyValueStore,
  Lease,
  LeaseStore,
  MessageListener,
  PubSub,
  Store,
  StoreOptions,
  Subscription,
} from './store.js';
import { StoreError } from './store-error.js';

export interface MemoryStoreOptions extends StoreOptions {
  /** The clock, injectable for tests with fake time. @default Date.now */
  now?: () => number;
}

interface StoredValue {
  value: string;
  version: number;
  expiresAt?: number;
}

/**
 * Creates an in-memory store.
 *
 * @example
 * ```ts
 * const store = createMemoryStore();
 * await store.kv.set('greeting', 'hello', { ttlMs: 60_000 });
 * ```
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const now = options.now ?? Date.now;
  const prefix = options.prefix ?? '';
  let closed = false;
  const guard = (): void => {
    if (closed) throw new StoreError('STORE_CLOSED', 'The store is closed; create a new one.');
  };

  const values = new Map<string, StoredValue>();
  const live = (key: string): StoredValue | undefined => {
    const stored = values.get(key);
    if (stored?.expiresAt !== undefined && stored.expiresAt <= now()) {
      values.delete(key);
      return undefined;
    }
    return stored;
  };
  const toEntry = (key: string, stored: StoredValue): KeyValueEntry => ({
    key: key.slice(prefix.length),
    value: stored.value,
    version: stored.version,
    ...(stored.expiresAt === undefined ? {} : { expiresAt: stored.expiresAt }),
  });
  const write = (key: string, value: string, ttlMs: number | undefined): KeyValueEntry => {
    const stored: StoredValue = { value, version: (live(key)?.version ?? 0) + 1 };
    if (ttlMs !== undefined) stored.expiresAt = now() + ttlMs;
    values.set(key, stored);
    return toEntry(key, stored);
  };

  const kv: KeyValueStore = {
    async get(key) {
      guard();
      const stored = live(prefix + key);
      return stored && toEntry(prefix + key, stored);
    },
    async set(key, value, setOptions = {}) {
      guard();
      checkDuration('ttlMs', setOptions.ttlMs);
      return write(prefix + key, value, setOptions.ttlMs);
    },
    async compareAndSet(key, value, casOptions) {
      guard();
      checkDuration('ttlMs', casOptions.ttlMs);
      const current = live(prefix + key);
      if ((current?.version ?? null) !== casOptions.expectedVersion) {
        return { ok: false, current: current && toEntry(prefix + key, current) };
      }
      return { ok: true, entry: write(prefix + key, value, casOptions.ttlMs) };
    },
    async delete(key, deleteOptions = {}) {
      guard();
      const current = live(prefix + key);
      if (!current) return false;
      if (
        deleteOptions.expectedVersion !== undefined &&
        current.version !== deleteOptions.expectedVersion
      ) {
        return false;
      }
      return values.delete(prefix + key);
    },
    async increment(key, incrementOptions = {}) {
      guard();
      const by = incrementOptions.by ?? 1;
      checkInteger('by', by);
      checkDuration('ttlMs', incrementOptions.ttlMs);
      const current = live(prefix + key);
      const next = parseCounter(key, current?.value) + by;
      const stored: StoredValue = { value: String(next), version: (current?.version ?? 0) + 1 };
      const expiresAt = current
        ? current.expiresAt
        : incrementOptions.ttlMs && now() + incrementOptions.ttlMs;
      if (expiresAt !== undefined) stored.expiresAt = expiresAt;
      values.set(prefix + key, stored);
      return next;
    },
    async list(listOptions = {}) {
      guard();
      const limit = checkCount('limit', listOptions.limit, 100);
      const start = prefix + (listOptions.prefix ?? '');
      const after = listOptions.cursor === undefined ? undefined : prefix + listOptions.cursor;
      const keys = [...values.keys()]
        .filter((key) => key.startsWith(start) && (after === undefined || key > after))
        .sort();
      const entries: KeyValueEntry[] = [];
      for (const key of keys) {
        const stored = live(key);
        if (!stored) continue;
        if (entries.length === limit) return { entries, cursor: entries[limit - 1]!.key };
        entries.push(toEntry(key, stored));
      }
      return { entries };
    },
  };

  const channels = new Map<string, Set<MessageListener>>();
  const pubsub: PubSub = {
    async publish(channel, message) {
      guard();
      for (const listener of channels.get(prefix + channel) ?? []) {
        queueMicrotask(() => {
          try {
            listener(message, channel);
          } catch (error) {
            options.logger?.error({ error, channel }, 'store: a subscriber threw');
          }
        });
      }
    },
    async subscribe(channel, listener) {
      guard();
      const name = prefix + channel;
      // Wrap so the same function may subscribe twice and unsubscribe each independently.
      const wrapped: MessageListener = (message, source) => listener(message, source);
      let listeners = channels.get(name);
      if (!listeners) {
        listeners = new Set();
        channels.set(name, listeners);
      }
      listeners.add(wrapped);
      const unsubscribe = async (): Promise<void> => {
        listeners.delete(wrapped);
        if (listeners.size === 0 && channels.get(name) === listeners) channels.delete(name);
      };
      const subscription: Subscription = { unsubscribe, [Symbol.asyncDispose]: unsubscribe };
      return subscription;
    },
  };

  const leaseTable = new Map<string, Lease>();
  const heldLease = (name: string): Lease | undefined => {
    const lease = leaseTable.get(name);
    if (lease && lease.expiresAt <= now()) {
      leaseTable.delete(name);
      return undefined;
    }
    return lease;
  };
  const leases: LeaseStore = {
    async acquire(name, acquireOptions) {
      guard();
      checkDuration('ttlMs', acquireOptions.ttlMs);
      if (heldLease(prefix + name)) return undefined;
      const lease: Lease = {
        name,
        holder: acquireOptions.holder ?? crypto.randomUUID(),
        token: crypto.randomUUID(),
        expiresAt: now() + acquireOptions.ttlMs,
      };
      leaseTable.set(prefix + name, lease);
      return { ...lease };
    },
    async renew(lease, renewOptions) {
      guard();
      checkDuration('ttlMs', renewOptions.ttlMs);
      const current = heldLease(prefix + lease.name);
      if (current?.token !== lease.token) return undefined;
      current.expiresAt = now() + renewOptions.ttlMs;
      return { ...current };
    },
    async release(lease) {
      guard();
      const current = heldLease(prefix + lease.name);
      if (current?.token !== lease.token) return false;
      return leaseTable.delete(prefix + lease.name);
    },
    async get(name) {
      guard();
      const current = heldLease(prefix + name);
      return current && { name, holder: current.holder, expiresAt: current.expiresAt };
    },
  };

  const { streams, wakeAll } = createMemoryStreams({ now, prefix, guard, defaultDeadLetterStream });
  const close = async (): Promise<void> => {
    closed = true;
    channels.clear();
    wakeAll();
  };
  return {
    engine: 'memory',
    kv,
    streams,
    pubsub,
    leases,
    close,
    [Symbol.asyncDispose]: close,
  };
}
