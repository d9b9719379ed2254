// @fedmcp/store/node: the Node.js engines of @fedmcp/store (SQLite via better-sqlite3, Redis via
// ioredis), the PostgreSQL engine (also in `@fedmcp/store/postgres`) and createStore(url), which
// picks one from a URL.
export type { PostgresStoreOptions } from '../postgres/index.js';
export { createPostgresStore } from '../postgres/index.js';
export type { RedisStoreOptions } from './create-redis-store.js';
export { createRedisStore } from './create-redis-store.js';
export type { SqliteStoreOptions } from './create-sqlite-store.js';
export { createSqliteStore, defaultSqlitePath } from './create-sqlite-store.js';
export type { CreateStoreOptions } from './create-store.js';
export { createStore, defaultStoreUrl } from './create-store.js';
