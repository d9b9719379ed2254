// A federation across runtimes: a Node hub (node-a) imports a hub in workerd (edge, state in the
// Durable Object engine), which imports a hub in Deno (deno, `deno serve`, state in PostgreSQL
// when it is here), which fronts server-everything. A client of the Node hub calls a tool three
// hops away; each hub verifies the previous one's peer token, and the audit of each hub shows the
// call with the hubs it came through and one trace id. Progress and an elicitation cross all three
// hubs (the workerd hub runs in a Durable Object of its own, where a paused call resumes in the
// request that answers it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHubServer, type HubServer } from '@fedmcp/federation/node';
import { type AuditEvent, createAuditLog, createPolicy } from '@fedmcp/proxy-auth';
import { type Everything, freePort, startEverything } from '@fedmcp/test-support';
import {
  dropSchema,
  postgresAvailable,
  postgresUrl,
  runSchema,
} from '@fedmcp/test-support/postgres';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPolicyAccess } from '../../src/index.js';
import { textOf } from '../helpers.js';
import { bundleEdge } from './fixtures/bundle-edge.js';
import { type DenoServer, denoServe } from './fixtures/deno.js';
import { ERAS, elicitThrough, interactiveClient } from './fixtures/echo-through.js';
import { startHubWorker } from './fixtures/hub-miniflare.js';

const workerEntry = fileURLToPath(new URL('./fixtures/durable-hub-worker.ts', import.meta.url));
const denoEntry = fileURLToPath(new URL('./fixtures/deno-hub.ts', import.meta.url));
const persist = mkdtempSync(join(tmpdir(), 'fedmcp-chain-'));
const schema = runSchema('edge_chain');
let everything: Everything;
let nodeHub: HubServer;
let deno: DenoServer;
let miniflare: Miniflare | undefined;
const nodeAudit: AuditEvent[] = [];

async function startWorker(code: Uint8Array, port: number, bindings: Record<string, string>) {
  await miniflare?.dispose();
  miniflare = startHubWorker(code, {
    bindings: { UPSTREAM_URL: everything.url, ...bindings },
    port,
    persist,
  });
  return miniflare.ready;
}

beforeAll(async () => {
  const [started, { code }] = await Promise.all([startEverything(), bundleEdge(workerEntry)]);
  everything = started;
  // node-a audits the calls of its own clients.
  const audit = createAuditLog({ sinks: [{ write: (event) => void nodeAudit.push(event) }] });
  nodeHub = await createHubServer({
    hubId: 'node-a',
    audit,
    hub: {
      access: createPolicyAccess({
        policy: createPolicy([{ effect: 'allow', subjects: ['*'], actions: ['*'] }]),
        audit,
      }),
    },
  });
  const nodeUrl = (await nodeHub.listen()).url;
  // The worker's key first (kept in its Durable Object), so the Deno hub can pin it.
  const port = await freePort();
  const edgeUrl = `http://127.0.0.1:${port}`;
  await startWorker(code, port, { HUB_ID: 'edge' });
  const edgeKeys = await (await fetch(`${edgeUrl}/.well-known/jwks.json`)).json();
  deno = await denoServe(denoEntry, {
    HUB_ID: 'deno',
    UPSTREAM_URL: everything.url,
    PEERS: JSON.stringify({ edge: { url: edgeUrl, import: false, keys: edgeKeys } }),
    ...(postgresAvailable ? { DATABASE_URL: postgresUrl, STORE_SCHEMA: schema } : {}),
  });
  await startWorker(code, port, {
    HUB_ID: 'edge',
    PEERS: JSON.stringify({
      'node-a': { url: nodeUrl, import: false },
      deno: { url: deno.url },
    }),
  });
  await nodeHub.setPeers({ edge: { url: edgeUrl } });
}, 180_000);

afterAll(async () => {
  await miniflare?.dispose();
  await nodeHub?.close();
  await deno?.[Symbol.asyncDispose]();
  await everything?.[Symbol.asyncDispose]();
  rmSync(persist, { recursive: true, force: true });
  if (postgresAvailable) await dropSchema(schema);
});

type Audited = {
  type: string;
  upstream?: string;
  traceId?: string;
  outcome: string;
  action?: string;
  target?: string;
  principal?: { subject: string; via?: string[] };
};

describe('Node hub → workerd hub → Deno hub', () => {
  it('passes a call three hubs deep, and each hub audits it with the hubs it came through', async () => {
    expect(nodeHub.hub.upstreams.list()).toMatchObject([{ id: 'edge', state: 'ready' }]);
    const client = new Client({ name: 'chain', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', nodeHub.url!)));
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toEqual(
        expect.arrayContaining(['edge__everything__echo', 'edge__deno__everything__echo']),
      );
      const result = await client.callTool({
        name: 'edge__deno__everything__echo',
        arguments: { message: 'three hubs' },
      });
      expect(textOf(result)).toBe('Echo: three hubs');
    } finally {
      await client.close();
    }
    const audit = async (base: string) =>
      (await (await fetch(new URL('/test/audit', base))).json()) as Audited[];
    const edgeUrl = (await miniflare!.ready).href;
    const atEdge = (await audit(edgeUrl)).filter(
      (event) => event.action === 'tools/call' && event.target === 'deno__everything__echo',
    );
    const atDeno = (await audit(deno.url)).filter(
      (event) => event.action === 'tools/call' && event.target === 'everything__echo',
    );
    // Each hub names the end caller (node-a's client) and the hubs the call came through; one trace.
    expect(atEdge).toMatchObject([
      {
        outcome: 'success',
        upstream: 'deno',
        principal: { subject: 'node-a', authMethod: 'peer', issuer: 'node-a', via: ['node-a'] },
      },
    ]);
    expect(atDeno).toMatchObject([
      {
        outcome: 'success',
        upstream: 'everything',
        principal: {
          subject: 'node-a',
          authMethod: 'peer',
          issuer: 'edge',
          via: ['edge', 'node-a'],
        },
      },
    ]);
    expect(atDeno[0]?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(atDeno[0]?.traceId).toBe(atEdge[0]?.traceId);
  }, 60_000);

  it('carries progress and an elicitation from the Deno hub through workerd and Node, audited by all three', async () => {
    for (const era of ERAS) {
      const { client, received } = interactiveClient(era, `Ada ${era[0]}`);
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', nodeHub.url!)));
      try {
        expect(client.getNegotiatedProtocolVersion()).toBe(era[0]);
        const progress: number[] = [];
        const result = await client.callTool(
          {
            name: 'edge__deno__everything__trigger-long-running-operation',
            arguments: { duration: 0.2, steps: 2 },
          },
          { onprogress: (update) => progress.push(update.progress) },
        );
        expect(textOf(result)).toContain('Long running operation completed');
        expect(progress).toEqual([1, 2]);
        await elicitThrough(
          client,
          received,
          'edge__deno__everything__trigger-elicitation-request',
          `Ada ${era[0]}`,
        );
      } finally {
        await client.close();
      }
    }
    const edgeUrl = (await miniflare!.ready).href;
    const elicited = async (base: string, target: string) =>
      ((await (await fetch(new URL('/test/audit', base))).json()) as Audited[]).filter(
        (event) => event.action === 'tools/call' && event.target === target,
      );
    const atEdge = await elicited(edgeUrl, 'deno__everything__trigger-elicitation-request');
    const atDeno = await elicited(deno.url, 'everything__trigger-elicitation-request');
    const atNode = nodeAudit.filter(
      (event) =>
        event.action === 'tools/call' &&
        event.target === 'edge__deno__everything__trigger-elicitation-request',
    );
    expect(atNode).toMatchObject([
      { outcome: 'success', upstream: 'edge' },
      { outcome: 'success', upstream: 'edge' },
    ]);
    expect(atEdge).toHaveLength(2);
    expect(atDeno).toHaveLength(2);
    for (const event of atEdge) {
      expect(event).toMatchObject({ outcome: 'success', principal: { via: ['node-a'] } });
    }
    for (const event of atDeno) {
      expect(event).toMatchObject({ outcome: 'success', principal: { via: ['edge', 'node-a'] } });
    }
    // One trace per call, the same in all three hubs.
    const traces = atNode.map((event) => event.traceId);
    expect(new Set(traces).size).toBe(2);
    expect(atEdge.map((event) => event.traceId)).toEqual(traces);
    expect(atDeno.map((event) => event.traceId)).toEqual(traces);
  }, 90_000);
});
