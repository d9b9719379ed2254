/**
 * WAL checkpoints off the event loop. SQLite checkpoints a WAL database inside the commit that
 * takes the WAL past 1,000 pages: that commit copies the pages into the database file and fsyncs
 * both, 2–25 ms on a 2-vCPU VM (issue #18), so a busy hub's event loop stalled for it every few
 * seconds (an audited call is a row). Here, once the WAL of this process's connection has grown
 * past {@link START_AT_WAL_BYTES} (a process that writes: a short CLI command starts nothing), a
 * worker thread with a connection of its own runs a PASSIVE checkpoint at once and then every
 * `intervalMs` — PASSIVE never waits for a lock and never blocks a writer — and the store's
 * connection stops checkpointing (`wal_autocheckpoint = 0`). If the worker cannot start or stops,
 * the connection checkpoints itself again, as SQLite does by default.
 *
 * The worker loads better-sqlite3 from the file this process loaded it from (a bundle imports it
 * by an absolute path), and costs ~10 MB of RSS while it runs.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '@fedmcp/protocol';
import type { SqliteDatabase } from './sqlite-schema.js';

/** The WAL size past which the worker starts: a quarter of SQLite's own checkpoint threshold. */
export const START_AT_WAL_BYTES = 1024 * 1024;

/** SQLite's default `wal_autocheckpoint`, given back to the connection when the worker stops. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

/** How long close() waits for the worker to close its connection before terminating it. */
const CLOSE_WAIT_MS = 2_000;

// CommonJS (an `eval` worker); `workerData`: { module, path, synchronous, intervalMs }.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.module);
const database = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
database.pragma('synchronous = ' + workerData.synchronous);
let failed = false;
const checkpoint = () => {
  try {
    database.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // A lock another connection holds: the next tick tries again. Anything else is reported once.
    const code = String(error && error.code);
    if (!failed && !code.startsWith('SQLITE_BUSY') && !code.startsWith('SQLITE_LOCKED')) {
      failed = true;
      parentPort.postMessage({ error: String(error && error.message) });
    }
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message !== 'close') return;
  clearInterval(timer);
  database.close();
  parentPort.close();
});
parentPort.postMessage({ ready: true });
checkpoint();
`;

/** Options of {@link startSqliteCheckpointer}. */
export interface SqliteCheckpointerOptions {
  /** The store's connection. */
  database: SqliteDatabase;
  /** The database file. */
  path: string;
  synchronous: 'full' | 'normal';
  /** How often the WAL is looked at before the worker starts, and checkpointed after. */
  intervalMs: number;
  logger?: Logger;
}

/** A running checkpointer; see the file comment. */
export interface SqliteCheckpointer {
  /** Stops the worker (its connection closed first) and the watch; the store closes its own after. */
  close(): Promise<void>;
}

/** The file better-sqlite3 was loaded from in this process, for the worker to load it too. */
function betterSqlite3Module(database: SqliteDatabase): string | undefined {
  const require = createRequire(import.meta.url);
  const Database = database.constructor;
  for (const [file, loaded] of Object.entries(require.cache)) {
    if (loaded?.exports === Database) return file;
  }
  try {
    return require.resolve('better-sqlite3');
  } catch {
    return undefined;
  }
}

/** Watches the WAL of a file database and checkpoints it off the event loop (file comment). */
export function startSqliteCheckpointer(options: SqliteCheckpointerOptions): SqliteCheckpointer {
  const { database, logger } = options;
  const walFile = `${options.path}-wal`;
  let worker: Worker | undefined;
  let closed = false;
  let gone: Promise<void> = Promise.resolve();

  const selfCheckpoint = (reason: string): void => {
    worker = undefined;
    if (closed || !database.open) return;
    logger?.warn(
      { reason },
      'store: the WAL checkpoint worker stopped; the store checkpoints on its own connection again',
    );
    database.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  };

  const start = (): void => {
    const module = betterSqlite3Module(database);
    if (!module) {
      logger?.warn({}, 'store: better-sqlite3 cannot be found for the WAL checkpoint worker');
      return;
    }
    const started = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module,
        path: options.path,
        synchronous: options.synchronous === 'full' ? 'FULL' : 'NORMAL',
        intervalMs: options.intervalMs,
      },
      resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
    });
    started.unref();
    worker = started;
    gone = new Promise((resolve) => started.once('exit', () => resolve()));
    started.on('message', (message: { ready?: boolean; error?: string }) => {
      if (message.ready && worker === started && !closed) database.pragma('wal_autocheckpoint = 0');
      if (message.error) {
        logger?.warn({ error: message.error }, 'store: a WAL checkpoint failed; will retry');
      }
    });
    started.on('error', (error) => {
      if (worker === started) selfCheckpoint(error.message);
    });
    started.on('exit', (code) => {
      if (worker === started) selfCheckpoint(`exit code ${code}`);
    });
  };

  const watch = setInterval(() => {
    let bytes = 0;
    try {
      bytes = statSync(walFile).size;
    } catch {
      return; // no WAL yet
    }
    if (bytes < START_AT_WAL_BYTES) return;
    clearInterval(watch);
    try {
      start();
    } catch (error) {
      selfCheckpoint((error as Error).message);
    }
  }, options.intervalMs);
  watch.unref();

  return {
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(watch);
      const running = worker;
      worker = undefined;
      if (!running) return;
      running.postMessage('close');
      const timer = setTimeout(() => void running.terminate(), CLOSE_WAIT_MS);
      await gone;
      clearTimeout(timer);
    },
  };
}
