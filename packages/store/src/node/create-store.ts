/** `createStore(url)`: one entry point that picks the engine from a URL, as the config file names it. */
import { createMemoryStore } from '../create-memory-store.js';
import { createPostgresStore, type PostgresStoreOptions } from '../postgres/index.js';
import type { Store, StoreOptions } from '../store.js';
import { StoreError } from '../store-error.js';
import { createRedisStore, type RedisStoreOptions } from './create-redis-store.js';
import {
  createSqliteStore,
  defaultSqlitePath,
  type SqliteStoreOptions,
} from './create-sqlite-store.js';

export interface CreateStoreOptions extends StoreOptions {
  /** Extra options for the sqlite engine (its `path` comes from the URL). */
  sqlite?: Omit<SqliteStoreOptions, 'path' | keyof StoreOptions>;
  /** Extra options for the redis engine (its `url` is the URL). */
  redis?: Omit<RedisStoreOptions, 'url' | keyof StoreOptions>;
  /** Extra options for the postgres engine (its `url` is the URL). */
  postgres?: Omit<PostgresStoreOptions, 'url' | keyof StoreOptions>;
}

/** The URL `fedmcp serve` uses when none is configured. */
export const defaultStoreUrl = `sqlite:${defaultSqlitePath}`;

/**
 * Opens a store from a URL:
 * - `memory:` — in this process only;
 * - `sqlite:PATH` — a SQLite file (`sqlite:` alone means `./.fedmcp/state.db`; `sqlite:///abs/path` works too);
 * - `redis://…` / `rediss://…` — Redis (TLS with `rediss:`);
 * - `postgres://…` / `postgresql://…` — PostgreSQL (TLS with `?sslmode=require`).
 *
 * @default url 'sqlite:./.fedmcp/state.db'
 * @throws {StoreError} `STORE_INVALID_ARGUMENT` for another scheme; `STORE_UNAVAILABLE` when Redis or PostgreSQL is unreachable.
 * @example
 * ```ts
 * const store = await createStore(process.env.FEDMCP_STORE ?? 'sqlite:./.fedmcp/state.db', { prefix: 'hub:' });
 * ```
 */
export async function createStore(
  url: string = defaultStoreUrl,
  options: CreateStoreOptions = {},
): Promise<Store> {
  const { sqlite, redis, postgres, ...common } = options;
  if (url === 'memory:' || url === 'memory://') return createMemoryStore(common);
  if (url.startsWith('sqlite:')) {
    const path = url.startsWith('sqlite://')
      ? url.slice('sqlite://'.length)
      : url.slice('sqlite:'.length);
    return createSqliteStore({
      ...sqlite,
      ...common,
      path: path === '' ? defaultSqlitePath : path,
    });
  }
  if (url.startsWith('redis://') || url.startsWith('rediss://')) {
    return createRedisStore({ ...redis, ...common, url });
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    return createPostgresStore({ ...postgres, ...common, url });
  }
  throw new StoreError(
    'STORE_INVALID_ARGUMENT',
    `Unsupported store URL "${url.replace(/\/\/[^@/]*@/, '//***@')}"; use memory:, sqlite:PATH, redis://…, rediss://… or postgres://….`,
  );
}
