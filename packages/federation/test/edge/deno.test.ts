// The hub as a Supabase Edge Function under real Deno (`deno serve`, npm packages offline from
// node_modules), its state in PostgreSQL (a schema unique to the run, dropped after), in front of
// server-everything over HTTP: SDK v2 clients list and call a tool through /functions/v1/mcp/mcp.
import { fileURLToPath } from 'node:url';
import { type Everything, startEverything } from '@fedmcp/test-support';
import {
  dropSchema,
  postgresAvailable,
  postgresUrl,
  runSchema,
  withAdmin,
} from '@fedmcp/test-support/postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DenoServer, denoServe } from './fixtures/deno.js';
import { ERAS, echoThrough } from './fixtures/echo-through.js';

const entry = fileURLToPath(new URL('./fixtures/supabase-function.ts', import.meta.url));
const schema = runSchema('edge_deno');
let everything: Everything;
let deno: DenoServer;

describe.skipIf(!postgresAvailable)('the hub as a Supabase Edge Function in Deno', () => {
  beforeAll(async () => {
    everything = await startEverything();
    deno = await denoServe(entry, {
      DATABASE_URL: postgresUrl,
      STORE_SCHEMA: schema,
      UPSTREAM_URL: everything.url,
    });
  }, 120_000);

  afterAll(async () => {
    await deno?.[Symbol.asyncDispose]();
    await everything?.[Symbol.asyncDispose]();
    await dropSchema(schema);
  });

  it.each(ERAS)('serves a v2 client speaking %s: list and call a tool', (...era) =>
    echoThrough(new URL('/functions/v1/mcp/mcp', deno.url), era, 'from deno'),
  );

  it('keeps its state in the PostgreSQL schema', async () => {
    const tables = await withAdmin(
      (sql) => sql`SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema}`,
    );
    expect(tables.length).toBeGreaterThan(0);
    expect(await (await fetch(new URL('/functions/v1/mcp/healthz', deno.url))).json()).toEqual({
      status: 'ok',
    });
  });
});
