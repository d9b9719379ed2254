/**
 * The sqlite engine, the embedded default: one file in the data directory, WAL mode, every
 * acknowledged write committed (and by default fsynced) before the promise resolves. Several
 * processes on one machine may open the same file; pub/sub reaches them through a messages table
 * that each subscribing store polls.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkCount, checkDuration, checkInteger, parseCounter } from '../check-arguments.js';
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
} from '../store.js';
import { StoreError } from '../store-error.js';
import { type SqliteCheckpointer, startSqliteCheckpointer } from './sqlite-checkpointer.js';
import { openSqliteDatabase } from './sqlite-schema.js';
import { createSqliteStreams } from './sqlite-streams.js';

export interface SqliteStoreOptions extends StoreOptions {
  /** Database file; its directory is created. `':memory:'` for a private in-memory database. @default './.fedmcp/state.db' */
  path?: string;
  /**
   * `'full'` fsyncs every commit (an acknowledged write survives a power cut); `'normal'` only
   * writes it to the OS (survives kill -9 of the process, not a power cut; several times faster).
   * @default 'full'
   */
  synchronous?: 'full' | 'normal';
  /** How long a write waits for another process's write lock before failing with `STORE_TIMEOUT`. @default 5000 */
  busyTimeoutMs?: number;
  /** How often a store with subscriptions polls for pub/sub messages while they flow (their latency). @default 20 */
  pollIntervalMs?: number;
  /**
   * The longest wait between pub/sub polls while none arrive (each idle poll doubles the wait from
   * `pollIntervalMs`; a message, a publish here or a subscription resets it): another process's
   * first message after a quiet spell waits up to this long, one published here `pollIntervalMs`. @default 200
   */
  idlePollIntervalMs?: number;
  /** How long published messages stay in the table for slow pollers. @default 60000 */
  pubsubRetentionMs?: number;
  /** How often expired keys and leases and old pub/sub messages are deleted from the file. @default 30000 */
  sweepIntervalMs?: number;
  /**
   * How long after a commit of several stream appends the next commit waits for more to join it.
   * The appends of one turn of the event loop always share a commit in the next turn; with a
   * window, after a commit that held several (appends come concurrently, e.g. an audit event per
   * call of many clients), the next also waits until this long after it, so a steady flow costs
   * one commit per window, at up to this much latency per append. After a commit of one append
   * nothing waits. `append()` resolves once its entry is committed either way. Off by default: on
   * the gateway bench (c=32, one session) 2 ms measured within noise of none. @default 0
   */
  appendWindowMs?: number;
  /**
   * WAL checkpoints off the event loop: how often the store looks at its WAL and, once it has
   * grown past 1 MiB (a process that writes), how often a worker thread with its own connection
   * checkpoints it (PASSIVE), while the store's connection stops checkpointing inside its commits
   * (2–25 ms each on a small VM, every ~1,000 pages written). `0`: SQLite's own checkpoints, in
   * the commits. A file database only. @default 1000
   */
  checkpointIntervalMs?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** Where `fedmcp serve` keeps its state by default. */
export const defaultSqlitePath = './.fedmcp/state.db';

interface Row {
  value: string;
  version: number;
  expires_at: number | null;
}

/**
 * Creates a missing database file with mode 0600 (its folder 0700) before SQLite opens it: the
 * state holds consents, audit and tokens' replay marks, and SQLite creates the WAL and SHM files
 * with the database file's mode. An existing file keeps its mode.
 */
function createPrivateDatabaseFile(path: string): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
}

/** Maps better-sqlite3 errors to {@link StoreError}. */
export function toSqliteStoreError(error: unknown): StoreError {
  if (StoreError.isInstance(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (
    typeof code === 'string' &&
    (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
  ) {
    return new StoreError(
      'STORE_TIMEOUT',
      'The SQLite database stayed locked by another writer longer than busyTimeoutMs.',
      { cause: error },
    );
  }
  return new StoreError(
    'STORE_FAILED',
    `SQLite failed: ${(error as Error)?.message ?? String(error)}`,
    { cause: error },
  );
}

/** The pending-append flushes of the open stores, run at process exit (better-sqlite3 is synchronous). */
const unflushedStores = new Set<() => void>();
let exitFlushInstalled = false;
function installExitFlush(): void {
  if (exitFlushInstalled) return;
  exitFlushInstalled = true;
  process.on('exit', () => {
    for (const flush of unflushedStores) flush();
  });
}

/**
 * Opens (or creates) a SQLite-backed store.
 *
 * @throws {StoreError} `STORE_FAILED` when the file cannot be opened or is not a database.
 * @example
 * ```ts
 * const store = createSqliteStore({ path: './.fedmcp/state.db' });
 * const id = await store.streams.append('webhooks', JSON.stringify(event)); // on disk now
 * await store.close();
 * ```
 */
export function createSqliteStore(options: SqliteStoreOptions = {}): Store {
  const now = options.now ?? Date.now;
  const prefix = options.prefix ?? '';
  const pollIntervalMs = options.pollIntervalMs ?? 20;
  const idlePollIntervalMs = Math.max(pollIntervalMs, options.idlePollIntervalMs ?? 200);
  const retentionMs = options.pubsubRetentionMs ?? 60_000;
  const appendWindowMs = options.appendWindowMs ?? 0;
  if (!Number.isFinite(appendWindowMs) || appendWindowMs < 0) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `appendWindowMs must be 0 or a positive number of ms, got ${appendWindowMs}.`,
    );
  }
  const checkpointIntervalMs = options.checkpointIntervalMs ?? 1_000;
  if (!Number.isFinite(checkpointIntervalMs) || checkpointIntervalMs < 0) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `checkpointIntervalMs must be 0 (off) or a positive number of ms, got ${checkpointIntervalMs}.`,
    );
  }
  const path = options.path ?? defaultSqlitePath;
  const synchronous = options.synchronous ?? 'full';
  let database: ReturnType<typeof openSqliteDatabase>;
  try {
    createPrivateDatabaseFile(path);
    database = openSqliteDatabase({
      path,
      synchronous,
      busyTimeoutMs: options.busyTimeoutMs ?? 5_000,
    });
  } catch (error) {
    throw toSqliteStoreError(error);
  }
  const checkpointer: SqliteCheckpointer | undefined =
    checkpointIntervalMs > 0 && !database.memory
      ? startSqliteCheckpointer({
          database,
          path: database.name,
          synchronous,
          intervalMs: checkpointIntervalMs,
          ...(options.logger ? { logger: options.logger } : {}),
        })
      : undefined;
  let closed = false;
  const guard = (): void => {
    if (closed) throw new StoreError('STORE_CLOSED', 'The store is closed; create a new one.');
  };
  const run = <T>(operation: () => T): Promise<T> => {
    try {
      guard();
      return Promise.resolve(operation());
    } catch (error) {
      return Promise.reject(toSqliteStoreError(error));
    }
  };

  // Key/value ------------------------------------------------------------------------------
  const selectLive = database.prepare<[string, number], Row>(
    'SELECT value, version, expires_at FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)',
  );
  const upsert = database.prepare<[string, string, number, number | null]>(
    'INSERT OR REPLACE INTO kv (key, value, version, expires_at) VALUES (?, ?, ?, ?)',
  );
  const deleteKey = database.prepare<[string]>('DELETE FROM kv WHERE key = ?');
  const listPage = database.prepare<
    [{ start: string; after: string; now: number; limit: number }],
    Row & { key: string }
  >(
    `SELECT key, value, version, expires_at FROM kv
     WHERE key >= @start AND key > @after AND substr(key, 1, length(@start)) = @start
       AND (expires_at IS NULL OR expires_at > @now)
     ORDER BY key LIMIT @limit`,
  );
  const toEntry = (key: string, row: Row): KeyValueEntry => ({
    key,
    value: row.value,
    version: row.version,
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
  });
  const write = (
    key: string,
    value: string,
    ttlMs: number | undefined,
    previous: Row | undefined,
  ) => {
    const version = (previous?.version ?? 0) + 1;
    const expiresAt = ttlMs === undefined ? null : now() + ttlMs;
    upsert.run(prefix + key, value, version, expiresAt);
    return toEntry(key, { value, version, expires_at: expiresAt });
  };
  const setTransaction = database.transaction((key: string, value: string, ttlMs?: number) =>
    write(key, value, ttlMs, selectLive.get(prefix + key, now())),
  );
  const casTransaction = database.transaction(
    (key: string, value: string, expectedVersion: number | null, ttlMs?: number) => {
      const current = selectLive.get(prefix + key, now());
      if ((current?.version ?? null) !== expectedVersion) {
        return { ok: false as const, current: current && toEntry(key, current) };
      }
      return { ok: true as const, entry: write(key, value, ttlMs, current) };
    },
  );
  const deleteTransaction = database.transaction((key: string, expectedVersion?: number) => {
    const current = selectLive.get(prefix + key, now());
    if (!current || (expectedVersion !== undefined && current.version !== expectedVersion))
      return false;
    deleteKey.run(prefix + key);
    return true;
  });
  const incrementTransaction = database.transaction((key: string, by: number, ttlMs?: number) => {
    const current = selectLive.get(prefix + key, now());
    const next = parseCounter(key, current?.value) + by;
    const expiresAt = current ? current.expires_at : ttlMs === undefined ? null : now() + ttlMs;
    upsert.run(prefix + key, String(next), (current?.version ?? 0) + 1, expiresAt);
    return next;
  });

  const kv: KeyValueStore = {
    get: (key) =>
      run(() => {
        const row = selectLive.get(prefix + key, now());
        return row && toEntry(key, row);
      }),
    set: (key, value, setOptions = {}) =>
      run(() => {
        checkDuration('ttlMs', setOptions.ttlMs);
        return setTransaction.immediate(key, value, setOptions.ttlMs);
      }),
    compareAndSet: (key, value, casOptions) =>
      run(() => {
        checkDuration('ttlMs', casOptions.ttlMs);
        return casTransaction.immediate(key, value, casOptions.expectedVersion, casOptions.ttlMs);
      }),
    delete: (key, deleteOptions = {}) =>
      run(() => deleteTransaction.immediate(key, deleteOptions.expectedVersion)),
    increment: (key, incrementOptions = {}) =>
      run(() => {
        const by = incrementOptions.by ?? 1;
        checkInteger('by', by);
        checkDuration('ttlMs', incrementOptions.ttlMs);
        return incrementTransaction.immediate(key, by, incrementOptions.ttlMs);
      }),
    list: (listOptions = {}) =>
      run(() => {
        const limit = checkCount('limit', listOptions.limit, 100);
        const start = prefix + (listOptions.prefix ?? '');
        const after = listOptions.cursor === undefined ? '' : prefix + listOptions.cursor;
        const rows = listPage.all({ start, after, now: now(), limit: limit + 1 });
        const entries = rows
          .slice(0, limit)
          .map((row) => toEntry(row.key.slice(prefix.length), row));
        return rows.length > limit ? { entries, cursor: entries[limit - 1]!.key } : { entries };
      }),
  };

  // Pub/sub: a table every subscribing store polls -------------------------------------------
  const insertMessage = database.prepare<[string, string, number]>(
    'INSERT INTO pubsub_messages (channel, message, created_at) VALUES (?, ?, ?)',
  );
  const lastMessageId = database.prepare<[], { id: number | null }>(
    'SELECT max(id) AS id FROM pubsub_messages',
  );
  const messagesAfter = database.prepare<
    [number],
    { id: number; channel: string; message: string }
  >('SELECT id, channel, message FROM pubsub_messages WHERE id > ? ORDER BY id LIMIT 1000');
  interface LocalSubscription {
    listener: MessageListener;
    fromId: number;
  }
  const subscriptions = new Map<string, Set<LocalSubscription>>();
  let cursor = 0;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  // pollIntervalMs while messages flow, doubling to idlePollIntervalMs while none arrive.
  let pollDelayMs = pollIntervalMs;
  /** Polls within pollIntervalMs from now (a publish here, a new subscription). */
  const pollSoon = (): void => {
    if (closed || subscriptions.size === 0) return;
    if (pollTimer !== undefined && pollDelayMs <= pollIntervalMs) return;
    pollDelayMs = pollIntervalMs;
    if (pollTimer !== undefined) clearTimeout(pollTimer);
    pollTimer = setTimeout(poll, pollIntervalMs);
  };
  const poll = (): void => {
    pollTimer = undefined;
    if (closed || subscriptions.size === 0) return;
    let delivered = false;
    try {
      for (;;) {
        const rows = messagesAfter.all(cursor);
        if (rows.length > 0) delivered = true;
        for (const row of rows) {
          cursor = row.id;
          for (const subscription of subscriptions.get(row.channel) ?? []) {
            if (row.id <= subscription.fromId) continue;
            try {
              subscription.listener(row.message, row.channel.slice(prefix.length));
            } catch (error) {
              options.logger?.error({ error, channel: row.channel }, 'store: a subscriber threw');
            }
          }
        }
        if (rows.length < 1000) break;
      }
    } catch (error) {
      options.logger?.warn({ error }, 'store: polling pub/sub messages failed; retrying');
    }
    pollDelayMs = delivered ? pollIntervalMs : Math.min(idlePollIntervalMs, pollDelayMs * 2);
    if (!closed && subscriptions.size > 0) pollTimer = setTimeout(poll, pollDelayMs);
  };
  const pubsub: PubSub = {
    publish: (channel, message) =>
      run(() => {
        insertMessage.run(prefix + channel, message, now());
        pollSoon();
      }),
    subscribe: (channel, listener) =>
      run(() => {
        const fromId = lastMessageId.get()?.id ?? 0;
        if (subscriptions.size === 0) cursor = fromId;
        const local: LocalSubscription = { listener, fromId };
        const name = prefix + channel;
        let set = subscriptions.get(name);
        if (!set) {
          set = new Set();
          subscriptions.set(name, set);
        }
        set.add(local);
        pollSoon();
        const unsubscribe = async (): Promise<void> => {
          set.delete(local);
          if (set.size === 0 && subscriptions.get(name) === set) subscriptions.delete(name);
        };
        const subscription: Subscription = { unsubscribe, [Symbol.asyncDispose]: unsubscribe };
        return subscription;
      }),
  };

  // Leases -----------------------------------------------------------------------------------
  const selectLease = database.prepare<[string, number], { holder: string; expires_at: number }>(
    'SELECT holder, expires_at FROM leases WHERE name = ? AND expires_at > ?',
  );
  const upsertLease = database.prepare<[string, string, string, number]>(
    'INSERT OR REPLACE INTO leases (name, holder, token, expires_at) VALUES (?, ?, ?, ?)',
  );
  const renewLease = database.prepare<[number, string, string, number]>(
    'UPDATE leases SET expires_at = ? WHERE name = ? AND token = ? AND expires_at > ?',
  );
  const releaseLease = database.prepare<[string, string, number]>(
    'DELETE FROM leases WHERE name = ? AND token = ? AND expires_at > ?',
  );
  const acquireTransaction = database.transaction((name: string, holder: string, ttlMs: number) => {
    if (selectLease.get(prefix + name, now())) return undefined;
    const lease: Lease = { name, holder, token: crypto.randomUUID(), expiresAt: now() + ttlMs };
    upsertLease.run(prefix + name, holder, lease.token, lease.expiresAt);
    return lease;
  });
  const leases: LeaseStore = {
    acquire: (name, acquireOptions) =>
      run(() => {
        checkDuration('ttlMs', acquireOptions.ttlMs);
        const holder = acquireOptions.holder ?? crypto.randomUUID();
        return acquireTransaction.immediate(name, holder, acquireOptions.ttlMs);
      }),
    renew: (lease, renewOptions) =>
      run(() => {
        checkDuration('ttlMs', renewOptions.ttlMs);
        const expiresAt = now() + renewOptions.ttlMs;
        const changed = renewLease.run(expiresAt, prefix + lease.name, lease.token, now()).changes;
        return changed === 1 ? { ...lease, expiresAt } : undefined;
      }),
    release: (lease) =>
      run(() => releaseLease.run(prefix + lease.name, lease.token, now()).changes === 1),
    get: (name) =>
      run(() => {
        const row = selectLease.get(prefix + name, now());
        return row && { name, holder: row.holder, expiresAt: row.expires_at };
      }),
  };

  // Housekeeping: expired keys and leases, old pub/sub messages --------------------------------
  const sweep = database.transaction((time: number) => {
    database.prepare('DELETE FROM kv WHERE expires_at <= ?').run(time);
    database.prepare('DELETE FROM leases WHERE expires_at <= ?').run(time);
    database.prepare('DELETE FROM pubsub_messages WHERE created_at < ?').run(time - retentionMs);
  });
  const sweepTimer = setInterval(() => {
    try {
      sweep.immediate(now());
    } catch (error) {
      options.logger?.warn({ error }, 'store: sweeping expired rows failed; will retry');
    }
  }, options.sweepIntervalMs ?? 30_000);
  sweepTimer.unref?.();

  const { streams, flushAppends } = createSqliteStreams({
    database,
    now,
    prefix,
    run,
    pollIntervalMs,
    isClosed: () => closed,
    appendWindowMs,
  });
  unflushedStores.add(flushAppends);
  installExitFlush();
  const close = async (): Promise<void> => {
    if (closed) return;
    flushAppends();
    unflushedStores.delete(flushAppends);
    closed = true;
    clearInterval(sweepTimer);
    if (pollTimer) clearTimeout(pollTimer);
    subscriptions.clear();
    // The worker's connection first: the last one to close checkpoints and removes the WAL.
    await checkpointer?.close();
    database.close();
  };
  return {
    engine: 'sqlite',
    kv,
    streams,
    pubsub,
    leases,
    close,
    [Symbol.asyncDispose]: close,
  };
}
