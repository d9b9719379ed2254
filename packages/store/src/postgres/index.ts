// @fedmcp/store/postgres: the PostgreSQL engine of @fedmcp/store, on postgres.js. Web-standard
// code (no node: imports), so it runs on Node, Deno (Supabase Edge Functions) and Bun.
export type { PostgresStoreOptions } from './create-postgres-store.js';
export { createPostgresStore } from './create-postgres-store.js';
