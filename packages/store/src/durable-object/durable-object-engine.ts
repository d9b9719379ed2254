/**
 * The store's operations on a Durable Object's SQLite storage (`ctx.storage.sql`). A Durable
 * Object runs one event at a time and `sql.exec` is synchronous, so every operation below is
 * atomic; `transactionSync` adds the rollback when one throws halfway. The same tables as the
 * sqlite engine; names carry the caller's prefix.
 */
import { checkCount, checkDuration, checkInteger, parseCounter } from '../check-arguments.js';
import type { CompareAndSetResult, KeyValueEntry, Lease, ListPage } from '../store.js';
import { StoreError } from '../store-error.js';
import { type Args, createSqlHelpers, object, text } from './durable-object-sql.js';
import { createDurableObjectStreams } from './durable-object-streams.js';
import type { DurableObjectStorage } from './durable-object-types.js';

const schema = [
  `CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL,
     version INTEGER NOT NULL, expires_at INTEGER) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS kv_expires_at ON kv (expires_at) WHERE expires_at IS NOT NULL',
  `CREATE TABLE IF NOT EXISTS stream_meta (stream TEXT PRIMARY KEY, last_ms INTEGER NOT NULL,
     last_sequence INTEGER NOT NULL) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS stream_entries (stream TEXT NOT NULL, ms INTEGER NOT NULL,
     sequence INTEGER NOT NULL, data TEXT NOT NULL, dead_letter TEXT,
     PRIMARY KEY (stream, ms, sequence)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS stream_groups (stream TEXT NOT NULL, name TEXT NOT NULL,
     last_ms INTEGER NOT NULL, last_sequence INTEGER NOT NULL, PRIMARY KEY (stream, name)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS stream_pending (stream TEXT NOT NULL, group_name TEXT NOT NULL,
     ms INTEGER NOT NULL, sequence INTEGER NOT NULL, consumer TEXT NOT NULL,
     delivery_count INTEGER NOT NULL, delivered_at INTEGER NOT NULL,
     PRIMARY KEY (stream, group_name, ms, sequence)) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL,
     token TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID`,
  'CREATE INDEX IF NOT EXISTS leases_expires_at ON leases (expires_at)',
];

interface KvRow {
  key: string;
  value: string;
  version: number;
  expires_at: number | null;
}

export type DurableObjectOperation =
  | 'kv.get'
  | 'kv.set'
  | 'kv.compareAndSet'
  | 'kv.delete'
  | 'kv.increment'
  | 'kv.list'
  | 'streams.append'
  | 'streams.read'
  | 'streams.length'
  | 'streams.trim'
  | 'streams.delete'
  | 'streams.createGroup'
  | 'streams.readGroup'
  | 'streams.ack'
  | 'streams.claim'
  | 'streams.pending'
  | 'leases.acquire'
  | 'leases.renew'
  | 'leases.release'
  | 'leases.get';

/** The engine inside one Durable Object. */
export interface DurableObjectEngine {
  /** Runs one operation for the handle with `prefix`; synchronous and atomic. */
  execute(prefix: string, operation: string, args: readonly unknown[]): unknown;
  /** Whether a group has entries it has not delivered yet (a blocked readGroup asks this). */
  hasUndelivered(prefix: string, stream: string, group: string): boolean;
  /** The earliest expiry of a key or lease, for the alarm; `undefined` when nothing expires. */
  nextExpiry(): number | undefined;
  /** Deletes expired keys and leases. */
  sweep(time: number): void;
  /** Row counts (expired rows included until the alarm sweeps them), for diagnostics. */
  stats(): { keys: number; leases: number; streamEntries: number };
}

/** Creates the tables if missing and returns the engine over `storage`. */
export function createDurableObjectEngine(
  storage: DurableObjectStorage,
  now: () => number = Date.now,
): DurableObjectEngine {
  const { sql } = storage;
  for (const statement of schema) sql.exec(statement);
  const helpers = createSqlHelpers(sql, now);
  const { all, first, written } = helpers;
  const { streams, hasUndelivered } = createDurableObjectStreams(helpers);

  // Key/value ------------------------------------------------------------------------------
  const live = (key: string): KvRow | undefined =>
    first<KvRow>(
      'SELECT key, value, version, expires_at FROM kv WHERE key = ? AND (expires_at IS NULL OR expires_at > ?)',
      key,
      now(),
    );
  const toKv = (key: string, row: Omit<KvRow, 'key'>): KeyValueEntry => ({
    key,
    value: row.value,
    version: row.version,
    ...(row.expires_at === null ? {} : { expiresAt: row.expires_at }),
  });
  const write = (prefix: string, key: string, value: string, ttlMs: number | undefined) => {
    const version = (live(prefix + key)?.version ?? 0) + 1;
    const expiresAt = ttlMs === undefined ? null : now() + ttlMs;
    sql.exec(
      'INSERT OR REPLACE INTO kv (key, value, version, expires_at) VALUES (?, ?, ?, ?)',
      prefix + key,
      value,
      version,
      expiresAt,
    );
    return toKv(key, { value, version, expires_at: expiresAt });
  };
  const kv = {
    get: (prefix: string, [key]: Args) => {
      const row = live(prefix + text(key, 'key'));
      return row && toKv(key as string, row);
    },
    set: (prefix: string, [key, value, options]: Args) => {
      const ttlMs = object<{ ttlMs: number }>(options).ttlMs;
      checkDuration('ttlMs', ttlMs);
      return write(prefix, text(key, 'key'), text(value, 'value'), ttlMs);
    },
    compareAndSet: (prefix: string, [key, value, options]: Args): CompareAndSetResult => {
      const { expectedVersion, ttlMs } = object<{ expectedVersion: number | null; ttlMs: number }>(
        options,
      );
      checkDuration('ttlMs', ttlMs);
      const current = live(prefix + text(key, 'key'));
      if ((current?.version ?? null) !== (expectedVersion ?? null)) {
        return { ok: false, current: current && toKv(key as string, current) };
      }
      return { ok: true, entry: write(prefix, key as string, text(value, 'value'), ttlMs) };
    },
    delete: (prefix: string, [key, options]: Args) => {
      const { expectedVersion } = object<{ expectedVersion: number }>(options);
      const current = live(prefix + text(key, 'key'));
      if (!current || (expectedVersion !== undefined && current.version !== expectedVersion))
        return false;
      sql.exec('DELETE FROM kv WHERE key = ?', prefix + key);
      return true;
    },
    increment: (prefix: string, [key, options]: Args) => {
      const { by = 1, ttlMs } = object<{ by: number; ttlMs: number }>(options);
      checkInteger('by', by);
      checkDuration('ttlMs', ttlMs);
      const current = live(prefix + text(key, 'key'));
      const next = parseCounter(key as string, current?.value) + by;
      const expiresAt = current ? current.expires_at : ttlMs === undefined ? null : now() + ttlMs;
      sql.exec(
        'INSERT OR REPLACE INTO kv (key, value, version, expires_at) VALUES (?, ?, ?, ?)',
        prefix + key,
        String(next),
        (current?.version ?? 0) + 1,
        expiresAt,
      );
      return next;
    },
    list: (prefix: string, [options]: Args): ListPage => {
      const listOptions = object<{ prefix: string; cursor: string; limit: number }>(options);
      const limit = checkCount('limit', listOptions.limit, 100);
      const start = prefix + (listOptions.prefix ?? '');
      const after = listOptions.cursor === undefined ? '' : prefix + listOptions.cursor;
      const rows = all<KvRow>(
        `SELECT key, value, version, expires_at FROM kv
         WHERE key >= ? AND key > ? AND substr(key, 1, length(?)) = ?
           AND (expires_at IS NULL OR expires_at > ?)
         ORDER BY key LIMIT ?`,
        start,
        after,
        start,
        start,
        now(),
        limit + 1,
      );
      const entries = rows.slice(0, limit).map((row) => toKv(row.key.slice(prefix.length), row));
      return rows.length > limit ? { entries, cursor: entries[limit - 1]!.key } : { entries };
    },
  };

  // Leases -----------------------------------------------------------------------------------
  const liveLease = (name: string) =>
    first<{ holder: string; token: string; expires_at: number }>(
      'SELECT holder, token, expires_at FROM leases WHERE name = ? AND expires_at > ?',
      name,
      now(),
    );
  const leaseOf = (value: unknown): Lease => {
    const lease = object<Lease>(value);
    return {
      name: text(lease.name, 'lease.name'),
      holder: text(lease.holder, 'lease.holder'),
      token: text(lease.token, 'lease.token'),
      expiresAt: Number(lease.expiresAt),
    };
  };
  const leases = {
    acquire: (prefix: string, [name, options]: Args) => {
      const { ttlMs, holder } = object<{ ttlMs: number; holder: string }>(options);
      checkDuration('ttlMs', ttlMs);
      if (ttlMs === undefined)
        throw new StoreError('STORE_INVALID_ARGUMENT', 'ttlMs is required to acquire a lease.');
      if (liveLease(prefix + text(name, 'name'))) return undefined;
      const lease: Lease = {
        name: name as string,
        holder: holder ?? crypto.randomUUID(),
        token: crypto.randomUUID(),
        expiresAt: now() + ttlMs,
      };
      sql.exec(
        'INSERT OR REPLACE INTO leases (name, holder, token, expires_at) VALUES (?, ?, ?, ?)',
        prefix + name,
        lease.holder,
        lease.token,
        lease.expiresAt,
      );
      return lease;
    },
    renew: (prefix: string, [value, options]: Args) => {
      const lease = leaseOf(value);
      const { ttlMs } = object<{ ttlMs: number }>(options);
      checkDuration('ttlMs', ttlMs);
      const expiresAt = now() + (ttlMs ?? 0);
      const changed = written(
        'UPDATE leases SET expires_at = ? WHERE name = ? AND token = ? AND expires_at > ?',
        expiresAt,
        prefix + lease.name,
        lease.token,
        now(),
      );
      return changed === 1 ? { ...lease, expiresAt } : undefined;
    },
    release: (prefix: string, [value]: Args) => {
      const lease = leaseOf(value);
      return (
        written(
          'DELETE FROM leases WHERE name = ? AND token = ? AND expires_at > ?',
          prefix + lease.name,
          lease.token,
          now(),
        ) === 1
      );
    },
    get: (prefix: string, [name]: Args) => {
      const row = liveLease(prefix + text(name, 'name'));
      return row && { name: name as string, holder: row.holder, expiresAt: row.expires_at };
    },
  };

  const groups: Record<string, Record<string, (prefix: string, args: Args) => unknown>> = {
    kv,
    streams,
    leases,
  };
  return {
    execute(prefix, operation, args) {
      const [group, method] = operation.split('.');
      const run = group && method ? groups[group]?.[method] : undefined;
      if (!run || !Object.hasOwn(groups[group!]!, method!)) {
        throw new StoreError(
          'STORE_INVALID_ARGUMENT',
          `Unknown store operation "${operation}"; the client and the Durable Object run different versions of @fedmcp/store.`,
        );
      }
      return storage.transactionSync(() => run(prefix, args));
    },
    hasUndelivered,
    nextExpiry() {
      const row = first<{ at: number | null }>(
        `SELECT min(at) AS at FROM (
           SELECT min(expires_at) AS at FROM kv WHERE expires_at IS NOT NULL
           UNION ALL SELECT min(expires_at) AS at FROM leases)`,
      );
      return row?.at ?? undefined;
    },
    stats() {
      const countOf = (table: string) =>
        first<{ count: number }>(`SELECT count(*) AS count FROM ${table}`)?.count ?? 0;
      return {
        keys: countOf('kv'),
        leases: countOf('leases'),
        streamEntries: countOf('stream_entries'),
      };
    },
    sweep(time) {
      storage.transactionSync(() => {
        sql.exec('DELETE FROM kv WHERE expires_at <= ?', time);
        sql.exec('DELETE FROM leases WHERE expires_at <= ?', time);
      });
    },
  };
}
