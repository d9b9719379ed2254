// The hub in workerd (miniflare): the esbuild bundle of a module worker (nodejs_compat) on
// 127.0.0.1 in front of server-everything over HTTP; SDK v2 clients list and call a tool through
// it. The hub runs in a Durable Object of its own; sessions and state are in its memory.
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { type Everything, startEverything } from '@fedmcp/test-support';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleEdge, workerEntry } from './fixtures/bundle-edge.js';
import { ERAS, echoThrough } from './fixtures/echo-through.js';

const key = generateApiKey();
let everything: Everything;
let miniflare: Miniflare;
let mcpUrl: URL;
const logs: string[] = [];

beforeAll(async () => {
  everything = await startEverything();
  const { code } = await bundleEdge(workerEntry);
  miniflare = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.mjs', contents: code }],
    compatibilityDate: '2025-09-01',
    compatibilityFlags: ['nodejs_compat'],
    durableObjects: { FEDMCP_HUB: { className: 'FedmcpHubObject' } },
    bindings: { UPSTREAM_URL: everything.url, API_KEY_HASHES: await hashApiKey(key) },
    host: '127.0.0.1',
    port: 0,
    cf: false,
    handleRuntimeStdio: (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => {
      for (const stream of [stdout, stderr])
        stream.on('data', (chunk: unknown) => logs.push(String(chunk)));
    },
  });
  mcpUrl = new URL('/mcp', await miniflare.ready);
}, 120_000);

afterAll(async () => {
  await miniflare?.dispose();
  await everything?.[Symbol.asyncDispose]();
});

describe('the hub in workerd', () => {
  it.each(ERAS)('serves a v2 client speaking %s: list and call a tool', (...era) =>
    echoThrough(mcpUrl, era, 'at the edge', { Authorization: `Bearer ${key}` }),
  );

  it('refuses a request without a key with 401', async () => {
    const response = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(logs.join('')).not.toContain(key);
  });
});
