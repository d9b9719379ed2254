/**
 * Key/value of the postgres engine: one statement per operation (an upsert for `set` and
 * `increment`, a row-locking function for `compareAndSet`), keys in byte order (`COLLATE "C"`),
 * expired entries invisible at once and deleted by the store's sweep.
 */
import { checkCount, checkDuration, checkInteger } from '../check-arguments.js';
import type { KeyValueEntry, KeyValueStore } from '../store.js';
import { StoreError } from '../store-error.js';

export interface PostgresKvContext {
  /** Runs one prepared statement. */
  query: <T>(text: string, parameters: unknown[]) => Promise<T[]>;
  /** The quoted schema name. */
  schema: string;
  prefix: string;
  now: () => number;
}

interface KvRow {
  key?: string;
  value: string;
  version: string;
  expires_at: string | null;
}

const toEntry = (key: string, row: KvRow): KeyValueEntry => ({
  key,
  value: row.value,
  version: Number(row.version),
  ...(row.expires_at === null ? {} : { expiresAt: Number(row.expires_at) }),
});

/** The smallest string above every string that starts with `start` (code point order), if any. */
function upperBound(start: string): string | null {
  const points = [...start];
  while (points.length > 0) {
    const next = points.pop()!.codePointAt(0)! + 1;
    if (next <= 0x10ffff) {
      return points.join('') + String.fromCodePoint(next === 0xd800 ? 0xe000 : next);
    }
  }
  return null;
}

/** Builds the {@link KeyValueStore} of a postgres store. */
export function createPostgresKv(context: PostgresKvContext): KeyValueStore {
  const { query, schema: s, prefix, now } = context;
  const live = '(expires_at IS NULL OR expires_at > $2)';
  return {
    get: async (key) => {
      const [row] = await query<KvRow>(
        `SELECT value, version, expires_at FROM ${s}.kv WHERE key = $1 AND ${live}`,
        [prefix + key, now()],
      );
      return row && toEntry(key, row);
    },
    set: async (key, value, setOptions = {}) => {
      checkDuration('ttlMs', setOptions.ttlMs);
      const time = now();
      const expiresAt = setOptions.ttlMs === undefined ? null : time + setOptions.ttlMs;
      const [row] = await query<KvRow>(
        `INSERT INTO ${s}.kv AS kv (key, value, version, expires_at) VALUES ($1, $3, 1, $4)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at,
         version = CASE WHEN kv.expires_at <= $2 THEN 1 ELSE kv.version + 1 END
       RETURNING value, version, expires_at`,
        [prefix + key, time, value, expiresAt],
      );
      return toEntry(key, row!);
    },
    compareAndSet: async (key, value, casOptions) => {
      checkDuration('ttlMs', casOptions.ttlMs);
      const time = now();
      const [row] = await query<KvRow & { ok: boolean }>(
        `SELECT ok, out_value AS value, out_version AS version, out_expires_at AS expires_at
       FROM ${s}.kv_compare_and_set($1, $2, $3, $4, $5)`,
        [
          prefix + key,
          value,
          casOptions.expectedVersion,
          casOptions.ttlMs === undefined ? null : time + casOptions.ttlMs,
          time,
        ],
      );
      if (row!.ok) return { ok: true, entry: toEntry(key, row!) };
      return { ok: false, current: row!.version === null ? undefined : toEntry(key, row!) };
    },
    delete: async (key, deleteOptions = {}) => {
      const result = await query(
        `DELETE FROM ${s}.kv WHERE key = $1 AND ${live} AND ($3::bigint IS NULL OR version = $3)`,
        [prefix + key, now(), deleteOptions.expectedVersion ?? null],
      );
      return (result as unknown as { count: number }).count === 1;
    },
    increment: async (key, incrementOptions = {}) => {
      const by = incrementOptions.by ?? 1;
      checkInteger('by', by);
      checkDuration('ttlMs', incrementOptions.ttlMs);
      const time = now();
      const expiresAt = incrementOptions.ttlMs === undefined ? null : time + incrementOptions.ttlMs;
      // A stored value that is not an integer becomes 'x', whose cast fails with 22P02.
      const [row] = await query<{ value: string }>(
        `INSERT INTO ${s}.kv AS kv (key, value, version, expires_at) VALUES ($1, $3::bigint::text, 1, $4)
       ON CONFLICT (key) DO UPDATE SET
         value = CASE WHEN kv.expires_at <= $2 THEN $3::bigint
           ELSE (CASE WHEN kv.value ~ '^-?[0-9]{1,19}$' THEN kv.value ELSE 'x' END)::bigint + $3::bigint
           END::text,
         version = CASE WHEN kv.expires_at <= $2 THEN 1 ELSE kv.version + 1 END,
         expires_at = CASE WHEN kv.expires_at <= $2 THEN EXCLUDED.expires_at ELSE kv.expires_at END
       RETURNING value`,
        [prefix + key, time, by, expiresAt],
      ).catch((error: unknown) => {
        const cause = StoreError.isInstance(error) ? error.cause : error;
        const code = (cause as { code?: unknown } | null)?.code;
        if (code !== '22P02' && code !== '22003') throw error;
        throw new StoreError(
          'STORE_INVALID_VALUE',
          `Cannot increment "${key}": its value is not an integer (or the result overflows 64 bits).`,
          { cause },
        );
      });
      return Number(row!.value);
    },
    list: async (listOptions = {}) => {
      const limit = checkCount('limit', listOptions.limit, 100);
      const start = prefix + (listOptions.prefix ?? '');
      const after = listOptions.cursor === undefined ? '' : prefix + listOptions.cursor;
      const rows = await query<KvRow & { key: string }>(
        `SELECT key, value, version, expires_at FROM ${s}.kv
       WHERE key >= $1 AND key > $3 AND ($4::text IS NULL OR key < $4) AND starts_with(key, $1)
         AND (expires_at IS NULL OR expires_at > $2)
       ORDER BY key LIMIT $5`,
        [start, now(), after, upperBound(start), limit + 1],
      );
      const entries = rows.slice(0, limit).map((row) => toEntry(row.key.slice(prefix.length), row));
      return rows.length > limit ? { entries, cursor: entries[limit - 1]!.key } : { entries };
    },
  };
}
