/**
 * Opens the SQLite database of the sqlite engine: WAL journal (readers never block the writer,
 * several processes share the file), a busy timeout instead of immediate SQLITE_BUSY, and the
 * chosen `synchronous` level, then creates the tables if they are missing.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export type SqliteDatabase = Database.Database;

export interface OpenSqliteOptions {
  path: string;
  synchronous: 'full' | 'normal';
  busyTimeoutMs: number;
}

const schema = `
CREATE TABLE IF NOT EXISTS kv (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  version INTEGER NOT NULL,
  expires_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_expires_at ON kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS stream_meta (
  stream TEXT PRIMARY KEY,
  last_ms INTEGER NOT NULL,
  last_sequence INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stream_entries (
  stream TEXT NOT NULL,
  ms INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  data TEXT NOT NULL,
  dead_letter TEXT,
  PRIMARY KEY (stream, ms, sequence)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stream_groups (
  stream TEXT NOT NULL,
  name TEXT NOT NULL,
  last_ms INTEGER NOT NULL,
  last_sequence INTEGER NOT NULL,
  PRIMARY KEY (stream, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stream_pending (
  stream TEXT NOT NULL,
  group_name TEXT NOT NULL,
  ms INTEGER NOT NULL,
  sequence INTEGER NOT NULL,
  consumer TEXT NOT NULL,
  delivery_count INTEGER NOT NULL,
  delivered_at INTEGER NOT NULL,
  PRIMARY KEY (stream, group_name, ms, sequence)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  token TEXT NOT NULL,
  expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pubsub_messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  message TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`;

/**
 * Switches the file to WAL. Processes opening the same new file at once race for the lock this
 * needs, and SQLite answers the loser SQLITE_BUSY at once, without calling the busy handler (a
 * lock upgrade that could deadlock): retry, waiting a little longer each time, until the busy
 * timeout.
 */
function enableWal(database: SqliteDatabase, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (let waitMs = 1; ; waitMs = Math.min(waitMs * 2, 50)) {
    try {
      database.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline)
        throw error;
      // better-sqlite3 is synchronous, as SQLite's own busy wait is: block this thread briefly.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, waitMs);
    }
  }
}

/** Opens (creating if needed) the database file and its schema. */
export function openSqliteDatabase(options: OpenSqliteOptions): SqliteDatabase {
  const inMemory = options.path === ':memory:' || options.path === '';
  if (!inMemory) mkdirSync(dirname(options.path), { recursive: true });
  const database = new Database(options.path, { timeout: options.busyTimeoutMs });
  try {
    database.pragma(`busy_timeout = ${Math.floor(options.busyTimeoutMs)}`);
    if (!inMemory) enableWal(database, options.busyTimeoutMs);
    // FULL: a commit returns after the WAL is fsynced (survives power loss); NORMAL: after it is
    // written to the OS (survives kill -9 of the process, not a power cut). https://sqlite.org/pragma.html#pragma_synchronous
    database.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    database.transaction(() => database.exec(schema)).immediate();
  } catch (error) {
    database.close();
    throw error;
  }
  return database;
}
