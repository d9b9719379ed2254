/**
 * The audit journal of a hub on its embedded (sqlite) store. Issue #20 asks that every call whose
 * answer reached a client keeps its audit row through a kill -9; committing each row to SQLite
 * before the answer did that, at ~40 µs of the call's path (issue #18 profile: 6 `fcntl` and 3.5
 * `pwrite` per commit, and a checkpoint every ~1,000). Here the event is first appended to this
 * process's 0600 journal file, one `write()`, and the answer goes; the store commits it within
 * `commitWithinMs` (50 ms) with the other events of that time in one commit, or in the next turn
 * once 64 events wait (`HELD_APPEND_BATCH` of `@fedmcp/store`). On a 2-vCPU VM a commit of one row
 * takes ~50–130 µs of the event loop, and one of 64 rows ~7 µs a row. With the 5 ms this journal
 * first had, a hub answering one call at a time committed every ~4 calls, and the audit cost each
 * call ~0.17 ms of CPU, against ~0.05 ms with 50 ms (issue #18, 2026-12-08). A kill -9 keeps what
 * `write()` returned for, as it keeps SQLite's WAL under `synchronous=normal` (neither is fsynced
 * per event; with `storeSynchronous: "full"` the hub commits before answering instead, and uses
 * no journal).
 *
 * Once every event in the journal is committed and it has grown past `truncateBytes`, it is cut
 * back to empty. A journal of a process that is gone is replayed into the store by the next
 * `recoverAuditJournals` on its host: the hub's start, `fedmcp audit tail`, `fedmcp logs`. The
 * journal keeps events already committed too, so the replay leaves out those the stream holds.
 *
 * A file is named `audit-journal-<host>-<pid>-<n>.jsonl` (n: 1, or the next number no open sink
 * of the process uses); one being replayed is renamed `….jsonl.claimed-<pid of the replaying
 * process>` first, so two processes never replay one file.
 * Create the sink before recovering: a file left under this process's own name (a container's
 * pid 1 again) is set aside and replayed with the others.
 */
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@fedmcp/protocol';
import { type AuditSink, DEFAULT_AUDIT_STREAM } from '@fedmcp/proxy-auth';
import { fileSafeHostname, processAlive } from './local-process.js';

/** The stream side the journal needs (structurally `store.streams`). */
export interface AuditJournalStreams {
  append(stream: string, data: string, options?: { commitWithinMs?: number }): Promise<unknown>;
  read(
    stream: string,
    options?: { after?: string; limit?: number },
  ): Promise<ReadonlyArray<{ id: string; data: string }>>;
}

/** Where journals live and whose they are. */
export interface AuditJournalPlace {
  /** The directory of the files (the hub's data directory); created 0700 when missing. */
  directory: string;
  /** @default os.hostname() */
  host?: string;
  /** @default process.pid */
  pid?: number;
  /** Whether a process of this host still runs. @default a signal-0 probe */
  isAlive?: (pid: number) => boolean;
}

/** Options of {@link createJournaledAuditSink}. */
export interface JournaledAuditSinkOptions extends AuditJournalPlace {
  streams: Pick<AuditJournalStreams, 'append'>;
  /** @default 'audit' */
  stream?: string;
  /** The size past which the journal is emptied once all it holds is committed. @default 256 KiB */
  truncateBytes?: number;
  /**
   * How long the store may hold a journaled event to commit it with others (`commitWithinMs` of
   * `@fedmcp/store`: fewer, larger commits, at most 64 events each; reads through the hub's store
   * commit it first). @default 50
   */
  commitWithinMs?: number;
  /** First retry delay after the store refused an event; doubles up to 5 s. @default 200 */
  retryMs?: number;
  logger: Logger;
}

/** An audit sink whose events are in the journal when `write` returns. */
export interface JournaledAuditSink extends AuditSink {
  /** This process's journal file. */
  readonly file: string;
  /** Events written and not yet committed to the store. */
  pending(): number;
  /**
   * Waits (up to `timeoutMs`) for the store to commit what is pending, then closes the journal,
   * and removes it when nothing in it is missing from the store.
   */
  close(timeoutMs?: number): Promise<void>;
}

const PREFIX = 'audit-journal-';
const SUFFIX = '.jsonl';
const CLAIMED = '.claimed-';
/** How far before a journal's oldest event the replay looks for the ones already committed. */
const CLOCK_SLACK_MS = 60_000;

const safeHost = (place: AuditJournalPlace): string => fileSafeHostname(place.host);

/**
 * The journal file of a process's sink (`instance`: 1, or the next number no open sink of the
 * process uses: two hubs of one process on one data directory write two files).
 */
export function auditJournalFile(place: AuditJournalPlace, instance = 1): string {
  const pid = place.pid ?? process.pid;
  return join(place.directory, `${PREFIX}${safeHost(place)}-${pid}-${instance}${SUFFIX}`);
}

/** The journals this process's sinks write now: never replayed while they are open. */
const openJournals = new Set<string>();

/**
 * Creates the sink. The journal file is opened (0600, append-only) at once; when it cannot be,
 * or a write to it fails, events are committed before the answer as without a journal, and the
 * cause is logged once.
 */
export function createJournaledAuditSink(options: JournaledAuditSinkOptions): JournaledAuditSink {
  const stream = options.stream ?? DEFAULT_AUDIT_STREAM;
  const truncateBytes = options.truncateBytes ?? 256 * 1024;
  const baseRetryMs = options.retryMs ?? 200;
  const held = { commitWithinMs: options.commitWithinMs ?? 50 };
  const { logger, streams } = options;
  let instance = 1;
  while (openJournals.has(auditJournalFile(options, instance))) instance += 1;
  const file = auditJournalFile(options, instance);
  let descriptor: number | undefined;
  try {
    mkdirSync(options.directory, { recursive: true, mode: 0o700 });
    // A file under this name is an earlier process's with the same pid (a container's pid 1):
    // set it aside for `recoverAuditJournals`, which replays it, rather than cut it back later.
    if (existsSync(file)) renameSync(file, `${file}${CLAIMED}${options.pid ?? process.pid}`);
    descriptor = openSync(file, 'a', 0o600);
    openJournals.add(file);
  } catch (error) {
    logger.error(
      { err: (error as Error).message, file },
      'audit: the journal cannot be opened; each call now waits for its audit commit',
    );
  }
  // Bytes in the journal; events written and not committed; events the store refused (retried).
  let bytes = 0;
  let pending = 0;
  let refused: string[] = [];
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let retryMs = baseRetryMs;
  let closed = false;
  let failing = false;
  let idle: (() => void) | undefined;

  const stopJournal = (error: unknown): void => {
    logger.error(
      { err: (error as Error).message, file },
      'audit: the journal cannot be written; each call now waits for its audit commit',
    );
    if (descriptor !== undefined) closeSync(descriptor);
    descriptor = undefined;
  };
  const settled = (): void => {
    pending -= 1;
    if (pending > 0 || refused.length > 0) return;
    retryMs = baseRetryMs;
    if (failing) {
      failing = false;
      logger.info({ file }, 'audit: the store takes audit events again');
    }
    idle?.();
    // All the journal holds is committed: cut it back before it grows large.
    if (descriptor !== undefined && bytes >= truncateBytes && !closed) {
      try {
        ftruncateSync(descriptor, 0);
        bytes = 0;
      } catch (error) {
        stopJournal(error);
      }
    }
  };
  const commit = (data: string): void => {
    pending += 1;
    streams.append(stream, data, held).then(settled, (error: unknown) => {
      if (!failing) {
        failing = true;
        logger.warn(
          { err: (error as Error).message, file },
          'audit: the store did not take an audit event; it is kept in the journal and retried',
        );
      }
      refused.push(data);
      pending -= 1;
      retryTimer ??= setTimeout(retry, retryMs);
      retryTimer.unref?.();
      retryMs = Math.min(retryMs * 2, 5_000);
    });
  };
  const retry = (): void => {
    retryTimer = undefined;
    const again = refused;
    refused = [];
    for (const data of again) commit(data);
  };

  return {
    file,
    write(event) {
      const data = JSON.stringify(event);
      if (descriptor === undefined || closed) {
        return streams.append(stream, data) as Promise<never>;
      }
      const line = Buffer.from(`${data}\n`);
      try {
        // A regular file takes the whole buffer unless the disk is full (then it throws or
        // comes back short): the line is either in the journal or the call waits for the commit.
        const done = writeSync(descriptor, line);
        bytes += done;
        if (done !== line.length) throw new Error('short write (is the disk full?)');
      } catch (error) {
        stopJournal(error);
        return streams.append(stream, data) as Promise<never>;
      }
      commit(data);
    },
    pending: () => pending + refused.length,
    async close(timeoutMs = 3_000) {
      if (closed) return;
      closed = true;
      if (retryTimer) {
        clearTimeout(retryTimer);
        retry();
      }
      if (pending > 0) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await new Promise<void>((resolve) => {
          idle = resolve;
          timer = setTimeout(resolve, timeoutMs);
        });
        clearTimeout(timer);
      }
      if (retryTimer) clearTimeout(retryTimer);
      if (descriptor === undefined) return;
      closeSync(descriptor);
      descriptor = undefined;
      openJournals.delete(file);
      if (pending === 0 && refused.length === 0) {
        await rm(file, { force: true });
      } else {
        logger.warn(
          { pending: pending + refused.length, file },
          'audit: events not yet in the store at shutdown are kept in the journal; the next start or `fedmcp audit tail` replays them',
        );
      }
    },
  };
}

/** Options of {@link recoverAuditJournals}. */
export interface RecoverAuditJournalsOptions extends AuditJournalPlace {
  streams: AuditJournalStreams;
  /** @default 'audit' */
  stream?: string;
}

/** The events of a journal: its complete lines (a line cut short by a kill is not an event). */
function journalEvents(text: string): string[] {
  const events: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{') || !line.endsWith('}')) continue;
    try {
      JSON.parse(line);
      events.push(line);
    } catch {
      // cut short inside a string that happened to end in `}`
    }
  }
  return events;
}

/** The oldest `time` of the events, in ms (0 when none has one). */
function oldestTime(events: readonly string[]): number {
  let oldest = Number.POSITIVE_INFINITY;
  for (const data of events) {
    const time = Date.parse((JSON.parse(data) as { time?: unknown }).time as string);
    if (Number.isFinite(time) && time < oldest) oldest = time;
  }
  return Number.isFinite(oldest) ? oldest : 0;
}

/**
 * Replays the journals that processes now gone left on this host into the store: each event the
 * stream does not hold yet is appended (an event the stream holds twice is left out twice), then
 * the file is removed. A journal whose process still runs is left alone.
 * @returns how many events were appended.
 */
export async function recoverAuditJournals(options: RecoverAuditJournalsOptions): Promise<number> {
  const stream = options.stream ?? DEFAULT_AUDIT_STREAM;
  const host = safeHost(options);
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processAlive;
  let names: string[];
  try {
    names = await readdir(options.directory);
  } catch {
    return 0;
  }
  const claims: string[] = [];
  for (const name of names.sort()) {
    if (!name.startsWith(PREFIX)) continue;
    const claimedAt = name.indexOf(CLAIMED);
    const journal = claimedAt === -1 ? name : name.slice(0, claimedAt);
    if (!journal.endsWith(SUFFIX)) continue;
    // `<host>-<pid>-<instance>`: a host name is kept to [A-Za-z0-9.] (safeHost), so no `-`.
    const [owner, ownerPidText, instance, ...rest] = journal
      .slice(PREFIX.length, -SUFFIX.length)
      .split('-');
    const ownerPid = Number(ownerPidText);
    if (owner !== host || rest.length > 0 || !Number.isSafeInteger(ownerPid) || !instance) continue;
    // The process that writes the journal, or the one replaying it, must be gone; this process's
    // own open journals are not replayed (one of its pid that is not open is an earlier
    // process's: a container's pid 1 again).
    const holder = claimedAt === -1 ? ownerPid : Number(name.slice(claimedAt + CLAIMED.length));
    if (!Number.isSafeInteger(holder) || (holder !== pid && isAlive(holder))) continue;
    if (openJournals.has(join(options.directory, name))) continue;
    const claim = join(options.directory, `${journal}${CLAIMED}${pid}`);
    try {
      await rename(join(options.directory, name), claim);
    } catch {
      continue; // another process claimed it first
    }
    claims.push(claim);
  }
  let appended = 0;
  for (const claim of claims) {
    const events = journalEvents(await readFile(claim, 'utf8'));
    if (events.length > 0) {
      // What the stream holds from a little before the journal's oldest event on.
      const held = new Map<string, number>();
      let after = `${Math.max(0, oldestTime(events) - CLOCK_SLACK_MS)}-0`;
      for (;;) {
        const page = await options.streams.read(stream, { after, limit: 1000 });
        for (const entry of page) held.set(entry.data, (held.get(entry.data) ?? 0) + 1);
        const last = page.at(-1);
        if (!last) break;
        after = last.id;
      }
      for (const data of events) {
        const count = held.get(data) ?? 0;
        if (count > 0) {
          held.set(data, count - 1);
          continue;
        }
        await options.streams.append(stream, data);
        appended += 1;
      }
    }
    // Only once all of it is in the store: a crash before this replays it again, and the
    // events then found in the stream are left out.
    await rm(claim, { force: true });
  }
  return appended;
}

/**
 * {@link recoverAuditJournals} for a hub's start and the CLI: logs what it replayed, and the
 * cause when it cannot (the journals then stay for the next try). Never rejects.
 */
export async function replayAuditJournals(
  streams: AuditJournalStreams,
  place: AuditJournalPlace,
  logger: Logger,
): Promise<number> {
  try {
    const replayed = await recoverAuditJournals({ ...place, streams });
    if (replayed > 0) {
      logger.info(
        { replayed, directory: place.directory },
        'audit: replayed the events a stopped process had journaled but not committed',
      );
    }
    return replayed;
  } catch (error) {
    logger.error(
      { err: (error as Error).message, directory: place.directory },
      'audit: the journals of stopped processes cannot be replayed; they are kept for the next start',
    );
    return 0;
  }
}
