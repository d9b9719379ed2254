// The hub in workerd with its state in the Durable Object engine, surviving restarts of the
// worker (Miniflare stopped and started again on the same persist directory): its signing key
// (a Node peer hub keeps trusting the keys it pinned), its audit stream, and its peer link. Each
// run serves 2026-07-28 and 2025-11-25 clients: list, call, progress, an elicitation, a policy
// denial and a call to a tool of the Node peer hub, signed with the stored key. The hub runs in a
// Durable Object of its own (`defineHubObject`), where a paused call may resume in a later request.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHubServer, type HubServer } from '@fedmcp/federation/node';
import { type Everything, startEverything } from '@fedmcp/test-support';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { textOf } from '../helpers.js';
import { bundleEdge } from './fixtures/bundle-edge.js';
import { ERAS, elicitThrough, interactiveClient } from './fixtures/echo-through.js';

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
  miniflare = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.mjs', contents: code }],
    compatibilityDate: '2025-09-01',
    compatibilityFlags: ['nodejs_compat'],
    durableObjects: {
      FEDMCP_STORE: { className: 'FedmcpStoreObject', useSQLite: true },
      FEDMCP_HUB: { className: 'FedmcpHubObject' },
    },
    durableObjectsPersist: persist,
    bindings: { UPSTREAM_URL: everything.url, ...bindings },
    host: '127.0.0.1',
    port,
    cf: false,
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

async function scenario(base: URL, eraAndMode: (typeof ERAS)[number], tag: string) {
  const [era] = eraAndMode;
  const { client, received } = interactiveClient(eraAndMode, `Ada ${tag}`);
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', base)));
  try {
    expect(client.getNegotiatedProtocolVersion()).toBe(era);
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['everything__echo', 'node-b__everything__echo']));
    const echoed = await client.callTool({ name: 'everything__echo', arguments: { message: tag } });
    expect(textOf(echoed)).toBe(`Echo: ${tag}`);
    // Through the Node peer hub, with a peer token signed by the stored key.
    const viaPeer = await client.callTool({
      name: 'node-b__everything__echo',
      arguments: { message: `${tag} via node-b` },
    });
    expect(textOf(viaPeer)).toBe(`Echo: ${tag} via node-b`);
    const progress: number[] = [];
    const long = await client.callTool(
      {
        name: 'everything__trigger-long-running-operation',
        arguments: { duration: 0.2, steps: 2 },
      },
      { onprogress: (update) => progress.push(update.progress) },
    );
    expect(textOf(long)).toContain('Long running operation completed');
    expect(progress).toEqual([1, 2]);
    // An elicitation: the call pauses in the hub's object and resumes with the client's answer
    // (a 2026-07-28 client's input_required retry, a 2025-11-25 client's POSTed response).
    await elicitThrough(client, received, 'everything__trigger-elicitation-request', `Ada ${tag}`);
    // And one asked by server-everything behind the Node peer hub.
    await elicitThrough(
      client,
      received,
      'node-b__everything__trigger-elicitation-request',
      `Ada ${tag}`,
    );
    const denied = await client.callTool({ name: 'everything__get-env', arguments: {} }).then(
      (result) => JSON.stringify(result),
      (error: Error) => error.message,
    );
    expect(denied).toMatch(/denied|not allowed|policy/i);
  } finally {
    await client.close();
  }
}

type AuditEvent = { type: string; outcome: string; target?: string; rule?: string };

describe('the hub in workerd with state in the Durable Object engine', () => {
  it('keeps its key, audit and peer link across restarts of the worker', async () => {
    let base = await startWorker({ PEER_URL: nodeHub.url! });
    expect(await getJson<Jwks>(new URL('/.well-known/jwks.json', base))).toEqual(firstJwks);
    for (const era of ERAS) await scenario(base, era, `run 2 ${era[0]}`);
    const before = await getJson<AuditEvent[]>(new URL('/test/audit', base));
    const denials = before.filter(
      (event) => event.outcome === 'denied' && event.target === 'everything__get-env',
    );
    expect(denials).toHaveLength(2);

    base = await startWorker({ PEER_URL: nodeHub.url! });
    expect(await getJson<Jwks>(new URL('/.well-known/jwks.json', base))).toEqual(firstJwks);
    const after = await getJson<AuditEvent[]>(new URL('/test/audit', base));
    expect(after.slice(0, before.length)).toEqual(before);
    await scenario(base, ERAS[0], 'run 3');
    const latest = await getJson<AuditEvent[]>(new URL('/test/audit', base));
    expect(latest.length).toBeGreaterThan(before.length);
    expect(latest.filter((event) => event.outcome === 'denied')).toHaveLength(3);
  }, 120_000);
});
