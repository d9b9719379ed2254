/**
 * The connection pool of the postgres engine (postgres.js): a bounded pool of `maxConnections`,
 * prepared statements, a bound on operations waiting for a connection, a time bound on each
 * operation, error mapping to {@link StoreError}, and logging of outages and recoveries.
 */
import type { Logger } from '@fedmcp/protocol';
import type { Options, Sql } from 'postgres';
import { StoreError } from '../store-error.js';

export interface PostgresConnectionOptions {
  url: string;
  maxConnections: number;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  idleTimeoutMs: number;
  maxPendingOperations: number;
  reconnectMinDelayMs: number;
  reconnectMaxDelayMs: number;
  applicationName: string;
  postgresOptions: Options<Record<string, never>>;
  logger: Logger | undefined;
}

/** Driver and socket codes that mean "the server cannot be reached (now)". */
const unavailableCodes = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  '53300', // too_many_connections
  '57P01', // admin_shutdown (the backend was terminated)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up)
]);

/** Maps a postgres.js or PostgreSQL error to a {@link StoreError}. */
export function toPostgresStoreError(error: unknown): StoreError {
  if (StoreError.isInstance(error)) return error;
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = (error as Error | null)?.message ?? String(error);
  if (unavailableCodes.has(code) || code.startsWith('08')) {
    return new StoreError(
      'STORE_UNAVAILABLE',
      `PostgreSQL is unreachable (${code}); retry later.`,
      {
        cause: error,
      },
    );
  }
  if (code === '57014' || code === '55P03') {
    return new StoreError(
      'STORE_TIMEOUT',
      'A PostgreSQL statement ran longer than commandTimeoutMs (or waited too long for a lock).',
      { cause: error },
    );
  }
  if (code === '22021' || code === '22P05') {
    return new StoreError(
      'STORE_INVALID_ARGUMENT',
      'PostgreSQL text cannot hold this string (it contains a NUL character, U+0000); encode it first.',
      { cause: error },
    );
  }
  return new StoreError('STORE_FAILED', `PostgreSQL failed: ${message}`, { cause: error });
}

/** The pool and how to run an operation on it. */
export interface PostgresConnection {
  readonly sql: Sql;
  /** Runs `operation`, bounded in time and in number waiting; maps errors to {@link StoreError}. */
  run<T>(operation: (sql: Sql) => Promise<T>): Promise<T>;
  readonly closed: boolean;
  close(): Promise<void>;
}

/**
 * Opens the pool (lazily: the first query connects). The driver is loaded here, not when the
 * package is imported, so `@fedmcp/store/node` users of another engine never load it.
 */
export async function createPostgresConnection(
  options: PostgresConnectionOptions,
): Promise<PostgresConnection> {
  const logger = options.logger;
  const { default: postgres } = await import('postgres');
  const settings = {
    ...options.postgresOptions,
    max: options.maxConnections,
    connect_timeout: options.connectTimeoutMs / 1000,
    idle_timeout: options.idleTimeoutMs > 0 ? options.idleTimeoutMs / 1000 : null,
    prepare: options.postgresOptions.prepare ?? true,
    fetch_types: false,
    // Seconds before reconnecting after a failed connection: doubles from the minimum, with jitter.
    backoff: (retries: number) =>
      (Math.min(
        options.reconnectMinDelayMs * 2 ** Math.max(0, retries - 1),
        options.reconnectMaxDelayMs,
      ) *
        (0.5 + Math.random() / 2)) /
      1000,
    onnotice: (notice) => logger?.debug({ notice: notice.message }, 'store: PostgreSQL notice'),
    onclose: (connectionId) =>
      logger?.debug(
        { connectionId },
        'store: a PostgreSQL connection closed; the next query reconnects',
      ),
    connection: {
      ...options.postgresOptions.connection,
      application_name: options.applicationName,
      statement_timeout: options.commandTimeoutMs,
    },
  } as Options<Record<string, never>>;
  let sql: Sql;
  try {
    sql = postgres(options.url, settings);
  } catch {
    // Not kept as the cause: the parser's error carries the URL, password included.
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      'The PostgreSQL URL cannot be parsed; use postgres://user:password@host:5432/database.',
    );
  }

  let closed = false;
  let pending = 0;
  let reachable = true;
  const noteFailure = (error: StoreError): void => {
    if (error.code !== 'STORE_UNAVAILABLE' || !reachable) return;
    reachable = false;
    logger?.warn(
      { error: error.message },
      'store: lost PostgreSQL; operations fail with STORE_UNAVAILABLE until it reconnects',
    );
  };
  const run = async <T>(operation: (client: Sql) => Promise<T>): Promise<T> => {
    if (closed) throw new StoreError('STORE_CLOSED', 'The store is closed; create a new one.');
    if (pending >= options.maxPendingOperations) {
      throw new StoreError(
        'STORE_UNAVAILABLE',
        `${pending} operations are already waiting for PostgreSQL (maxPendingOperations); retry later.`,
      );
    }
    pending += 1;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        // The server cancels the statement at the same bound (statement_timeout); this one also
        // covers a connection that never answers.
        timer = setTimeout(
          () =>
            reject(
              new StoreError(
                'STORE_TIMEOUT',
                `PostgreSQL did not answer within ${options.commandTimeoutMs + options.connectTimeoutMs} ms.`,
              ),
            ),
          options.commandTimeoutMs + options.connectTimeoutMs,
        );
      });
      const result = await Promise.race([operation(sql), timeout]);
      if (!reachable) {
        reachable = true;
        logger?.info('store: reconnected to PostgreSQL');
      }
      return result;
    } catch (error) {
      if (closed) throw new StoreError('STORE_CLOSED', 'The store is closed; create a new one.');
      const mapped = toPostgresStoreError(error);
      noteFailure(mapped);
      throw mapped;
    } finally {
      clearTimeout(timer);
      pending -= 1;
    }
  };
  return {
    sql,
    run,
    get closed() {
      return closed;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await sql.end({ timeout: 5 });
    },
  };
}
