/**
 * The one interface every engine implements: key/value with TTL and compare-and-set, append-only
 * streams with consumer groups, pub/sub channels and leases. Values are strings (callers encode
 * JSON themselves), times are milliseconds since the epoch, and every operation is asynchronous
 * so that an embedded engine and a networked one are interchangeable.
 */
import type { Logger } from '@fedmcp/protocol';

/** Which engine backs a {@link Store}. */
export type StoreEngine = 'memory' | 'sqlite' | 'redis' | 'postgres' | 'durable-object';

/** A key/value entry as stored. */
export interface KeyValueEntry {
  key: string;
  value: string;
  /** Starts at 1 when the key is created and grows by one on every write; use it for {@link KeyValueStore.compareAndSet}. */
  version: number;
  /** When the entry expires (ms since epoch); absent when it never expires. */
  expiresAt?: number;
}

export interface SetOptions {
  /** Time to live in ms; the key disappears afterwards. @default no expiry (and a previous TTL is cleared) */
  ttlMs?: number;
}

export interface CompareAndSetOptions extends SetOptions {
  /**
   * The version the key must have for the write to happen (from {@link KeyValueEntry.version});
   * `null` means the key must not exist (create-if-absent).
   */
  expectedVersion: number | null;
}

export type CompareAndSetResult =
  | { ok: true; entry: KeyValueEntry }
  | { ok: false; current: KeyValueEntry | undefined };

export interface IncrementOptions {
  /** Amount to add (may be negative). @default 1 */
  by?: number;
  /** TTL applied only when the increment creates the key (a fixed window for rate limits). @default no expiry */
  ttlMs?: number;
}

export interface ListOptions {
  /** Only keys that start with this string. @default '' (all keys) */
  prefix?: string;
  /** The `cursor` returned by the previous page. @default start from the first key */
  cursor?: string;
  /** Maximum entries per page. @default 100 */
  limit?: number;
}

export interface ListPage {
  /** Entries in ascending key order. */
  entries: KeyValueEntry[];
  /** Pass it back to get the next page; absent on the last page. */
  cursor?: string;
}

/** Key/value with TTL, compare-and-set, atomic increment and ordered prefix scans. */
export interface KeyValueStore {
  /** Reads a key; `undefined` when absent or expired. */
  get(key: string): Promise<KeyValueEntry | undefined>;
  /** Writes a key unconditionally and returns the stored entry. */
  set(key: string, value: string, options?: SetOptions): Promise<KeyValueEntry>;
  /** Writes only when the key is at `expectedVersion` (or absent for `null`). Atomic on every engine. */
  compareAndSet(
    key: string,
    value: string,
    options: CompareAndSetOptions,
  ): Promise<CompareAndSetResult>;
  /** Deletes a key; `expectedVersion` makes it conditional. Resolves `true` when a key was deleted. */
  delete(key: string, options?: { expectedVersion?: number }): Promise<boolean>;
  /**
   * Atomically adds to an integer value (absent counts as 0) and returns the new value.
   * @throws {StoreError} `STORE_INVALID_VALUE` when the current value is not an integer.
   */
  increment(key: string, options?: IncrementOptions): Promise<number>;
  /** Lists live entries in ascending key order, one page at a time. */
  list(options?: ListOptions): Promise<ListPage>;
}

/** One entry of a stream. Ids look like Redis stream ids (`<ms>-<sequence>`) on every engine and grow strictly. */
export interface StreamEntry {
  id: string;
  data: string;
  /** When it was appended (ms since epoch), the first half of the id. */
  timestamp: number;
  /** Set on entries of a dead-letter stream: where the message came from and how often it was tried. */
  deadLetter?: DeadLetterOrigin;
}

export interface DeadLetterOrigin {
  stream: string;
  group: string;
  id: string;
  deliveryCount: number;
}

/** An entry handed to a consumer of a group. */
export interface DeliveredMessage extends StreamEntry {
  /** How many times this message has been delivered to a consumer of the group, this delivery included. */
  deliveryCount: number;
}

export interface StreamReadOptions {
  /** Return entries after this id (exclusive). @default from the first entry */
  after?: string;
  /** Maximum entries. @default 100 */
  limit?: number;
}

export interface TrimOptions {
  /** Keep at most this many of the newest entries. */
  maxLength?: number;
  /** Drop entries older than this many ms. */
  maxAgeMs?: number;
}

export interface CreateGroupOptions {
  /** Deliver the entries already in the stream (`'start'`) or only new ones (`'end'`). @default 'start' */
  from?: 'start' | 'end';
}

export interface ReadGroupOptions {
  /** Maximum messages to deliver. @default 10 */
  count?: number;
  /**
   * When no message is ready, wait up to this long for one to be appended (by any process or
   * replica) instead of resolving `[]` at once. @default 0 (do not wait)
   */
  blockMs?: number;
}

export interface ClaimOptions {
  /** Only messages that have waited unacknowledged at least this long. */
  minIdleMs: number;
  /** Maximum messages to claim. @default 10 */
  count?: number;
  /**
   * A message already delivered this many times is not delivered again: it is appended to the
   * dead-letter stream and acknowledged. @default Infinity (never dead-letter)
   */
  maxDeliveries?: number;
  /** Where poison messages go. @default `${stream}:dead-letter` */
  deadLetterStream?: string;
}

export interface ClaimResult {
  /** Messages now owned by the claiming consumer, with their delivery count raised by one. */
  messages: DeliveredMessage[];
  /** Ids moved to the dead-letter stream by this call. */
  deadLettered: string[];
}

export interface PendingMessage {
  id: string;
  consumer: string;
  deliveryCount: number;
  /** Ms since it was last delivered. */
  idleMs: number;
}

/** Options of {@link StreamStore.append}. */
export interface AppendOptions {
  /**
   * How long the engine may hold the entry to commit it with others, for a caller that keeps it
   * safe meanwhile (the hub's audit journal) and does not wait: fewer, larger commits. `append()`
   * still resolves at the commit, and any other operation on the store's streams, `close()` and
   * process exit commit it first, so this process always reads what it appended. The sqlite engine
   * honours it; the others commit each append at once. @default 0
   */
  commitWithinMs?: number;
}

/**
 * Append-only ordered streams with consumer groups: at-least-once delivery, explicit ack,
 * claim of messages a dead consumer held, delivery counts and a dead-letter stream.
 */
export interface StreamStore {
  /** Appends an entry and resolves with its id once it is durable (as durable as the engine is). */
  append(stream: string, data: string, options?: AppendOptions): Promise<string>;
  /** Reads entries in id order. */
  read(stream: string, options?: StreamReadOptions): Promise<StreamEntry[]>;
  /** Number of entries currently in the stream. */
  length(stream: string): Promise<number>;
  /** Drops old entries by count and/or age; resolves with how many were removed. */
  trim(stream: string, options: TrimOptions): Promise<number>;
  /** Deletes a stream with its entries and consumer groups; resolves `true` when it existed. */
  delete(stream: string): Promise<boolean>;
  /** Creates a consumer group (and the stream if needed). Idempotent: an existing group is kept as is. */
  createGroup(stream: string, group: string, options?: CreateGroupOptions): Promise<void>;
  /**
   * Delivers messages the group has not yet delivered to anyone, to `consumer`; they stay pending
   * until acknowledged.
   * @throws {StoreError} `STORE_NO_GROUP` when the group does not exist.
   */
  readGroup(
    stream: string,
    group: string,
    consumer: string,
    options?: ReadGroupOptions,
  ): Promise<DeliveredMessage[]>;
  /** Acknowledges messages; resolves with how many were pending (0 for an unknown group). */
  ack(stream: string, group: string, ids: readonly string[]): Promise<number>;
  /** Takes over messages other consumers left unacknowledged for `minIdleMs`, dead-lettering poison ones. */
  claim(
    stream: string,
    group: string,
    consumer: string,
    options: ClaimOptions,
  ): Promise<ClaimResult>;
  /** Lists unacknowledged messages of a group in id order. */
  pending(stream: string, group: string, options?: { limit?: number }): Promise<PendingMessage[]>;
}

/** A live subscription; dispose it (or call `unsubscribe`) to stop receiving. */
export interface Subscription extends AsyncDisposable {
  unsubscribe(): Promise<void>;
}

export type MessageListener = (message: string, channel: string) => void;

/**
 * Fire-and-forget fan-out: every current subscriber of a channel receives each message, in
 * other processes too on the sqlite and redis engines. Messages published while nobody (or a
 * disconnected subscriber) listens are not kept.
 */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active: messages published afterwards reach `listener`. */
  subscribe(channel: string, listener: MessageListener): Promise<Subscription>;
}

/** A held lease. Keep it to renew or release; the `token` proves ownership. */
export interface Lease {
  name: string;
  holder: string;
  token: string;
  expiresAt: number;
}

export interface AcquireLeaseOptions {
  /** How long the lease lasts unless renewed. */
  ttlMs: number;
  /** Who holds it (shown by {@link LeaseStore.get}). @default a random id */
  holder?: string;
}

/** Named leases with TTL and renewal, for leader election and exclusive work. */
export interface LeaseStore {
  /** Takes the lease if nobody holds it (or the holder's lease expired); `undefined` otherwise. */
  acquire(name: string, options: AcquireLeaseOptions): Promise<Lease | undefined>;
  /** Extends a lease still held by this token; `undefined` when it was lost. */
  renew(lease: Lease, options: { ttlMs: number }): Promise<Lease | undefined>;
  /** Releases a lease still held by this token; `false` when it was already lost. */
  release(lease: Lease): Promise<boolean>;
  /** Who holds a lease now, if anyone. */
  get(name: string): Promise<Omit<Lease, 'token'> | undefined>;
}

/**
 * State that outlives a process or is shared by replicas. Create one with `createMemoryStore()`,
 * or `createStore(url)` from `@fedmcp/store/node`.
 */
export interface Store extends AsyncDisposable {
  readonly engine: StoreEngine;
  readonly kv: KeyValueStore;
  readonly streams: StreamStore;
  readonly pubsub: PubSub;
  readonly leases: LeaseStore;
  /** Stops subscriptions and closes connections/files. Operations afterwards throw `STORE_CLOSED`. */
  close(): Promise<void>;
}

/**
 * A logger with pino's shape; the store only logs reconnects and background errors.
 * @deprecated Use `Logger` from `@fedmcp/protocol` (the same shape).
 */
export type StoreLogger = Logger;

/** Options every engine accepts. */
export interface StoreOptions {
  /**
   * Namespace for every key, stream, channel and lease name, so several apps or test runs can
   * share one database or Redis. @default ''
   */
  prefix?: string;
  /** Receives reconnects and background errors. @default silent */
  logger?: Logger;
}
