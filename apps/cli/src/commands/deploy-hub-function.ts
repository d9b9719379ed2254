/**
 * The Supabase Edge Function that `fedmcp deploy supabase` bundles: the hub of
 * `deploy-hub-entry.ts` served with `Deno.serve`, its state in PostgreSQL when the config's
 * `store` is a `postgres://` URL (usually `${DATABASE_URL}`, uploaded as a project secret), else
 * in memory. `FEDMCP_PORT` serves it on 127.0.0.1 (local runs; Supabase picks its own port).
 */
import { createPostgresStore } from '@fedmcp/store/postgres';
import hub, { useStoreEngine } from './deploy-hub-entry.js';

declare const Deno: {
  env: { get(name: string): string | undefined };
  serve(
    options: { port?: number; hostname?: string },
    handler: (request: Request) => Promise<Response>,
  ): unknown;
};

useStoreEngine((url) => createPostgresStore({ url }));

const port = Deno.env.get('FEDMCP_PORT');
Deno.serve(port ? { port: Number(port), hostname: '127.0.0.1' } : {}, (request) =>
  hub.fetch(request),
);
