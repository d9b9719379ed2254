// The hub in workerd with its state in the Durable Object engine, surviving restarts of the
// worker (Miniflare stopped and started again on the same persist directory): its signing key
// (a Node peer hub keeps trusting the keys it pinned), its audit stream, its consent grants and
// its peer link. Each run passes the edge scenario (fixtures/hub-scenario.ts) for 2026-07-28 and
// 2025-11-25 clients: list, call, progress, elicitations, resources, prompts, a policy denial,
// consent asked, answered and remembered, and a call to a tool of the Node peer hub, signed with
// the stored key. The hub runs in a Durable Object of its own (`defineHubObject`), where a paused
// call may resume in a later request.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHubServer, type HubServer } from '@fedmcp/federation/node';
import { type Everything, startEverything } from '@fedmcp/test-support';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleEdge } from './fixtures/bundle-edge.js';
import { ERAS } from './fixtures/echo-through.js';
import { startHubWorker } from './fixtures/hub-miniflare.js';
import { hubScenario } from './fixtures/hub-scenario.js';

const entry = fileURLToPath(new URL('./fixtures/durable-hub-worker.ts', import.meta.url));
const persist = mkdtempSync(join(tmpdir(), 'fedmcp-do-'));
let code: Uint8Array;
let everything: Everything;
let nodeHub: HubServer;
let miniflare: Miniflare | undefined;
let port = 0;

/** Starts the worker on the persist directory (the same port as before once one was taken). */
async function startWorker(bindings: Record<string, string>): Promise<URL> {
  await miniflare?.dispose();
  miniflare = startHubWorker(code, {
    bindings: { UPSTREAM_URL: everything.url, ...bindings },
    port,
    persist,
  });
  const url = await miniflare.ready;
  port = Number(url.port);
  return url;
}

type Jwks = { keys: { kid: string }[] };
const getJson = async <T>(url: URL): Promise<T> => {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
};

let firstJwks: Jwks;

beforeAll(async () => {
  [everything, { code }] = await Promise.all([startEverything(), bundleEdge(entry)]);
  nodeHub = await createHubServer({
    hubId: 'node-b',
    upstreams: { everything: { url: everything.url } },
  });
  await nodeHub.listen();
  // First run: no peer yet; the worker makes its signing key and keeps it in the object.
  const base = await startWorker({});
  firstJwks = await getJson<Jwks>(new URL('/.well-known/jwks.json', base));
  // The Node hub trusts exactly those keys (pinned: the worker is stopped in between).
  await nodeHub.setPeers({
    edge: { url: base.origin, import: false, keys: firstJwks },
  });
}, 120_000);

afterAll(async () => {
  await miniflare?.dispose();
  await nodeHub?.close();
  await everything?.[Symbol.asyncDispose]();
  rmSync(persist, { recursive: true, force: true });
});

type AuditEvent = { type: string; outcome: string; target?: string; rule?: string };

describe('the hub in workerd with state in the Durable Object engine', () => {
  it('passes the scenario for both eras and keeps its key, audit, consents and peer link across restarts', async () => {
    let base = await startWorker({ PEER_URL: nodeHub.url! });
    expect(await getJson<Jwks>(new URL('/.well-known/jwks.json', base))).toEqual(firstJwks);
    const mcp = (at: URL) => new URL('/mcp', at);
    // Each era is asked for consent to its own arguments (grants are bound to them).
    for (const [index, era] of ERAS.entries()) {
      await hubScenario(mcp(base), era, `run 2 ${era[0]}`, {
        peer: 'node-b',
        consentArgs: { a: 20, b: index },
        consentAsked: true,
      });
    }
    const before = await getJson<AuditEvent[]>(new URL('/test/audit', base));
    const denials = before.filter(
      (event) => event.outcome === 'denied' && event.target === 'everything__get-env',
    );
    expect(denials).toHaveLength(2);

    base = await startWorker({ PEER_URL: nodeHub.url! });
    expect(await getJson<Jwks>(new URL('/.well-known/jwks.json', base))).toEqual(firstJwks);
    const after = await getJson<AuditEvent[]>(new URL('/test/audit', base));
    expect(after.slice(0, before.length)).toEqual(before);
    // The grants given before the restart are remembered: no question this time.
    for (const [index, era] of ERAS.entries()) {
      await hubScenario(mcp(base), era, `run 3 ${era[0]}`, {
        peer: 'node-b',
        consentArgs: { a: 20, b: index },
        consentAsked: false,
      });
    }
    const latest = await getJson<AuditEvent[]>(new URL('/test/audit', base));
    expect(latest.length).toBeGreaterThan(before.length);
    expect(latest.filter((event) => event.outcome === 'denied')).toHaveLength(4);
    const granted = latest.filter(
      (event) => event.type === 'consent' && event.outcome === 'granted',
    );
    expect(granted).toHaveLength(2);
  }, 240_000);
});
