/**
 * The postgres engine, for Supabase / Deno and for Node users who run PostgreSQL: tables and
 * functions in their own schema (created on first use, versioned migrations), a bounded pool of
 * prepared statements, LISTEN/NOTIFY for pub/sub and for waking blocked stream readers, and
 * `FOR UPDATE SKIP LOCKED` for claims. Web-standard code on postgres.js, which runs on Node, Deno,
 * Bun and (with its `workerd` build) Cloudflare Workers.
 */
import type { Options } from 'postgres';
import { checkCount, checkDuration } from '../check-arguments.js';
import type { LeaseStore, Store, StoreOptions } from '../store.js';
import { createPostgresConnection } from './postgres-connection.js';
import { createPostgresKv } from './postgres-kv.js';
import { createPostgresNotifications } from './postgres-notifications.js';
import { migratePostgresSchema, quoteSchema } from './postgres-schema.js';
import { createPostgresStreams } from './postgres-streams.js';

export interface PostgresStoreOptions extends StoreOptions {
  /**
   * `postgres://user:password@host:5432/database` (`?sslmode=require` for TLS, `?schema=NAME` for
   * the schema when `schema` is not given).
   */
  url: string;
  /** The PostgreSQL schema holding the engine's tables; created on first use. @default the URL's `schema` parameter, else 'fedmcp' */
  schema?: string;
  /** At most this many pooled connections (plus one for LISTEN once something subscribes). @default 10 */
  maxConnections?: number;
  /** Give up a connection attempt after this long. @default 5000 */
  connectTimeoutMs?: number;
  /** A statement running longer is cancelled (`statement_timeout`) and fails with `STORE_TIMEOUT`. @default 5000 */
  commandTimeoutMs?: number;
  /** Close a pooled connection idle this long; 0 keeps them open. @default 0 */
  idleTimeoutMs?: number;
  /** At most this many operations wait for a connection; more fail at once with `STORE_UNAVAILABLE`. @default 1000 */
  maxPendingOperations?: number;
  /** First delay before reconnecting after a failed connection; doubles (with jitter) per failure. @default 50 */
  reconnectMinDelayMs?: number;
  /** Longest reconnect delay. @default 2000 */
  reconnectMaxDelayMs?: number;
  /** How often a blocked `readGroup` looks again without a wake-up (one lost in a reconnect). @default 1000 */
  pollIntervalMs?: number;
  /** How often expired keys and leases are deleted. @default 30000 */
  sweepIntervalMs?: number;
  /** `application_name` of the connections (find them in `pg_stat_activity`). @default 'fedmcp-store' */
  applicationName?: string;
  /** Extra postgres.js options (TLS certificates…); the pool settings above win. */
  postgresOptions?: Options<Record<string, never>>;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** Takes the `schema` parameter out of a URL (postgres.js would send it to the server). */
function splitSchemaParameter(url: string): { url: string; schema?: string } {
  const match = /[?&]schema=([^&#]*)/.exec(url);
  if (!match) return { url };
  const rest = url.replace(/([?&])schema=[^&#]*&?/, '$1').replace(/[?&]$/, '');
  return { url: rest, schema: decodeURIComponent(match[1]!) };
}

/**
 * Connects to PostgreSQL, creates or migrates the schema, and returns a store on it.
 *
 * @throws {StoreError} `STORE_UNAVAILABLE` when PostgreSQL cannot be reached within
 * `connectTimeoutMs`; `STORE_INVALID_ARGUMENT` for a bad schema name; `STORE_FAILED` when the
 * schema cannot be created (privileges) or was written by a newer version.
 * @example
 * ```ts
 * const store = await createPostgresStore({ url: 'postgres://postgres@127.0.0.1:5432/app', prefix: 'hub:' });
 * const lease = await store.leases.acquire('leader', { ttlMs: 10_000, holder: 'replica-1' });
 * ```
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const { url, schema: schemaInUrl } = splitSchemaParameter(options.url);
  const schemaName = options.schema ?? schemaInUrl ?? 'fedmcp';
  const s = quoteSchema(schemaName);
  const prefix = options.prefix ?? '';
  const now = options.now ?? Date.now;
  const logger = options.logger;
  const connection = await createPostgresConnection({
    url,
    maxConnections: checkCount('maxConnections', options.maxConnections, 10),
    connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
    commandTimeoutMs: options.commandTimeoutMs ?? 5_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 0,
    maxPendingOperations: checkCount('maxPendingOperations', options.maxPendingOperations, 1_000),
    reconnectMinDelayMs: options.reconnectMinDelayMs ?? 50,
    reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 2_000,
    applicationName: options.applicationName ?? 'fedmcp-store',
    postgresOptions: options.postgresOptions ?? {},
    logger,
  });
  try {
    await connection.run((sql) => migratePostgresSchema(sql, schemaName));
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  const run = connection.run;
  const query = <T>(text: string, parameters: unknown[]) =>
    run((sql) => sql.unsafe<T[]>(text, parameters as never[], { prepare: true }));

  const kv = createPostgresKv({ query, schema: s, prefix, now });

  const leases: LeaseStore = {
    acquire: async (name, acquireOptions) => {
      checkDuration('ttlMs', acquireOptions.ttlMs);
      const time = now();
      const lease = {
        name,
        holder: acquireOptions.holder ?? crypto.randomUUID(),
        token: crypto.randomUUID(),
        expiresAt: time + acquireOptions.ttlMs,
      };
      const rows = await query(
        `INSERT INTO ${s}.leases AS l (name, holder, token, expires_at) VALUES ($1, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, token = EXCLUDED.token,
           expires_at = EXCLUDED.expires_at WHERE l.expires_at <= $2
         RETURNING 1`,
        [prefix + name, time, lease.holder, lease.token, lease.expiresAt],
      );
      return rows.length === 1 ? lease : undefined;
    },
    renew: async (lease, renewOptions) => {
      checkDuration('ttlMs', renewOptions.ttlMs);
      const time = now();
      const expiresAt = time + renewOptions.ttlMs;
      const rows = await query(
        `UPDATE ${s}.leases SET expires_at = $4 WHERE name = $1 AND token = $3 AND expires_at > $2 RETURNING 1`,
        [prefix + lease.name, time, lease.token, expiresAt],
      );
      return rows.length === 1 ? { ...lease, expiresAt } : undefined;
    },
    release: async (lease) => {
      const rows = await query(
        `DELETE FROM ${s}.leases WHERE name = $1 AND token = $3 AND expires_at > $2 RETURNING 1`,
        [prefix + lease.name, now(), lease.token],
      );
      return rows.length === 1;
    },
    get: async (name) => {
      const [row] = await query<{ holder: string; expires_at: string }>(
        `SELECT holder, expires_at FROM ${s}.leases WHERE name = $1 AND expires_at > $2`,
        [prefix + name, now()],
      );
      return row && { name, holder: row.holder, expiresAt: Number(row.expires_at) };
    },
  };

  // Expired keys and leases are invisible at once (every read checks expires_at) and deleted by
  // this sweep, in batches that skip rows another replica's sweep holds.
  const sweep = async (): Promise<void> => {
    for (const table of ['kv', 'leases']) {
      const key = table === 'kv' ? 'key' : 'name';
      for (;;) {
        const rows = await query(
          `DELETE FROM ${s}.${table} WHERE ${key} IN (SELECT ${key} FROM ${s}.${table}
             WHERE expires_at <= $1 LIMIT 500 FOR UPDATE SKIP LOCKED) RETURNING 1`,
          [now()],
        );
        if (rows.length < 500) break;
      }
    }
  };
  const sweepTimer = setInterval(
    () => {
      sweep().catch((error: unknown) => {
        if (!connection.closed)
          logger?.warn({ error }, 'store: sweeping expired rows failed; will retry');
      });
    },
    checkCount('sweepIntervalMs', options.sweepIntervalMs, 30_000),
  );
  (sweepTimer as { unref?: () => void }).unref?.();

  const notifications = createPostgresNotifications({ connection, schema: s, prefix, logger });
  const streams = createPostgresStreams({
    connection,
    notifications,
    schema: s,
    prefix,
    now,
    pollIntervalMs: checkCount('pollIntervalMs', options.pollIntervalMs, 1_000),
  });
  const close = async (): Promise<void> => {
    if (connection.closed) return;
    clearInterval(sweepTimer);
    const closing = connection.close();
    notifications.close();
    await closing;
  };
  return {
    engine: 'postgres',
    kv,
    streams,
    pubsub: notifications.pubsub,
    leases,
    close,
    [Symbol.asyncDispose]: close,
  };
}
