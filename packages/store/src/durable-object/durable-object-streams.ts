/**
 * Streams and consumer groups of the Durable Object engine (the sqlite engine's tables and
 * semantics; every operation synchronous inside the object).
 */
import {
  checkCount,
  checkDuration,
  checkTrim,
  defaultDeadLetterStream,
} from '../check-arguments.js';
import type {
  ClaimResult,
  DeadLetterOrigin,
  DeliveredMessage,
  PendingMessage,
  StreamEntry,
} from '../store.js';
import { StoreError } from '../store-error.js';
import { formatStreamId, nextStreamId, parseStreamId } from '../stream-id.js';
import { type Args, object, type SqlHelpers, text } from './durable-object-sql.js';

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
/** The `streams.*` operations, and whether a group has entries it has not delivered. */
export function createDurableObjectStreams({ sql, now, all, first, written }: SqlHelpers) {
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

  const hasUndelivered = (prefix: string, stream: string, group: string): boolean => {
    return (
      first<{ ready: number }>(
        `SELECT EXISTS (SELECT 1 FROM stream_entries e JOIN stream_groups g ON g.stream = e.stream
             WHERE g.stream = ? AND g.name = ? AND (e.ms, e.sequence) > (g.last_ms, g.last_sequence)) AS ready`,
        prefix + stream,
        group,
      )?.ready === 1
    );
  };
  return { streams, hasUndelivered };
}
