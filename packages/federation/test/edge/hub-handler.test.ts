// createHubHandler on Node: the web-standard hub behind a tiny fetch adapter on 127.0.0.1, in
// front of server-everything (Streamable HTTP), with SDK v2 (2026-07-28 and 2025-11-25) and SDK
// v1 clients, API keys from @fedmcp/proxy-auth at the door.
import { InvalidConfigError } from '@fedmcp/protocol';
import {
  authenticateRequest,
  createApiKeyAuthenticator,
  generateApiKey,
  hashApiKey,
} from '@fedmcp/proxy-auth';
import { type Everything, startEverything } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, createHubHandler, type HubHandler } from '../../src/index.js';
import { textOf } from '../helpers.js';
import { ERAS, echoThrough } from './fixtures/echo-through.js';
import { type ServedFetch, serveFetch } from './fixtures/serve-fetch.js';

const key = generateApiKey();
const bearer = { Authorization: `Bearer ${key}` };
let everything: Everything;
let handler: HubHandler;
let served: ServedFetch;

beforeAll(async () => {
  everything = await startEverything();
  const apiKeys = createApiKeyAuthenticator({
    keys: [{ hash: await hashApiKey(key), subject: 'edge-tester' }],
  });
  const hub = createHub({ upstreams: { everything: { url: everything.url } } });
  handler = await createHubHandler(hub, {
    hubId: 'edge',
    authenticate: (request) => authenticateRequest({ headers: request.headers }, [apiKeys]),
    sessionOwner: (principal) => (principal as { subject?: string }).subject,
  });
  served = await serveFetch(handler);
});

afterAll(async () => {
  await served?.[Symbol.asyncDispose]();
  await handler?.close();
  await everything?.[Symbol.asyncDispose]();
});

const mcpUrl = () => new URL('/mcp', served.url);

describe('createHubHandler (Node adapter, server-everything upstream)', () => {
  it.each(ERAS)('serves a v2 client speaking %s', (...era) =>
    echoThrough(mcpUrl(), era, 'through the web handler', bearer),
  );

  it('serves an SDK v1 client in a session kept by the isolate', async () => {
    const client = new V1Client({ name: 'v1', version: '1.0.0' });
    const transport = new V1Transport(mcpUrl(), { requestInit: { headers: bearer } });
    await client.connect(transport);
    try {
      expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      const result = await client.callTool({
        name: 'everything__get-sum',
        arguments: { a: 2, b: 3 },
      });
      expect(textOf(result)).toContain('5');
    } finally {
      await client.close();
    }
  });

  it('refuses a request without an API key with 401 and the reason', async () => {
    const response = await fetch(mcpUrl(), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(401);
    expect(JSON.stringify(await response.json())).toMatch(/credential|key|auth/i);
  });

  it('answers a session id of another isolate (or principal) with 404 so the client re-initializes', async () => {
    const response = await fetch(mcpUrl(), {
      method: 'POST',
      headers: {
        ...bearer,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': crypto.randomUUID(),
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(response.status).toBe(404);
  });

  it('answers malformed JSON with a JSON-RPC parse error (400)', async () => {
    const response = await fetch(mcpUrl(), {
      method: 'POST',
      headers: { ...bearer, 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: -32700 } });
  });

  it('serves discovery, JWKS, /healthz and an authenticated /status', async () => {
    const discovery = await (
      await fetch(new URL('/.well-known/mcp-federation', served.url))
    ).json();
    expect(discovery).toMatchObject({ hubId: 'edge', endpoint: mcpUrl().href });
    const jwks = (await (await fetch(new URL('/.well-known/jwks.json', served.url))).json()) as {
      keys: unknown[];
    };
    expect(jwks.keys.length).toBeGreaterThan(0);
    expect(await (await fetch(new URL('/healthz', served.url))).json()).toEqual({ status: 'ok' });
    expect((await fetch(new URL('/status', served.url))).status).toBe(401);
    const status = await (await fetch(new URL('/status', served.url), { headers: bearer })).json();
    expect(JSON.stringify(status)).toContain('everything');
    expect((await fetch(new URL('/nowhere', served.url))).status).toBe(404);
  });

  it('closes a 2025-era session left idle when another opens (sessionIdleMs)', async () => {
    const hub = createHub();
    const idle = await createHubHandler(hub, { hubId: 'idle', sessionIdleMs: 0 });
    const open = async () => {
      const transport = new StreamableHTTPClientTransport(new URL('http://idle.test/mcp'), {
        fetch: (url, init) => idle(new Request(url, init)),
      });
      const client = new Client(
        { name: 'idle', version: '1.0.0' },
        { versionNegotiation: { mode: 'legacy' } },
      );
      await client.connect(transport);
      return transport.sessionId as string;
    };
    const listWith = (sessionId: string) =>
      idle(
        new Request('http://idle.test/mcp', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-session-id': sessionId,
            'mcp-protocol-version': '2025-11-25',
          },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
        }),
      );
    try {
      const first = await open();
      const second = await open();
      expect((await listWith(first)).status).toBe(404);
      expect((await listWith(second)).status).toBe(200);
    } finally {
      await idle.close();
    }
  });

  it('refuses a stdio upstream with a config error naming the key', async () => {
    const hub = createHub({ upstreams: { local: { command: 'node', args: ['server.js'] } } });
    try {
      const failure = await createHubHandler(hub).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(InvalidConfigError);
      expect((failure as Error).message).toMatch(/"local" is a stdio command/);
    } finally {
      await hub.close();
    }
  });
});
