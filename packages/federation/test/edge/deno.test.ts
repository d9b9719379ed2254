// The hub as a Supabase Edge Function under real Deno (`deno serve`, npm packages offline from
// node_modules), its state in PostgreSQL (a schema unique to the run, dropped after), in front of
// server-everything over HTTP: SDK v2 clients list and call a tool through /functions/v1/mcp/mcp.
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  postgresAvailable,
  postgresUrl,
  runSchema,
  withAdmin,
} from '../../../store/test/postgres-test-server.js';
import { textOf } from '../helpers.js';
import { type DenoServer, denoServe } from './fixtures/deno.js';
import { type Everything, startEverything } from './fixtures/everything.js';

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

  it.each([
    ['2026-07-28', { pin: '2026-07-28' }],
    ['2025-11-25', 'legacy'],
  ] as const)('serves a v2 client speaking %s: list and call a tool', async (era, mode) => {
    const client = new Client(
      { name: `deno-${era}`, version: '1.0.0' },
      { versionNegotiation: { mode } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/functions/v1/mcp/mcp', deno.url)),
    );
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(era);
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('everything__echo');
      const result = await client.callTool({
        name: 'everything__echo',
        arguments: { message: 'from deno' },
      });
      expect(textOf(result)).toBe('Echo: from deno');
    } finally {
      await client.close();
    }
  });

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
