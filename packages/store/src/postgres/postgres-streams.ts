/**
 * Streams and consumer groups of the postgres engine. Appends, group reads and claims are
 * functions of the schema (one round trip each, atomic); a blocked `readGroup` LISTENs on the
 * stream's wake-up channel, which appends to streams with consumer groups NOTIFY.
 */
import {
  checkCount,
  checkDuration,
  checkTrim,
  checkWait,
  defaultDeadLetterStream,
} from '../check-arguments.js';
import type { DeadLetterOrigin, DeliveredMessage, StreamEntry, StreamStore } from '../store.js';
import { StoreError } from '../store-error.js';
import { formatStreamId, parseStreamId } from '../stream-id.js';
import type { PostgresConnection } from './postgres-connection.js';
import type { PostgresNotifications } from './postgres-notifications.js';
import { NO_GROUP_SQLSTATE } from './postgres-schema.js';

export interface PostgresStreamsContext {
  connection: PostgresConnection;
  notifications: PostgresNotifications;
  /** The quoted schema name. */
  schema: string;
  prefix: string;
  now: () => number;
  /** How often a blocked readGroup looks again even without a wake-up (a missed NOTIFY). */
  pollIntervalMs: number;
}

interface EntryRow {
  ms: string;
  sequence: string;
  data: string;
  dead_letter: string | null;
}

const toEntry = (row: EntryRow): StreamEntry => {
  const ms = Number(row.ms);
  const entry: StreamEntry = {
    id: formatStreamId({ ms, sequence: Number(row.sequence) }),
    data: row.data,
    timestamp: ms,
  };
  if (row.dead_letter !== null) entry.deadLetter = JSON.parse(row.dead_letter) as DeadLetterOrigin;
  return entry;
};

/** Builds the {@link StreamStore} of a postgres store. */
export function createPostgresStreams(context: PostgresStreamsContext): StreamStore {
  const { connection, schema: s, prefix, now } = context;
  const run = connection.run;
  const noGroup = (stream: string, group: string) => (error: unknown) => {
    if ((error as { code?: unknown } | null)?.code === NO_GROUP_SQLSTATE) {
      throw new StoreError(
        'STORE_NO_GROUP',
        `No consumer group "${group}" on stream "${stream}"; call createGroup() first.`,
      );
    }
    throw error;
  };
  const readOnce = (stream: string, group: string, consumer: string, count: number) =>
    run(async (sql) => {
      const rows = await sql
        .unsafe<EntryRow[]>(
          `SELECT out_ms AS ms, out_sequence AS sequence, out_data AS data, out_dead_letter AS dead_letter
           FROM ${s}.stream_read_group($1, $2, $3, $4, $5)`,
          [prefix + stream, group, consumer, count, now()],
          { prepare: true },
        )
        .catch(noGroup(stream, group));
      return rows.map((row): DeliveredMessage => ({ ...toEntry(row), deliveryCount: 1 }));
    });

  return {
    append: (stream, data) =>
      run(async (sql) => {
        const [row] = await sql.unsafe<{ ms: string; sequence: string }[]>(
          `SELECT out_ms AS ms, out_sequence AS sequence FROM ${s}.stream_append($1, $2, NULL, $3)`,
          [prefix + stream, data, now()],
          { prepare: true },
        );
        return `${row!.ms}-${row!.sequence}`;
      }),
    read: (stream, options = {}) =>
      run(async (sql) => {
        const limit = checkCount('limit', options.limit, 100);
        const after =
          options.after === undefined ? { ms: -1, sequence: 0 } : parseStreamId(options.after);
        const rows = await sql.unsafe<EntryRow[]>(
          `SELECT ms, sequence, data, dead_letter FROM ${s}.stream_entries
           WHERE stream = $1 AND (ms, sequence) > ($2::bigint, $3::bigint)
           ORDER BY ms, sequence LIMIT $4`,
          [prefix + stream, after.ms, after.sequence, limit],
          { prepare: true },
        );
        return rows.map(toEntry);
      }),
    length: (stream) =>
      run(async (sql) => {
        const [row] = await sql.unsafe<{ count: string }[]>(
          `SELECT count(*) AS count FROM ${s}.stream_entries WHERE stream = $1`,
          [prefix + stream],
          { prepare: true },
        );
        return Number(row!.count);
      }),
    trim: (stream, options) =>
      run(async (sql) => {
        checkTrim(options);
        let removed = 0;
        if (options.maxLength !== undefined) {
          const result = await sql.unsafe(
            `DELETE FROM ${s}.stream_entries WHERE stream = $1 AND (ms, sequence) <= (
               SELECT ms, sequence FROM ${s}.stream_entries WHERE stream = $1
               ORDER BY ms DESC, sequence DESC OFFSET $2 LIMIT 1)`,
            [prefix + stream, options.maxLength],
            { prepare: true },
          );
          removed += result.count;
        }
        if (options.maxAgeMs !== undefined) {
          const result = await sql.unsafe(
            `DELETE FROM ${s}.stream_entries WHERE stream = $1 AND ms < $2`,
            [prefix + stream, now() - options.maxAgeMs],
            { prepare: true },
          );
          removed += result.count;
        }
        return removed;
      }),
    delete: (stream) =>
      run(async (sql) => {
        const [row] = await sql.unsafe<{ removed: string }[]>(
          `WITH e AS (DELETE FROM ${s}.stream_entries WHERE stream = $1 RETURNING 1),
                m AS (DELETE FROM ${s}.stream_meta WHERE stream = $1 RETURNING 1),
                g AS (DELETE FROM ${s}.stream_groups WHERE stream = $1 RETURNING 1),
                p AS (DELETE FROM ${s}.stream_pending WHERE stream = $1 RETURNING 1)
           SELECT (SELECT count(*) FROM e) + (SELECT count(*) FROM m)
                + (SELECT count(*) FROM g) + (SELECT count(*) FROM p) AS removed`,
          [prefix + stream],
          { prepare: true },
        );
        return Number(row!.removed) > 0;
      }),
    createGroup: (stream, group, options = {}) =>
      run(async (sql) => {
        await sql.unsafe(
          `INSERT INTO ${s}.stream_groups (stream, name, last_ms, last_sequence)
           SELECT $1, $2, coalesce(m.last_ms, -1), coalesce(m.last_sequence, 0)
           FROM (SELECT 1) AS one
           LEFT JOIN ${s}.stream_meta m ON $3 AND m.stream = $1
           ON CONFLICT (stream, name) DO NOTHING`,
          [prefix + stream, group, options.from === 'end'],
          { prepare: true },
        );
      }),
    readGroup: async (stream, group, consumer, options = {}) => {
      const count = checkCount('count', options.count, 10);
      const blockMs = checkWait('blockMs', options.blockMs);
      const first = await readOnce(stream, group, consumer, count);
      if (first.length > 0 || blockMs === 0) return first;
      const deadline = Date.now() + blockMs;
      // Listen first, then look again: an append between the two reads still wakes us.
      const wakeups = await context.notifications.watchStream(prefix + stream);
      try {
        for (;;) {
          const delivered = await readOnce(stream, group, consumer, count);
          const remaining = deadline - Date.now();
          if (delivered.length > 0 || remaining <= 0) return delivered;
          await wakeups.next(Math.min(context.pollIntervalMs, remaining));
        }
      } finally {
        wakeups.release();
      }
    },
    ack: (stream, group, ids) =>
      run(async (sql) => {
        if (ids.length === 0) return 0;
        const parts = ids.map((id) => {
          const { ms, sequence } = parseStreamId(id);
          return [ms, sequence];
        });
        const result = await sql.unsafe(
          `DELETE FROM ${s}.stream_pending p USING jsonb_array_elements($3::text::jsonb) AS id
           WHERE p.stream = $1 AND p.group_name = $2
             AND p.ms = (id->>0)::bigint AND p.sequence = (id->>1)::bigint`,
          [prefix + stream, group, JSON.stringify(parts)],
          { prepare: true },
        );
        return result.count;
      }),
    claim: (stream, group, consumer, options) =>
      run(async (sql) => {
        checkDuration('minIdleMs', options.minIdleMs);
        const count = checkCount('count', options.count, 10);
        const maxDeliveries = options.maxDeliveries ?? Number.POSITIVE_INFINITY;
        const deadLetterStream = options.deadLetterStream ?? defaultDeadLetterStream(stream);
        const rows = await sql
          .unsafe<(EntryRow & { kind: string; delivery_count: string })[]>(
            `SELECT out_kind AS kind, out_ms AS ms, out_sequence AS sequence, out_data AS data,
                    out_dead_letter AS dead_letter, out_delivery_count AS delivery_count
             FROM ${s}.stream_claim($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
            [
              prefix + stream,
              stream,
              group,
              consumer,
              options.minIdleMs,
              count,
              Number.isFinite(maxDeliveries) ? maxDeliveries : null,
              prefix + deadLetterStream,
              now(),
            ],
            { prepare: true },
          )
          .catch(noGroup(stream, group));
        const messages: DeliveredMessage[] = [];
        const deadLettered: string[] = [];
        for (const row of rows) {
          if (row.kind === 'dead') deadLettered.push(`${row.ms}-${row.sequence}`);
          else messages.push({ ...toEntry(row), deliveryCount: Number(row.delivery_count) });
        }
        return { messages, deadLettered };
      }),
    pending: (stream, group, options = {}) =>
      run(async (sql) => {
        const limit = checkCount('limit', options.limit, 100);
        const rows = await sql.unsafe<
          {
            ms: string | null;
            sequence: string;
            consumer: string;
            delivery_count: string;
            delivered_at: string;
          }[]
        >(
          `SELECT p.ms, p.sequence, p.consumer, p.delivery_count, p.delivered_at
           FROM ${s}.stream_groups g LEFT JOIN LATERAL (
             SELECT * FROM ${s}.stream_pending p WHERE p.stream = g.stream AND p.group_name = g.name
             ORDER BY p.ms, p.sequence LIMIT $3) p ON true
           WHERE g.stream = $1 AND g.name = $2
           ORDER BY p.ms, p.sequence`,
          [prefix + stream, group, limit],
          { prepare: true },
        );
        if (rows.length === 0) noGroup(stream, group)({ code: NO_GROUP_SQLSTATE });
        const time = now();
        return rows
          .filter((row) => row.ms !== null)
          .map((row) => ({
            id: `${row.ms}-${row.sequence}`,
            consumer: row.consumer,
            deliveryCount: Number(row.delivery_count),
            idleMs: time - Number(row.delivered_at),
          }));
      }),
  };
}
