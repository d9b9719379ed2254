/**
 * The store's operations on a Durable Object's SQLite storage (`ctx.storage.sql`). A Durable
 * Object runs one event at a time and `sql.exec` is synchronous, so every operation below is
 * atomic; `transactionSync` adds the rollback when one throws halfway. The same tables as the
 * sqlite engine; names carry the caller's prefix.
 */
import {
  checkCount,
  checkDuration,
  checkInteger,
  checkTrim,
  defaultDeadLetterStream,
  parseCounter,
} from '../check-arguments.js';
import type {
  ClaimResult,
  CompareAndSetResult,
  DeadLetterOrigin,
  DeliveredMessage,
  KeyValueEntry,
  Lease,
  ListPage,
  PendingMessage,
  StreamEntry,
} from '../store.js';
import { StoreError } from '../store-error.js';
import { formatStreamId, nextStreamId, parseStreamId } from '../stream-id.js';
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

interface EntryRow {
  ms: number;
  sequence: number;
  data: string;
  dead_letter: string | null;
}

interface PendingRow {
  ms: number;
  sequence: number;
  consumer: string;
  delivery_count: number;
  delivered_at: number;
}

const toStreamEntry = (row: EntryRow): StreamEntry => {
  const entry: StreamEntry = {
    id: formatStreamId({ ms: row.ms, sequence: row.sequence }),
    data: row.data,
    timestamp: row.ms,
  };
  if (row.dead_letter !== null) entry.deadLetter = JSON.parse(row.dead_letter) as DeadLetterOrigin;
  return entry;
};

/** Every operation of the wire protocol between the client and the object, with its arguments. */
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

type Args = readonly unknown[];
const text = (value: unknown, name: string): string => {
  if (typeof value !== 'string')
    throw new StoreError('STORE_INVALID_ARGUMENT', `${name} must be a string.`);
  return value;
};
const object = <T>(value: unknown): Partial<T> =>
  (value !== null && typeof value === 'object' ? value : {}) as Partial<T>;

/** Creates the tables if missing and returns the engine over `storage`. */
export function createDurableObjectEngine(
  storage: DurableObjectStorage,
  now: () => number = Date.now,
): DurableObjectEngine {
  const { sql } = storage;
  for (const statement of schema) sql.exec(statement);
  const all = <Row>(query: string, ...bindings: unknown[]): Row[] =>
    sql.exec<Row>(query, ...bindings).toArray();
  const first = <Row>(query: string, ...bindings: unknown[]): Row | undefined =>
    all<Row>(query, ...bindings)[0];
  // Rows changed by a statement: `changes()`, because the cursor's rowsWritten also counts the
  // index entries it wrote.
  const written = (query: string, ...bindings: unknown[]): number => {
    sql.exec(query, ...bindings);
    return first<{ changed: number }>('SELECT changes() AS changed')?.changed ?? 0;
  };

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

  // Streams ----------------------------------------------------------------------------------
  const requireGroup = (name: string, stream: string, group: string) => {
    const found = first<{ last_ms: number; last_sequence: number }>(
      'SELECT last_ms, last_sequence FROM stream_groups WHERE stream = ? AND name = ?',
      name,
      group,
    );
    if (!found) {
      throw new StoreError(
        'STORE_NO_GROUP',
        `No consumer group "${group}" on stream "${stream}"; call createGroup() first.`,
      );
    }
    return found;
  };
  const appendRow = (name: string, data: string, deadLetter?: DeadLetterOrigin): string => {
    const meta = first<{ last_ms: number; last_sequence: number }>(
      'SELECT last_ms, last_sequence FROM stream_meta WHERE stream = ?',
      name,
    );
    const parts = nextStreamId(meta && { ms: meta.last_ms, sequence: meta.last_sequence }, now());
    sql.exec(
      'INSERT OR REPLACE INTO stream_meta (stream, last_ms, last_sequence) VALUES (?, ?, ?)',
      name,
      parts.ms,
      parts.sequence,
    );
    sql.exec(
      'INSERT INTO stream_entries (stream, ms, sequence, data, dead_letter) VALUES (?, ?, ?, ?, ?)',
      name,
      parts.ms,
      parts.sequence,
      data,
      deadLetter ? JSON.stringify(deadLetter) : null,
    );
    return formatStreamId(parts);
  };
  const entriesAfter = (name: string, ms: number, sequence: number, limit: number) =>
    all<EntryRow>(
      `SELECT ms, sequence, data, dead_letter FROM stream_entries
       WHERE stream = ? AND (ms, sequence) > (?, ?) ORDER BY ms, sequence LIMIT ?`,
      name,
      ms,
      sequence,
      limit,
    );
  const count = (name: string): number =>
    first<{ count: number }>('SELECT count(*) AS count FROM stream_entries WHERE stream = ?', name)
      ?.count ?? 0;
  const streams = {
    append: (prefix: string, [stream, data]: Args) =>
      appendRow(prefix + text(stream, 'stream'), text(data, 'data')),
    read: (prefix: string, [stream, options]: Args) => {
      const readOptions = object<{ after: string; limit: number }>(options);
      const limit = checkCount('limit', readOptions.limit, 100);
      const after =
        readOptions.after === undefined
          ? { ms: -1, sequence: 0 }
          : parseStreamId(readOptions.after);
      return entriesAfter(prefix + text(stream, 'stream'), after.ms, after.sequence, limit).map(
        toStreamEntry,
      );
    },
    length: (prefix: string, [stream]: Args) => count(prefix + text(stream, 'stream')),
    trim: (prefix: string, [stream, options]: Args) => {
      const trimOptions = object<{ maxLength: number; maxAgeMs: number }>(options);
      checkTrim(trimOptions);
      const name = prefix + text(stream, 'stream');
      let removed = 0;
      if (trimOptions.maxLength !== undefined) {
        const excess = count(name) - Math.max(0, trimOptions.maxLength);
        if (excess > 0) {
          removed += written(
            `DELETE FROM stream_entries WHERE stream = ? AND (ms, sequence) IN
               (SELECT ms, sequence FROM stream_entries WHERE stream = ? ORDER BY ms, sequence LIMIT ?)`,
            name,
            name,
            excess,
          );
        }
      }
      if (trimOptions.maxAgeMs !== undefined) {
        removed += written(
          'DELETE FROM stream_entries WHERE stream = ? AND ms < ?',
          name,
          now() - trimOptions.maxAgeMs,
        );
      }
      return removed;
    },
    delete: (prefix: string, [stream]: Args) => {
      const name = prefix + text(stream, 'stream');
      let removed = 0;
      for (const table of ['stream_entries', 'stream_meta', 'stream_groups', 'stream_pending'])
        removed += written(`DELETE FROM ${table} WHERE stream = ?`, name);
      return removed > 0;
    },
    createGroup: (prefix: string, [stream, group, options]: Args) => {
      const name = prefix + text(stream, 'stream');
      const fromEnd = object<{ from: string }>(options).from === 'end';
      const meta = fromEnd
        ? first<{ last_ms: number; last_sequence: number }>(
            'SELECT last_ms, last_sequence FROM stream_meta WHERE stream = ?',
            name,
          )
        : undefined;
      sql.exec(
        'INSERT OR IGNORE INTO stream_groups (stream, name, last_ms, last_sequence) VALUES (?, ?, ?, ?)',
        name,
        text(group, 'group'),
        meta?.last_ms ?? -1,
        meta?.last_sequence ?? 0,
      );
      return undefined;
    },
    readGroup: (prefix: string, [stream, group, consumer, options]: Args): DeliveredMessage[] => {
      const limit = checkCount('count', object<{ count: number }>(options).count, 10);
      const name = prefix + text(stream, 'stream');
      const state = requireGroup(name, stream as string, text(group, 'group'));
      const rows = entriesAfter(name, state.last_ms, state.last_sequence, limit);
      const time = now();
      for (const row of rows) {
        sql.exec(
          `INSERT OR REPLACE INTO stream_pending
             (stream, group_name, ms, sequence, consumer, delivery_count, delivered_at)
           VALUES (?, ?, ?, ?, ?, 1, ?)`,
          name,
          group,
          row.ms,
          row.sequence,
          text(consumer, 'consumer'),
          time,
        );
      }
      const last = rows.at(-1);
      if (last) {
        sql.exec(
          'UPDATE stream_groups SET last_ms = ?, last_sequence = ? WHERE stream = ? AND name = ?',
          last.ms,
          last.sequence,
          name,
          group,
        );
      }
      return rows.map((row) => ({ ...toStreamEntry(row), deliveryCount: 1 }));
    },
    ack: (prefix: string, [stream, group, ids]: Args) => {
      const name = prefix + text(stream, 'stream');
      let acknowledged = 0;
      for (const id of new Set(Array.isArray(ids) ? (ids as unknown[]) : [])) {
        const parts = parseStreamId(text(id, 'id'));
        acknowledged += written(
          'DELETE FROM stream_pending WHERE stream = ? AND group_name = ? AND ms = ? AND sequence = ?',
          name,
          group,
          parts.ms,
          parts.sequence,
        );
      }
      return acknowledged;
    },
    claim: (prefix: string, [stream, group, consumer, options]: Args): ClaimResult => {
      const claimOptions = object<{
        minIdleMs: number;
        count: number;
        maxDeliveries: number | null;
        deadLetterStream: string;
      }>(options);
      checkDuration('minIdleMs', claimOptions.minIdleMs);
      const limit = checkCount('count', claimOptions.count, 10);
      // JSON has no Infinity: null (or absent) means "never dead-letter".
      const maxDeliveries = claimOptions.maxDeliveries ?? Number.POSITIVE_INFINITY;
      const deadLetterStream =
        claimOptions.deadLetterStream ?? defaultDeadLetterStream(stream as string);
      const name = prefix + text(stream, 'stream');
      requireGroup(name, stream as string, text(group, 'group'));
      const time = now();
      const messages: DeliveredMessage[] = [];
      const deadLettered: string[] = [];
      const idle = all<PendingRow>(
        `SELECT ms, sequence, consumer, delivery_count, delivered_at FROM stream_pending
         WHERE stream = ? AND group_name = ? AND delivered_at <= ? ORDER BY ms, sequence LIMIT ?`,
        name,
        group,
        time - (claimOptions.minIdleMs ?? 0),
        limit,
      );
      for (const pending of idle) {
        const id = formatStreamId(pending);
        const row = first<EntryRow>(
          'SELECT ms, sequence, data, dead_letter FROM stream_entries WHERE stream = ? AND ms = ? AND sequence = ?',
          name,
          pending.ms,
          pending.sequence,
        );
        if (!row || pending.delivery_count >= maxDeliveries) {
          sql.exec(
            'DELETE FROM stream_pending WHERE stream = ? AND group_name = ? AND ms = ? AND sequence = ?',
            name,
            group,
            pending.ms,
            pending.sequence,
          );
          if (!row) continue; // trimmed while pending: nothing left to deliver
          appendRow(prefix + deadLetterStream, row.data, {
            stream: stream as string,
            group: group as string,
            id,
            deliveryCount: pending.delivery_count,
          });
          deadLettered.push(id);
          continue;
        }
        const deliveryCount = pending.delivery_count + 1;
        sql.exec(
          `UPDATE stream_pending SET consumer = ?, delivery_count = ?, delivered_at = ?
           WHERE stream = ? AND group_name = ? AND ms = ? AND sequence = ?`,
          text(consumer, 'consumer'),
          deliveryCount,
          time,
          name,
          group,
          pending.ms,
          pending.sequence,
        );
        messages.push({ ...toStreamEntry(row), deliveryCount });
      }
      return { messages, deadLettered };
    },
    pending: (prefix: string, [stream, group, options]: Args): PendingMessage[] => {
      const limit = checkCount('limit', object<{ limit: number }>(options).limit, 100);
      const name = prefix + text(stream, 'stream');
      requireGroup(name, stream as string, text(group, 'group'));
      const time = now();
      return all<PendingRow>(
        `SELECT ms, sequence, consumer, delivery_count, delivered_at FROM stream_pending
         WHERE stream = ? AND group_name = ? ORDER BY ms, sequence LIMIT ?`,
        name,
        group,
        limit,
      ).map((row) => ({
        id: formatStreamId(row),
        consumer: row.consumer,
        deliveryCount: row.delivery_count,
        idleMs: time - row.delivered_at,
      }));
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
    hasUndelivered(prefix, stream, group) {
      return (
        first<{ ready: number }>(
          `SELECT EXISTS (SELECT 1 FROM stream_entries e JOIN stream_groups g ON g.stream = e.stream
             WHERE g.stream = ? AND g.name = ? AND (e.ms, e.sequence) > (g.last_ms, g.last_sequence)) AS ready`,
          prefix + stream,
          group,
        )?.ready === 1
      );
    },
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
