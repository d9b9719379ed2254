/**
 * Streams and consumer groups of the sqlite engine; every mutation is one IMMEDIATE transaction.
 * Appends share one transaction: those of one turn of the event loop, and under concurrent appends
 * those of a short window after the previous commit (see `flushAppends`).
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
import { formatStreamId, nextStreamId, parseStreamId, type StreamIdParts } from '../stream-id.js';
import type { SqliteDatabase } from './sqlite-schema.js';

export interface SqliteStreamsContext {
  database: SqliteDatabase;
  now: () => number;
  prefix: string;
  run: <T>(operation: () => T) => Promise<T>;
  /** How often a blocked readGroup looks for entries appended by other processes. */
  pollIntervalMs: number;
  isClosed: () => boolean;
  /**
   * How long after a commit that held several appends the next one waits for more to join it (0:
   * the next turn of the event loop). After a commit of one append, the next is in the next turn.
   */
  appendWindowMs: number;
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

const toEntry = (row: EntryRow): StreamEntry => {
  const entry: StreamEntry = {
    id: formatStreamId({ ms: row.ms, sequence: row.sequence }),
    data: row.data,
    timestamp: row.ms,
  };
  if (row.dead_letter !== null) entry.deadLetter = JSON.parse(row.dead_letter) as DeadLetterOrigin;
  return entry;
};

interface PendingAppend {
  stream: string;
  data: string;
  resolve: (id: string | Promise<string>) => void;
}

/** Appends waiting for their commit beyond this many are committed at once. */
const MAX_APPEND_BATCH = 512;

/**
 * Held appends (`commitWithinMs`) are committed in the next turn once this many are pending,
 * whatever their window: a commit of 64 rows takes the event loop ~0.5 ms on a small VM, and
 * amortises BEGIN/COMMIT to ~7 µs a row (against ~50 µs for a commit of one).
 */
export const HELD_APPEND_BATCH = 64;

/** The {@link StreamStore} of a sqlite store, and how to commit its pending appends now. */
export interface SqliteStreams {
  streams: StreamStore;
  /** Commits pending appends synchronously (before close, at process exit). Never throws. */
  flushAppends(): void;
}

/** Builds the {@link StreamStore} of a sqlite store. */
export function createSqliteStreams(context: SqliteStreamsContext): SqliteStreams {
  const { database, now, prefix } = context;
  const statement = <P extends unknown[], R = unknown>(sql: string) => database.prepare<P, R>(sql);
  // A stream's last id: the larger of its newest entry and its `stream_meta` row. An append
  // writes only its entry (one page of the WAL per commit, not two: issue #18 profile, the commit
  // was most of an audited call's store cost); the row keeps the last id of entries a trim
  // removes, so ids never go back (see `keepLastId`). A process of an older version reads the row
  // alone: its next id is still larger once its clock is past the newest entry's millisecond.
  const selectLastRow = statement<[string, string], { ms: number; sequence: number }>(
    `SELECT ms, sequence FROM (
       SELECT last_ms AS ms, last_sequence AS sequence FROM stream_meta WHERE stream = ?
       UNION ALL
       SELECT ms, sequence FROM (SELECT ms, sequence FROM stream_entries WHERE stream = ?
         ORDER BY ms DESC, sequence DESC LIMIT 1)
     ) ORDER BY ms DESC, sequence DESC LIMIT 1`,
  );
  // The last ids this connection committed, valid while no other connection has committed since
  // (`PRAGMA data_version` changes only then): an append in a row reads no row of its stream.
  const dataVersion = database.prepare<[], number>('PRAGMA data_version').pluck();
  const knownLast = new Map<string, StreamIdParts>();
  let knownVersion: number | undefined;
  /** A stream's last id; only inside a write transaction (no other connection commits meanwhile). */
  const selectLast = (key: string): StreamIdParts | undefined => {
    const version = dataVersion.get();
    if (version !== knownVersion) {
      knownLast.clear();
      knownVersion = version;
    }
    return knownLast.get(key) ?? selectLastRow.get(key, key);
  };
  /** Notes the last ids of a committed batch (after its commit: a rolled back one notes none). */
  const noteCommitted = (lastIds: ReadonlyMap<string, StreamIdParts>): void => {
    if (knownLast.size > 1024) knownLast.clear();
    for (const [key, parts] of lastIds) knownLast.set(key, parts);
  };
  const upsertMeta = statement<[string, number, number]>(
    'INSERT OR REPLACE INTO stream_meta (stream, last_ms, last_sequence) VALUES (?, ?, ?)',
  );
  const insertEntry = statement<[string, number, number, string, string | null]>(
    'INSERT INTO stream_entries (stream, ms, sequence, data, dead_letter) VALUES (?, ?, ?, ?, ?)',
  );
  const selectAfter = statement<[string, number, number, number], EntryRow>(
    `SELECT ms, sequence, data, dead_letter FROM stream_entries
     WHERE stream = ? AND (ms, sequence) > (?, ?) ORDER BY ms, sequence LIMIT ?`,
  );
  const selectOne = statement<[string, number, number], EntryRow>(
    'SELECT ms, sequence, data, dead_letter FROM stream_entries WHERE stream = ? AND ms = ? AND sequence = ?',
  );
  const countEntries = statement<[string], { count: number }>(
    'SELECT count(*) AS count FROM stream_entries WHERE stream = ?',
  );
  const trimOldest = statement<[string, string, number]>(
    `DELETE FROM stream_entries WHERE stream = ? AND (ms, sequence) IN
       (SELECT ms, sequence FROM stream_entries WHERE stream = ? ORDER BY ms, sequence LIMIT ?)`,
  );
  const trimBefore = statement<[string, number]>(
    'DELETE FROM stream_entries WHERE stream = ? AND ms < ?',
  );
  const selectGroup = statement<[string, string], { last_ms: number; last_sequence: number }>(
    'SELECT last_ms, last_sequence FROM stream_groups WHERE stream = ? AND name = ?',
  );
  const insertGroup = statement<[string, string, number, number]>(
    'INSERT OR IGNORE INTO stream_groups (stream, name, last_ms, last_sequence) VALUES (?, ?, ?, ?)',
  );
  const updateGroup = statement<[number, number, string, string]>(
    'UPDATE stream_groups SET last_ms = ?, last_sequence = ? WHERE stream = ? AND name = ?',
  );
  const upsertPending = statement<[string, string, number, number, string, number, number]>(
    `INSERT OR REPLACE INTO stream_pending (stream, group_name, ms, sequence, consumer, delivery_count, delivered_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const deletePending = statement<[string, string, number, number]>(
    'DELETE FROM stream_pending WHERE stream = ? AND group_name = ? AND ms = ? AND sequence = ?',
  );
  const selectIdle = statement<[string, string, number, number], PendingRow>(
    `SELECT ms, sequence, consumer, delivery_count, delivered_at FROM stream_pending
     WHERE stream = ? AND group_name = ? AND delivered_at <= ? ORDER BY ms, sequence LIMIT ?`,
  );
  const selectPending = statement<[string, string, number], PendingRow>(
    `SELECT ms, sequence, consumer, delivery_count, delivered_at FROM stream_pending
     WHERE stream = ? AND group_name = ? ORDER BY ms, sequence LIMIT ?`,
  );

  const requireGroup = (stream: string, group: string) => {
    const found = selectGroup.get(prefix + stream, group);
    if (!found) {
      throw new StoreError(
        'STORE_NO_GROUP',
        `No consumer group "${group}" on stream "${stream}"; call createGroup() first.`,
      );
    }
    return found;
  };
  /** Records a stream's last id in `stream_meta` before entries are removed (in their transaction). */
  const keepLastId = (key: string): void => {
    const last = selectLast(key);
    if (last) upsertMeta.run(key, last.ms, last.sequence);
  };
  const appendRow = (stream: string, data: string, deadLetter?: DeadLetterOrigin): string => {
    const parts = nextStreamId(selectLast(prefix + stream), now());
    knownLast.delete(prefix + stream); // read again next time (this transaction may roll back)
    insertEntry.run(
      prefix + stream,
      parts.ms,
      parts.sequence,
      data,
      deadLetter ? JSON.stringify(deadLetter) : null,
    );
    return formatStreamId(parts);
  };
  const append = database.transaction(appendRow);
  // A batch reads each stream's last id once: per entry, only its insert.
  const appendBatch = database.transaction((batch: readonly PendingAppend[]) => {
    const lastIds = new Map<string, StreamIdParts>();
    const time = now();
    const ids = batch.map((item) => {
      const key = prefix + item.stream;
      const parts = nextStreamId(lastIds.get(key) ?? selectLast(key), time);
      insertEntry.run(key, parts.ms, parts.sequence, item.data, null);
      lastIds.set(key, parts);
      return formatStreamId(parts);
    });
    return { ids, lastIds };
  });

  // Appends share commits (issue #18 profile: BEGIN/COMMIT was most of the cost of an audited
  // call's append, and most commits held one or two entries). Those of one turn of the event loop
  // are committed together right after the current I/O callbacks (setImmediate), so no commit sits
  // between a call's result and its response. With `appendWindowMs` (off by default), after a
  // commit that held several appends (they come concurrently) the next also waits until that long
  // after it, so a steady flow costs one commit per window; after a lone one it does not.
  // An append with `commitWithinMs` (its caller keeps the entry safe meanwhile: the audit journal)
  // may wait that long for others to share its commit (but no more than HELD_APPEND_BATCH of them
  // wait: a commit never takes the event loop long); one without it makes them all commit in the
  // next turn, as before.
  // The queue is bounded (MAX_APPEND_BATCH commit at once). `await append()` still resolves only
  // once the entry is committed, and every other stream operation, close() and process exit
  // commit pending appends first, so what this process appended is always what it reads.
  let pendingAppends: PendingAppend[] = [];
  let lastCommitAt = Number.NEGATIVE_INFINITY;
  let lastCommitShared = false;
  // The flush scheduled for the pending appends: when it runs (Infinity: none), and its handle.
  let flushAt = Number.POSITIVE_INFINITY;
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let flushImmediate: ReturnType<typeof setImmediate> | undefined;
  const cancelFlush = (): void => {
    if (flushTimer) clearTimeout(flushTimer);
    if (flushImmediate) clearImmediate(flushImmediate);
    flushTimer = undefined;
    flushImmediate = undefined;
    flushAt = Number.POSITIVE_INFINITY;
  };
  /** Makes the pending appends commit by `at` (performance.now() time), sooner if already due. */
  const flushBy = (at: number, time: number): void => {
    if (at >= flushAt) return;
    cancelFlush();
    flushAt = at;
    if (at - time >= 1) flushTimer = setTimeout(flushAppends, at - time);
    else flushImmediate = setImmediate(flushAppends);
  };
  /** An append that waits for its commit: the next turn, or the window after a shared commit. */
  const scheduleFlush = (): void => {
    const time = performance.now();
    flushBy(lastCommitShared ? lastCommitAt + context.appendWindowMs : time, time);
  };
  const flushAppends = (): void => {
    cancelFlush();
    if (pendingAppends.length === 0) return;
    const batch = pendingAppends;
    pendingAppends = [];
    let ids: string[] | undefined;
    try {
      if (!context.isClosed()) {
        const committed = appendBatch.immediate(batch);
        noteCommitted(committed.lastIds);
        ids = committed.ids;
      }
    } catch {
      knownLast.clear();
      ids = undefined; // one at a time below, so each caller gets its own outcome
    }
    lastCommitAt = performance.now();
    lastCommitShared = batch.length > 1;
    batch.forEach((item, index) => {
      item.resolve(
        ids ? (ids[index] as string) : context.run(() => append.immediate(item.stream, item.data)),
      );
    });
    if (appendWaiters.size > 0) for (const wake of [...appendWaiters]) wake();
  };
  /** `context.run` after committing pending appends. */
  const run = <T>(operation: () => T): Promise<T> =>
    context.run(() => {
      flushAppends();
      return operation();
    });
  const trim = database.transaction((stream: string, maxLength?: number, maxAgeMs?: number) => {
    // A trim by age may remove the newest entry: its id stays the stream's last.
    keepLastId(prefix + stream);
    let removed = 0;
    if (maxLength !== undefined) {
      const excess = (countEntries.get(prefix + stream)?.count ?? 0) - Math.max(0, maxLength);
      if (excess > 0) removed += trimOldest.run(prefix + stream, prefix + stream, excess).changes;
    }
    if (maxAgeMs !== undefined)
      removed += trimBefore.run(prefix + stream, now() - maxAgeMs).changes;
    return removed;
  });
  const deleteStream = database.transaction((stream: string) => {
    knownLast.delete(prefix + stream); // its ids start again
    let removed = 0;
    for (const table of ['stream_entries', 'stream_meta', 'stream_groups', 'stream_pending']) {
      removed += database
        .prepare(`DELETE FROM ${table} WHERE stream = ?`)
        .run(prefix + stream).changes;
    }
    return removed > 0;
  });
  const createGroup = database.transaction((stream: string, group: string, fromEnd: boolean) => {
    const last = fromEnd ? selectLast(prefix + stream) : undefined;
    insertGroup.run(prefix + stream, group, last?.ms ?? -1, last?.sequence ?? 0);
  });
  // A plain read (no write lock) tells a blocked readGroup whether taking the lock is worth it.
  const hasUndelivered = statement<[string, string], { ready: number }>(
    `SELECT EXISTS (SELECT 1 FROM stream_entries e JOIN stream_groups g ON g.stream = e.stream
       WHERE g.stream = ? AND g.name = ? AND (e.ms, e.sequence) > (g.last_ms, g.last_sequence)) AS ready`,
  );
  // Appends through this store wake blocked readers at once; other processes' appends are polled.
  const appendWaiters = new Set<() => void>();
  const waitForAppend = (timeoutMs: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        appendWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      appendWaiters.add(wake);
    });
  const readGroup = database.transaction(
    (stream: string, group: string, consumer: string, count: number) => {
      const state = requireGroup(stream, group);
      const rows = selectAfter.all(prefix + stream, state.last_ms, state.last_sequence, count);
      const time = now();
      for (const row of rows) {
        upsertPending.run(prefix + stream, group, row.ms, row.sequence, consumer, 1, time);
      }
      const last = rows.at(-1);
      if (last) updateGroup.run(last.ms, last.sequence, prefix + stream, group);
      return rows.map((row): DeliveredMessage => ({ ...toEntry(row), deliveryCount: 1 }));
    },
  );
  const ack = database.transaction((stream: string, group: string, ids: readonly string[]) => {
    let acknowledged = 0;
    for (const id of new Set(ids)) {
      const parts = parseStreamId(id);
      acknowledged += deletePending.run(prefix + stream, group, parts.ms, parts.sequence).changes;
    }
    return acknowledged;
  });
  const claim = database.transaction(
    (
      stream: string,
      group: string,
      consumer: string,
      minIdleMs: number,
      count: number,
      maxDeliveries: number,
      deadLetterStream: string,
    ) => {
      requireGroup(stream, group);
      const time = now();
      const messages: DeliveredMessage[] = [];
      const deadLettered: string[] = [];
      for (const pending of selectIdle.all(prefix + stream, group, time - minIdleMs, count)) {
        const id = formatStreamId(pending);
        const row = selectOne.get(prefix + stream, pending.ms, pending.sequence);
        if (!row || pending.delivery_count >= maxDeliveries) {
          deletePending.run(prefix + stream, group, pending.ms, pending.sequence);
          if (!row) continue; // trimmed while pending: nothing left to deliver
          appendRow(deadLetterStream, row.data, {
            stream,
            group,
            id,
            deliveryCount: pending.delivery_count,
          });
          deadLettered.push(id);
          continue;
        }
        const deliveryCount = pending.delivery_count + 1;
        upsertPending.run(
          prefix + stream,
          group,
          pending.ms,
          pending.sequence,
          consumer,
          deliveryCount,
          time,
        );
        messages.push({ ...toEntry(row), deliveryCount });
      }
      return { messages, deadLettered };
    },
  );

  const streams: StreamStore = {
    append: (stream, data, options) => {
      if (context.isClosed()) return context.run(() => '');
      const within = options?.commitWithinMs ?? 0;
      if (!Number.isFinite(within) || within < 0) {
        return Promise.reject(
          new StoreError(
            'STORE_INVALID_ARGUMENT',
            `commitWithinMs must be 0 or a positive number of ms, got ${within}.`,
          ),
        );
      }
      return new Promise<string>((resolve) => {
        pendingAppends.push({ stream, data, resolve });
        if (pendingAppends.length >= MAX_APPEND_BATCH) flushAppends();
        else if (within > 0) {
          const time = performance.now();
          // At most setTimeout's longest delay (~24.8 days), which a longer one turns into 1 ms;
          // in the next turn once HELD_APPEND_BATCH are held.
          const full = pendingAppends.length >= HELD_APPEND_BATCH;
          flushBy(full ? time : time + Math.min(within, 2 ** 31 - 1), time);
        } else if (flushImmediate === undefined) scheduleFlush();
      });
    },
    read: (stream, options = {}) =>
      run(() => {
        const limit = checkCount('limit', options.limit, 100);
        const after =
          options.after === undefined ? { ms: -1, sequence: 0 } : parseStreamId(options.after);
        return selectAfter.all(prefix + stream, after.ms, after.sequence, limit).map(toEntry);
      }),
    length: (stream) => run(() => countEntries.get(prefix + stream)?.count ?? 0),
    trim: (stream, options) =>
      run(() => {
        checkTrim(options);
        return trim.immediate(stream, options.maxLength, options.maxAgeMs);
      }),
    delete: (stream) => run(() => deleteStream.immediate(stream)),
    createGroup: (stream, group, options = {}) =>
      run(() => createGroup.immediate(stream, group, options.from === 'end')),
    readGroup: async (stream, group, consumer, options = {}) => {
      const count = checkCount('count', options.count, 10);
      const deadline = Date.now() + checkWait('blockMs', options.blockMs);
      for (;;) {
        const delivered = await run(() => readGroup.immediate(stream, group, consumer, count));
        if (delivered.length > 0 || Date.now() >= deadline) return delivered;
        for (;;) {
          const remaining = deadline - Date.now();
          if (remaining <= 0 || context.isClosed()) break;
          await waitForAppend(Math.min(context.pollIntervalMs, remaining));
          const ready = await run(() => hasUndelivered.get(prefix + stream, group)?.ready === 1);
          if (ready) break;
        }
      }
    },
    ack: (stream, group, ids) => run(() => ack.immediate(stream, group, ids)),
    claim: (stream, group, consumer, options) =>
      run(() => {
        checkDuration('minIdleMs', options.minIdleMs);
        return claim.immediate(
          stream,
          group,
          consumer,
          options.minIdleMs,
          checkCount('count', options.count, 10),
          options.maxDeliveries ?? Number.POSITIVE_INFINITY,
          options.deadLetterStream ?? defaultDeadLetterStream(stream),
        );
      }),
    pending: (stream, group, options = {}) =>
      run(() => {
        const limit = checkCount('limit', options.limit, 100);
        requireGroup(stream, group);
        const time = now();
        return selectPending.all(prefix + stream, group, limit).map((row) => ({
          id: formatStreamId(row),
          consumer: row.consumer,
          deliveryCount: row.delivery_count,
          idleMs: time - row.delivered_at,
        }));
      }),
  };
  return { streams, flushAppends };
}
