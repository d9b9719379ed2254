/**
 * The spill file of a buffered audit sink: while the store does not take audit events, the
 * queued events are also written, one JSON line each, to a 0600 file of this process in the data
 * directory, so a replica killed during a Redis outage loses none of them. The next replica to
 * start on the same host claims the files of processes that are gone (an atomic rename: two
 * starting replicas never replay one file twice) and replays them into the store.
 *
 * A file is named `audit-spill-<host>-<pid>.jsonl`; a file whose process still runs, or that
 * another host wrote (a shared network directory), is left alone.
 */
import {
  appendFileSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileSafeHostname, processAlive } from '../local-process.js';

/** What the sink asks of its spill file. */
export interface AuditSpill {
  /** The path of this process's file. */
  readonly file: string;
  /**
   * Claims the files that processes now gone left on this host, moves their events into this
   * process's file and returns them (oldest first). Call once, at start.
   */
  recover(): string[];
  /** Replaces this process's file with these events (0600). */
  rewrite(events: readonly string[]): void;
  /** Appends one event to this process's file. */
  append(event: string): void;
  /** Removes this process's file (every event it held is in the store). */
  clear(): void;
}

/** Options of {@link createAuditSpill}. */
export interface AuditSpillOptions {
  /** The directory of the files (the hub's data directory); created 0700 when missing. */
  directory: string;
  /** @default os.hostname() */
  host?: string;
  /** @default process.pid */
  pid?: number;
  /** Whether a process of this host still runs. @default a signal-0 probe */
  isAlive?: (pid: number) => boolean;
}

const PREFIX = 'audit-spill-';
const SUFFIX = '.jsonl';

/** Creates the spill file of one process (nothing is written until the store fails). */
export function createAuditSpill(options: AuditSpillOptions): AuditSpill {
  const host = fileSafeHostname(options.host);
  const pid = options.pid ?? process.pid;
  const isAlive = options.isAlive ?? processAlive;
  const file = join(options.directory, `${PREFIX}${host}-${pid}${SUFFIX}`);

  const ensureDirectory = () => mkdirSync(options.directory, { recursive: true, mode: 0o700 });
  const write = (events: readonly string[]) => {
    ensureDirectory();
    const descriptor = openSync(file, 'w', 0o600);
    try {
      if (events.length > 0) writeSync(descriptor, `${events.join('\n')}\n`);
      fsyncSync(descriptor);
    } finally {
      closeSync(descriptor);
    }
  };

  return {
    file,
    recover() {
      let names: string[];
      try {
        names = readdirSync(options.directory);
      } catch {
        return [];
      }
      const events: string[] = [];
      const claimed: string[] = [];
      for (const name of names.sort()) {
        if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) continue;
        const owner = name.slice(PREFIX.length, -SUFFIX.length);
        const at = owner.lastIndexOf('-');
        const ownerPid = Number(owner.slice(at + 1));
        if (at <= 0 || owner.slice(0, at) !== host || !Number.isSafeInteger(ownerPid)) continue;
        if (ownerPid !== pid && isAlive(ownerPid)) continue;
        const claim = join(options.directory, `${name}.claimed-${pid}`);
        try {
          renameSync(join(options.directory, name), claim);
        } catch {
          continue; // another starting replica claimed it first
        }
        claimed.push(claim);
        for (const line of readFileSync(claim, 'utf8').split('\n')) {
          // A line cut short by the kill is not an event.
          if (line.startsWith('{') && line.endsWith('}')) events.push(line);
        }
      }
      if (claimed.length === 0) return [];
      // Into this process's file first, then the claimed ones go: a crash in between replays
      // twice (a duplicate), never loses.
      write(events);
      for (const claim of claimed) rmSync(claim, { force: true });
      return events;
    },
    rewrite: write,
    append(event) {
      ensureDirectory();
      appendFileSync(file, `${event}\n`, { mode: 0o600 });
    },
    clear() {
      rmSync(file, { force: true });
    },
  };
}
