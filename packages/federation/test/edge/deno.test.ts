// The hub as a Supabase Edge Function under real Deno (`deno serve`, npm packages offline from
// node_modules, the function's `export default { fetch }` shape, routes under
// /functions/v1/mcp), its state in PostgreSQL (a schema unique to the run, dropped after), in
// front of server-everything over HTTP and a peer hub on Node. The function is started twice on
// the same schema: its signing key is made and kept in PostgreSQL on the first start, the Node
// hub pins it, and the second start (with the peer) signs its peer tokens with the stored key.
// Then the edge scenario (fixtures/hub-scenario.ts) for 2026-07-28 and 2025-11-25 clients: list,
// call, progress, elicitations, resources, prompts, a policy denial, consent asked, answered and
// remembered, and a call to a tool of the Node peer hub.
import { fileURLToPath } from 'node:url';
import { createHubServer, type HubServer } from '@fedmcp/federation/node';
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
import { ERAS } from './fixtures/echo-through.js';
import { hubScenario } from './fixtures/hub-scenario.js';

const entry = fileURLToPath(new URL('./fixtures/supabase-function.ts', import.meta.url));
const schema = runSchema('edge_deno');
let everything: Everything;
let nodeHub: HubServer;
let deno: DenoServer | undefined;

const functionUrl = (path: string) => new URL(`/functions/v1/mcp${path}`, deno?.url);
type Jwks = { keys: { kid: string }[] };
type AuditEvent = { type: string; outcome: string; target?: string };
const getJson = async <T>(url: URL): Promise<T> => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
};

describe.skipIf(!postgresAvailable)('the hub as a Supabase Edge Function in Deno', () => {
  let firstJwks: Jwks;

  beforeAll(async () => {
    everything = await startEverything();
    nodeHub = await createHubServer({
      hubId: 'node-b',
      upstreams: { everything: { url: everything.url } },
    });
    await nodeHub.listen();
    const env = { DATABASE_URL: postgresUrl, STORE_SCHEMA: schema, UPSTREAM_URL: everything.url };
    // First start: no peer yet; the function makes its signing key and keeps it in PostgreSQL.
    deno = await denoServe(entry, env);
    firstJwks = await getJson<Jwks>(functionUrl('/.well-known/jwks.json'));
    await deno[Symbol.asyncDispose]();
    // The Node hub trusts exactly those keys; the function starts again, now with the peer.
    deno = await denoServe(entry, { ...env, PEER_URL: nodeHub.url! });
    await nodeHub.setPeers({
      'supabase-edge': { url: deno.url, import: false, keys: firstJwks },
    });
  }, 180_000);

  afterAll(async () => {
    await deno?.[Symbol.asyncDispose]();
    await nodeHub?.close();
    await everything?.[Symbol.asyncDispose]();
    await dropSchema(schema);
  });

  it.each(ERAS)(
    'passes the edge scenario for a v2 client speaking %s',
    async (...era) => {
      await hubScenario(functionUrl('/mcp'), era, `deno ${era[0]}`, {
        peer: 'node-b',
        consentArgs: { a: 30, b: era[0] === '2026-07-28' ? 1 : 2 },
        consentAsked: true,
      });
    },
    120_000,
  );

  it('keeps its key, audit and consents in the PostgreSQL schema', async () => {
    expect(await getJson<Jwks>(functionUrl('/.well-known/jwks.json'))).toEqual(firstJwks);
    const audit = await getJson<AuditEvent[]>(functionUrl('/test/audit'));
    expect(
      audit.filter((event) => event.outcome === 'denied' && event.target === 'everything__get-env'),
    ).toHaveLength(2);
    expect(
      audit.filter((event) => event.type === 'consent' && event.outcome === 'granted'),
    ).toHaveLength(2);
    const tables = await withAdmin(
      (sql) => sql`SELECT table_name FROM information_schema.tables WHERE table_schema = ${schema}`,
    );
    expect(tables.length).toBeGreaterThan(0);
    expect(await (await fetch(functionUrl('/healthz'))).json()).toEqual({ status: 'ok' });
  });
});
