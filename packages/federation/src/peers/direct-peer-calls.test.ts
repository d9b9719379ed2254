import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHubKeyring, createPeerTokenCache, generateHubKey } from '@fedmcp/proxy-auth';
import {
  Client,
  ProtocolError,
  SdkError,
  SdkErrorCode,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';
import { createMcpHandler, inputRequired, Server } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PLAIN_CALL_META_KEY } from '../handlers/caller-capabilities.js';
import {
  type DirectPeerCallsOptions,
  delegationOfMeta,
  withDirectPeerCalls,
} from './direct-peer-calls.js';
import { createNodePeerFetch } from './node-peer-fetch.js';

type Params = Record<string, unknown>;

/** The peer: a 2026-07-28 SDK server, and `raw-*` tools answered by hand (as a broken peer would). */
function peerServer(): Server {
  const server = new Server({ name: 'peer', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({
    tools: [
      { name: 'echo', inputSchema: { type: 'object' } },
      { name: 'ask-roots', inputSchema: { type: 'object' } },
    ],
  }));
  server.setRequestHandler('tools/call', (request, ctx) => {
    const { name, arguments: args } = request.params;
    if (name === 'echo') return { content: [{ type: 'text', text: String(args?.text ?? '') }] };
    if (name === 'ask-roots') {
      const roots = ctx.mcpReq.inputResponses?.roots as { roots?: unknown[] } | undefined;
      if (!roots) return inputRequired({ inputRequests: { roots: inputRequired.listRoots() } });
      return { content: [{ type: 'text', text: JSON.stringify(roots.roots) }] };
    }
    throw new ProtocolError(-32602, `Unknown tool: ${name}`, { tool: name });
  });
  return server;
}

interface Seen {
  method: string;
  id: unknown;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Answers the `raw-*` tools by hand; anything else goes to the SDK handler. */
const rawAnswers: Record<string, (id: unknown, response: ServerResponse) => void> = {
  'raw-sse': (id, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    const log = {
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { level: 'info', data: 'working' },
    };
    response.write(`event: message\ndata: ${JSON.stringify(log)}\n\n`);
    const result = {
      jsonrpc: '2.0',
      id,
      result: { resultType: 'complete', content: [{ type: 'text', text: 'streamed' }] },
    };
    // Split inside an event, with CRLF line ends: the reader must join the pieces.
    const event = `id: 1\r\ndata: ${JSON.stringify(result)}\r\n\r\n`;
    response.write(event.slice(0, 20));
    response.end(event.slice(20));
  },
  'raw-sse-cut': (_id, response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.end(': nothing to say\n\n');
  },
  'raw-bad-json': (_id, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"jsonrpc":"2.0","id":');
  },
  'raw-html': (_id, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end('<html></html>');
  },
  'raw-bad-result': (id, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ jsonrpc: '2.0', id, result: { resultType: 'complete', content: 'text' } }),
    );
  },
  'raw-other-id': (_id, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'someone-else',
        result: { resultType: 'complete', content: [] },
      }),
    );
  },
  'raw-400': (id, response) => {
    response.writeHead(400, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        jsonrpc: '2.0',
        id,
        error: { code: -32602, message: 'Refused early', data: { why: 'test' } },
      }),
    );
  },
  'raw-500': (_id, response) => {
    response.writeHead(500, { 'content-type': 'text/plain' });
    response.end('broken');
  },
  'raw-hang': () => {},
};

let url: string;
let server: ReturnType<typeof createServer>;
const seen: Seen[] = [];
const closedHangs: string[] = [];
const handler = createMcpHandler(() => peerServer(), { legacy: 'reject' });

beforeAll(async () => {
  server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const message = body === '' ? {} : (JSON.parse(body) as Params);
    const params = (message.params ?? {}) as Params;
    seen.push({ method: String(message.method), id: message.id, headers: request.headers, body });
    const raw = message.method === 'tools/call' ? rawAnswers[String(params.name)] : undefined;
    if (raw) {
      if (params.name === 'raw-hang') {
        response.on('close', () => closedHangs.push(String(message.id)));
      }
      raw(message.id, response);
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    const answer = await handler.fetch(
      new Request(`http://127.0.0.1${request.url}`, {
        method: request.method,
        headers,
        ...(body === '' ? {} : { body }),
      }),
    );
    response.writeHead(answer.status, Object.fromEntries(answer.headers));
    response.end(Buffer.from(await answer.arrayBuffer()));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await handler.close();
});

/** A 2026-07-28 client of the peer, with or without direct calls, answering roots/list. */
async function connect(
  direct: boolean,
  authorization: DirectPeerCallsOptions['authorization'] = async () => 'Bearer token',
  /** The fetch of direct calls: the node peer fetch (whole answers), or the global one. */
  directFetch?: typeof fetch,
) {
  const client = new Client(
    { name: 'hub', version: '1.0.0' },
    { capabilities: { roots: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  client.setRequestHandler('roots/list', () => ({ roots: [{ uri: 'file:///hub', name: 'hub' }] }));
  const peerFetch = createNodePeerFetch() as typeof fetch;
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      fetch: (input, init) =>
        peerFetch(input, {
          ...init,
          redirect: 'error',
          headers: {
            ...Object.fromEntries(new Headers(init?.headers)),
            authorization: 'Bearer token',
          },
        }),
    }),
  );
  if (direct) {
    // As the connector's fetch does (create-peer-connector.ts): redirects refused.
    const refusingRedirects: typeof fetch = (input, init) =>
      (directFetch ?? peerFetch)(input, { ...init, redirect: 'error' });
    withDirectPeerCalls(client, { url, fetch: refusingRedirects, authorization });
  }
  return client;
}

const plainMeta = {
  [PLAIN_CALL_META_KEY]: true,
  'io.modelcontextprotocol/clientCapabilities': { roots: {} },
  'io.fedmcp/onBehalfOf': { subject: 'alice', via: ['x'] },
};
const call = (client: Client, name: string, options: Params = {}, meta: Params = plainMeta) =>
  client.request(
    { method: 'tools/call', params: { name, arguments: { text: 'hi' }, _meta: meta } },
    ResultSchema,
    { timeout: 10_000, ...options },
  );
/** The fetches of direct calls: the node peer fetch (whole answers as bytes) and a Response one. */
const fetches: Array<[string, typeof fetch | undefined]> = [
  ['node peer fetch', undefined],
  ['global fetch', (input, init) => globalThis.fetch(input, init)],
];
const lastCall = () => seen.filter((request) => request.method === 'tools/call').at(-1) as Seen;

describe('withDirectPeerCalls', () => {
  it('sends a plain call as the SDK would (same body but the id, same MCP headers) and returns the same result', async () => {
    const sdk = await connect(false);
    const direct = await connect(true);
    try {
      const viaSdk = await call(sdk, 'echo');
      const sentBySdk = lastCall();
      const viaDirect = await call(direct, 'echo');
      const sentDirectly = lastCall();
      expect(viaDirect).toEqual(viaSdk);
      expect(viaDirect).toEqual({
        content: [{ type: 'text', text: 'hi' }],
        _meta: expect.any(Object),
      });
      expect(sentDirectly.id).toMatch(/^fedmcp-peer-\d+$/);
      expect(typeof sentBySdk.id).toBe('number');
      const withoutId = (body: string) => ({ ...JSON.parse(body), id: undefined });
      expect(withoutId(sentDirectly.body)).toEqual(withoutId(sentBySdk.body));
      for (const name of [
        'mcp-protocol-version',
        'mcp-method',
        'mcp-name',
        'content-type',
        'authorization',
      ]) {
        expect(sentDirectly.headers[name], name).toBe(sentBySdk.headers[name]);
      }
      expect(sentDirectly.headers.accept).toBe('application/json, text/event-stream');
    } finally {
      await sdk.close();
      await direct.close();
    }
  });

  it('asks for the token of the end user and the hubs before, as the hub wrote them in _meta', async () => {
    const asked: unknown[] = [];
    const client = await connect(true, async (...args: unknown[]) => {
      asked.push(args);
      return 'Bearer for-alice';
    });
    try {
      await call(client, 'echo');
      expect(asked).toEqual([['alice', ['x']]]);
      expect(lastCall().headers.authorization).toBe('Bearer for-alice');
      await call(client, 'echo', {}, { [PLAIN_CALL_META_KEY]: true });
      expect(asked.at(-1)).toEqual([undefined, []]);
    } finally {
      await client.close();
    }
  });

  it('leaves every other request to the SDK client', async () => {
    const client = await connect(true);
    try {
      const cases: Array<[string, Params, Params | undefined]> = [
        ['not a plain call', {}, { 'io.fedmcp/onBehalfOf': { subject: 'alice' } }],
        ['progress', { onprogress: () => {} }, undefined],
        ['a header', { headers: { 'x-extra': '1' } }, undefined],
      ];
      for (const [why, options, meta] of cases) {
        await call(client, 'echo', options, meta ?? plainMeta);
        expect(typeof lastCall().id, why).toBe('number');
      }
      await client.request({ method: 'tools/list' }, ResultSchema);
      expect(seen.at(-1)?.method).toBe('tools/list');
    } finally {
      await client.close();
    }
  });

  it("answers a peer's input_required with the client's handlers and retries through the SDK", async () => {
    const client = await connect(true);
    try {
      const result = await call(client, 'ask-roots');
      expect(result.content).toEqual([
        { type: 'text', text: JSON.stringify([{ uri: 'file:///hub', name: 'hub' }]) },
      ]);
      const calls = seen.filter((request) => request.method === 'tools/call').slice(-2);
      expect(calls.map((request) => typeof request.id)).toEqual(['string', 'number']);
      expect(JSON.parse(calls[1]?.body ?? '{}').params.inputResponses).toBeDefined();
    } finally {
      await client.close();
    }
  });

  it('reads an SSE answer up to its response, delivering the other messages to the client', async () => {
    const client = await connect(true);
    const logs: unknown[] = [];
    client.setNotificationHandler('notifications/message', (notification) => {
      logs.push(notification.params.data);
    });
    try {
      const result = await call(client, 'raw-sse');
      expect(result.content).toEqual([{ type: 'text', text: 'streamed' }]);
      await vi.waitFor(() => expect(logs).toEqual(['working']));
      await expect(call(client, 'raw-sse-cut')).rejects.toMatchObject({
        code: SdkErrorCode.ConnectionClosed,
      });
    } finally {
      await client.close();
    }
  });

  it.each(fetches)(
    "%s: gives a peer's JSON-RPC error as the SDK's ProtocolError, with its code, message and data",
    async (_name, directFetch) => {
      const client = await connect(true, undefined, directFetch);
      try {
        const error = await call(client, 'missing').catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ProtocolError);
        expect(error).toMatchObject({ code: -32602, data: { tool: 'missing' } });
        await expect(call(client, 'raw-400')).rejects.toMatchObject({
          code: -32602,
          message: 'Refused early',
          data: { why: 'test' },
        });
        await expect(call(client, 'raw-500')).rejects.toMatchObject({
          message: expect.stringContaining('broken'),
        });
      } finally {
        await client.close();
      }
    },
  );

  it.each(fetches)(
    '%s: refuses bad answers with a clear error: invalid JSON, a wrong content type, a malformed result, another id',
    async (_name, directFetch) => {
      const client = await connect(true, undefined, directFetch);
      try {
        for (const [name, text] of [
          ['raw-bad-json', 'invalid JSON'],
          ['raw-html', 'text/html'],
          ['raw-bad-result', 'content is not an array'],
          ['raw-other-id', 'something other than its JSON-RPC response'],
        ] as const) {
          const error = await call(client, name).catch((caught: unknown) => caught);
          expect(error, name).toBeInstanceOf(SdkError);
          expect((error as Error).message, name).toContain(text);
        }
        // The connection is still fine.
        expect((await call(client, 'echo')).content).toEqual([{ type: 'text', text: 'hi' }]);
      } finally {
        await client.close();
      }
    },
  );

  it('cancels: an aborted call rejects with its reason and its request is closed at the peer; a timeout rejects as REQUEST_TIMEOUT', async () => {
    const client = await connect(true);
    try {
      const controller = new AbortController();
      const pending = call(client, 'raw-hang', { signal: controller.signal });
      await vi.waitFor(() => expect(lastCall().body).toContain('raw-hang'));
      const id = String(lastCall().id);
      const reason = new DOMException('The client went away.', 'AbortError');
      controller.abort(reason);
      await expect(pending).rejects.toBe(reason);
      await vi.waitFor(() => expect(closedHangs).toContain(id));

      const timedOut = call(client, 'raw-hang', { timeout: 50 });
      await expect(timedOut).rejects.toMatchObject({ code: SdkErrorCode.RequestTimeout });
      const second = String(lastCall().id);
      await vi.waitFor(() => expect(closedHangs).toContain(second));
    } finally {
      await client.close();
    }
  });

  it('takes a new peer token once the reused one nears its expiry', async () => {
    let now = Date.parse('2026-12-01T00:00:00Z');
    const tokens = createPeerTokenCache({
      keyring: await createHubKeyring({ keys: [await generateHubKey()] }),
      issuer: 'a',
      ttlSeconds: 60,
      refreshBeforeSeconds: 10,
      now: () => now,
    });
    const client = await connect(true, async (subject, actorChain) => {
      const { token } = await tokens.get({ audience: 'b', subject: subject ?? 'a', actorChain });
      return `Bearer ${token}`;
    });
    try {
      await call(client, 'echo');
      const first = lastCall().headers.authorization;
      await call(client, 'echo');
      expect(lastCall().headers.authorization).toBe(first);
      now += 55_000;
      await call(client, 'echo');
      expect(lastCall().headers.authorization).not.toBe(first);
    } finally {
      await client.close();
    }
  });
});

describe('delegationOfMeta', () => {
  it('reads the end user and the hubs before, by hand or by the schema, and nothing from a malformed value', () => {
    expect(
      delegationOfMeta({
        'io.fedmcp/onBehalfOf': { subject: 'alice', issuer: 'https://id', via: ['b', 'a'] },
      }),
    ).toEqual({
      subject: 'alice',
      actorChain: ['b', 'a'],
    });
    expect(delegationOfMeta({ 'io.fedmcp/onBehalfOf': { subject: 'bob', extra: 1 } })).toEqual({
      subject: 'bob',
      actorChain: [],
    });
    for (const bad of [{ subject: '' }, { subject: 'x', via: ['Not A Hub'] }, 'alice', null]) {
      expect(delegationOfMeta({ 'io.fedmcp/onBehalfOf': bad })).toBeUndefined();
    }
    expect(delegationOfMeta(undefined)).toBeUndefined();
  });
});
