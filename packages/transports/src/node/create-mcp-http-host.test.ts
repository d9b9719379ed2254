import { request as httpRequest } from 'node:http';
import { UnauthenticatedError } from '@fedmcp/protocol';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { McpSessionContext } from '../mcp-session-context.js';
import { createMcpHttpHost } from './create-mcp-http-host.js';
import type { McpHttpHost, McpHttpHostOptions } from './mcp-http-host-options.js';

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A plain HTTP request, so tests can forge `Host` and send bodies byte for byte. */
function raw(
  port: number,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/mcp',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...options.headers,
        },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw-client', version: '1.0.0' },
  },
});

let release: (() => void) | undefined;

function createEchoServer(): Server {
  const server = new Server(
    { name: 'host-test-server', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler('tools/list', () => ({
    tools: [
      {
        name: 'echo',
        inputSchema: { type: 'object' as const, properties: { text: { type: 'string' } } },
      },
      { name: 'wait', inputSchema: { type: 'object' as const } },
    ],
  }));
  server.setRequestHandler('tools/call', async (request) => {
    if (request.params.name === 'wait') {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return { content: [{ type: 'text' as const, text: 'released' }] };
    }
    return {
      content: [{ type: 'text' as const, text: String(request.params.arguments?.text ?? '') }],
    };
  });
  return server;
}

const hosts: McpHttpHost[] = [];
const clients: Client[] = [];
const sockets: WebSocket[] = [];

async function startHost(options: Partial<McpHttpHostOptions> = {}) {
  const host = createMcpHttpHost({ createServer: () => createEchoServer(), ...options });
  hosts.push(host);
  const { url, port } = await host.listen();
  return { host, url, port };
}

async function connectClient(url: string): Promise<Client> {
  const client = new Client({ name: 'host-test-client', version: '1.0.0' });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return client;
}

async function echo(client: Client, text: string): Promise<string> {
  const result = await client.callTool({ name: 'echo', arguments: { text } });
  return (result.content as { text: string }[])[0]?.text ?? '';
}

function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, 'mcp', { headers });
    sockets.push(socket);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_request, response) =>
      reject(
        Object.assign(new Error(`HTTP ${response.statusCode}`), {
          status: response.statusCode,
          response,
        }),
      ),
    );
    socket.once('error', reject);
  });
}

function nextMessage(socket: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve) =>
    socket.once('message', (data) => resolve(JSON.parse(String(data)))),
  );
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await Promise.allSettled(hosts.splice(0).map((host) => host.close()));
});

describe('createMcpHttpHost — bad input', () => {
  it('tells clients its keep-alive timeout (Keep-Alive: timeout=5) with no timer of Node per response', async () => {
    const { host, port } = await startHost();
    expect(host.server.keepAliveTimeout).toBe(0); // the connection guard sweeps idle ones
    const answer = await raw(port, { method: 'GET', path: '/nothing' });
    expect(answer.status).toBe(404);
    expect(answer.headers['keep-alive']).toBe('timeout=5');
    expect(answer.headers.connection).toBe('keep-alive');
  });

  it('answers malformed JSON with a -32700 parse error and keeps serving', async () => {
    const { url, port } = await startHost();
    const response = await raw(port, { body: '{"jsonrpc": "2.0", "method": ' });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700 },
    });
    expect(await echo(await connectClient(url), 'still serving')).toBe('still serving');
  });

  it('answers a JSON body that is not JSON-RPC with -32600 and keeps serving', async () => {
    const { url, port } = await startHost();
    for (const body of ['{"hello":"world"}', '42', '[]']) {
      const response = await raw(port, { body });
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body).error.code).toBe(-32600);
    }
    expect(await echo(await connectClient(url), 'ok')).toBe('ok');
  });

  it('answers an oversize body with 413 and a JSON-RPC error, declared or streamed', async () => {
    const { url, port } = await startHost({ maxBodyBytes: 1024 });
    const big = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'ping',
      params: { pad: 'x'.repeat(2048) },
    });
    const declared = await raw(port, { body: big });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.body).error.message).toContain('1024 bytes');
    const chunked = await raw(port, {
      body: Buffer.from(big),
      headers: { 'transfer-encoding': 'chunked' },
    });
    expect(chunked.status).toBe(413);
    expect(await echo(await connectClient(url), 'small is fine')).toBe('small is fine');
  });

  it('refuses a wrong Host header and a foreign Origin with 403', async () => {
    const { url, port } = await startHost();
    const wrongHost = await raw(port, { body: initialize, headers: { host: 'evil.example:80' } });
    expect(wrongHost.status).toBe(403);
    expect(JSON.parse(wrongHost.body).error.message).toContain('Forbidden');
    const wrongOrigin = await raw(port, {
      body: initialize,
      headers: { origin: 'https://evil.example' },
    });
    expect(wrongOrigin.status).toBe(403);
    const nullOrigin = await raw(port, { body: initialize, headers: { origin: 'null' } });
    expect(nullOrigin.status).toBe(403);
    const localOrigin = await raw(port, {
      body: initialize,
      headers: { origin: 'http://localhost:5173' },
    });
    expect(localOrigin.status).toBe(200);
    await expect(openSocket(url, { origin: 'https://evil.example' })).rejects.toMatchObject({
      status: 403,
    });
    expect(await echo(await connectClient(url), 'ok')).toBe('ok');
  });

  it('accepts the Host names it is told to', async () => {
    const { port } = await startHost({ allowedHosts: ['mcp.example.com'] });
    expect(
      (await raw(port, { body: initialize, headers: { host: 'mcp.example.com' } })).status,
    ).toBe(200);
    expect((await raw(port, { body: initialize, headers: { host: 'localhost' } })).status).toBe(
      403,
    );
  });

  it('answers a Host value the same way each time, past the Host values it remembers', async () => {
    const { port } = await startHost();
    const statusFor = async (host: string) =>
      (await raw(port, { body: initialize, headers: { host } })).status;
    for (let round = 0; round < 2; round += 1) {
      expect(await statusFor(`localhost:${port}`)).toBe(200);
      expect(await statusFor('evil.example')).toBe(403);
      expect(await statusFor(`evil.example:${port}`)).toBe(403);
    }
    // More distinct allowed values than the validator remembers (64): each still accepted, and
    // refused ones still refused.
    for (let other = 1; other <= 70; other += 1) {
      expect(await statusFor(`127.0.0.1:${other}`)).toBe(200);
    }
    expect(await statusFor(`localhost:${port}`)).toBe(200);
    expect(await statusFor('127.0.0.1:70')).toBe(200);
    expect(await statusFor('localhost.evil.example')).toBe(403);
  });

  it('answers an unknown session id with 404 and -32001', async () => {
    const { url, port } = await startHost();
    const response = await raw(port, {
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      headers: { 'mcp-session-id': 'no-such-session', 'mcp-protocol-version': '2025-06-18' },
    });
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body).error.code).toBe(-32001);
    const messages = await raw(port, { path: '/messages?sessionId=nope', body: '{}' });
    expect(messages.status).toBe(404);
    expect(await echo(await connectClient(url), 'ok')).toBe('ok');
  });

  it('answers a request without a session that is not initialize with 400', async () => {
    const { port } = await startHost();
    const response = await raw(port, {
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body).error.message).toContain('Mcp-Session-Id');
  });

  it('answers 500 when createServer throws, and keeps serving', async () => {
    let failNext = true;
    const { url, port } = await startHost({
      createServer: () => {
        if (failNext) {
          failNext = false;
          throw new Error('catalog unavailable');
        }
        return createEchoServer();
      },
    });
    const failed = await raw(port, { body: initialize });
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toMatchObject({
      error: { code: -32603, message: 'Internal error' },
    });
    expect(await echo(await connectClient(url), 'recovered')).toBe('recovered');
  });

  it('answers a non-JSON content type with 415 and a wrong method with 405', async () => {
    const { port } = await startHost();
    const wrongType = await raw(port, {
      body: initialize,
      headers: { 'content-type': 'text/plain' },
    });
    expect(wrongType.status).toBe(415);
    const wrongMethod = await raw(port, { method: 'PUT', body: initialize });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET, POST, DELETE');
  });

  it('answers a garbage WebSocket frame with -32700 and keeps the connection usable', async () => {
    const { url } = await startHost();
    const socket = await openSocket(url);
    expect(socket.protocol).toBe('mcp');
    socket.send('this is not json');
    expect(await nextMessage(socket)).toMatchObject({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700 },
    });
    socket.send('{"not":"json-rpc"}');
    expect(await nextMessage(socket)).toMatchObject({ error: { code: -32600 } });
    socket.send(initialize);
    expect(await nextMessage(socket)).toMatchObject({
      id: 1,
      result: { serverInfo: { name: 'host-test-server' } },
    });
    expect(await echo(await connectClient(url), 'ok')).toBe('ok');
  });
  it('closes a WebSocket whose message is over maxBodyBytes (1009) and keeps serving', async () => {
    const { url } = await startHost({ maxBodyBytes: 1024 });
    const socket = await openSocket(url);
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(4096) } }),
    );
    expect(await closed).toBe(1009);
    const next = await openSocket(url);
    next.send(initialize);
    expect(await nextMessage(next)).toMatchObject({
      id: 1,
      result: { protocolVersion: '2025-06-18' },
    });
  });
});

describe('createMcpHttpHost — limits and lifecycle', () => {
  it('refuses new sessions with 503 when maxSessions is reached', async () => {
    const { url, port, host } = await startHost({ maxSessions: 1 });
    const first = await raw(port, { body: initialize });
    expect(first.status).toBe(200);
    expect(host.sessionCount).toBe(1);
    const second = await raw(port, { body: initialize });
    expect(second.status).toBe(503);
    expect(JSON.parse(second.body).error.message).toContain('session limit');
    await expect(openSocket(url)).rejects.toMatchObject({ status: 503 });
    const sse = await raw(port, { method: 'GET', path: '/sse' });
    expect(sse.status).toBe(503);
  });

  it('closes a session after sessionIdleTimeoutMs without traffic', async () => {
    const { port, host } = await startHost({ sessionIdleTimeoutMs: 200 });
    const opened = await raw(port, { body: initialize });
    const sessionId = opened.headers['mcp-session-id'] as string;
    expect(host.sessionCount).toBe(1);
    await vi.waitFor(() => expect(host.sessionCount).toBe(0), { timeout: 20_000, interval: 50 });
    const later = await raw(port, {
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      headers: { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' },
    });
    expect(later.status).toBe(404);
  });

  it('drains an in-flight call on close, then closes its session', async () => {
    release = undefined;
    const { url, host } = await startHost();
    const client = await connectClient(url);
    const call = client.callTool({ name: 'wait', arguments: {} });
    await vi.waitFor(() => expect(release).toBeTypeOf('function'), { timeout: 20_000 });
    let closed = false;
    const closing = host.close().then(() => {
      closed = true;
    });
    // A new client is refused while the host drains.
    await expect(connectClient(url)).rejects.toThrow();
    expect(closed).toBe(false);
    // `release` is set by the `wait` tool, which TypeScript cannot see.
    (release as (() => void) | undefined)?.();
    expect((await call).content).toEqual([{ type: 'text', text: 'released' }]);
    await closing;
    expect(host.sessionCount).toBe(0);
  });

  it('replays a 2025-era stream from Last-Event-ID (resumability, in-memory event store)', async () => {
    const { port } = await startHost();
    // 2025-11-25 streams open with a priming event (an id and no data) to resume after.
    const opened = await raw(port, { body: initialize.replace('2025-06-18', '2025-11-25') });
    const headers = {
      'mcp-session-id': opened.headers['mcp-session-id'] as string,
      'mcp-protocol-version': '2025-11-25',
    };
    await raw(port, {
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
      headers,
    });
    const call = await raw(port, {
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'resumed' } },
      }),
      headers,
    });
    const eventIds = [...call.body.matchAll(/^id: (.+)$/gm)].map((match) => match[1] as string);
    expect(eventIds.length).toBeGreaterThanOrEqual(2);
    // Resume after the priming event: the result is sent again, on the GET stream.
    const replayed = await new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/mcp',
          method: 'GET',
          headers: {
            ...headers,
            accept: 'text/event-stream',
            'last-event-id': eventIds[0] as string,
          },
        },
        (response) => {
          let received = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            received += chunk;
            if (received.includes('"id":7')) {
              request.destroy();
              resolve(received);
            }
          });
        },
      );
      request.on('error', reject);
      request.end();
    });
    expect(replayed).toContain('resumed');
  });

  it('sends SSE keep-alive comments on an idle legacy stream', async () => {
    const { port } = await startHost({ keepAliveMs: 50 });
    const text = await new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        { host: '127.0.0.1', port, path: '/sse', method: 'GET' },
        (response) => {
          let received = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            received += chunk;
            if (received.includes(': keep-alive')) {
              request.destroy();
              resolve(received);
            }
          });
        },
      );
      request.on('error', reject);
      request.end();
    });
    expect(text).toMatch(/^event: endpoint\ndata: \/messages\?sessionId=[0-9a-f-]+\n\n/);
  });

  it('sends keep-alive comments on an idle 2025-era GET stream of /mcp', async () => {
    const { port } = await startHost({ keepAliveMs: 50 });
    const opened = await raw(port, { body: initialize });
    const text = await new Promise<string>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/mcp',
          method: 'GET',
          headers: {
            accept: 'text/event-stream',
            'mcp-session-id': opened.headers['mcp-session-id'] as string,
            'mcp-protocol-version': '2025-06-18',
          },
        },
        (response) => {
          let received = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            received += chunk;
            if (/^:/m.test(received)) {
              request.destroy();
              resolve(received);
            }
          });
        },
      );
      request.on('error', reject);
      request.end();
    });
    expect(text).toMatch(/^:/m);
  });
});

describe('createMcpHttpHost — hooks', () => {
  it('puts the authenticated principal into the session context', async () => {
    const contexts: McpSessionContext[] = [];
    const { url } = await startHost({
      authenticate: (request) => ({ user: request.headers.get('x-user') }),
      createServer: (context) => {
        contexts.push(context);
        return createEchoServer();
      },
    });
    const client = new Client({ name: 'c', version: '1' });
    clients.push(client);
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { 'x-user': 'alice' } },
      }),
    );
    expect(contexts[0]).toMatchObject({
      transport: 'streamable-http',
      era: 'legacy',
      principal: { user: 'alice' },
    });
    expect(contexts[0]?.headers?.get('x-user')).toBe('alice');
  });

  it('gives a 2026-07-28 request its principal, and AuthInfo-shaped principals to handlers', async () => {
    const contexts: McpSessionContext[] = [];
    const seenAuthInfo: unknown[] = [];
    const { url } = await startHost({
      authenticate: (request) => ({
        token: request.headers.get('authorization')?.slice('Bearer '.length) ?? '',
        clientId: 'carol-app',
        scopes: ['mcp'],
      }),
      createServer: (context) => {
        contexts.push(context);
        const server = createEchoServer();
        server.setRequestHandler('tools/call', (_request, ctx) => {
          seenAuthInfo.push(ctx.http?.authInfo);
          return { content: [{ type: 'text' as const, text: 'ok' }] };
        });
        return server;
      },
    });
    const client = new Client(
      { name: 'c', version: '1' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    clients.push(client);
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
        requestInit: { headers: { authorization: 'Bearer t0ken' } },
      }),
    );
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    expect(contexts.at(-1)).toMatchObject({
      transport: 'streamable-http',
      era: 'modern',
      principal: { token: 't0ken', clientId: 'carol-app' },
    });
    expect(seenAuthInfo.at(-1)).toMatchObject({
      token: 't0ken',
      clientId: 'carol-app',
      scopes: ['mcp'],
    });
  });

  it('answers 401 with the error headers when authenticate throws UnauthenticatedError', async () => {
    const { url, port } = await startHost({
      authenticate: (request) => {
        if (request.headers.get('authorization') !== 'Bearer good') {
          throw new UnauthenticatedError({
            reason: 'missing token',
            data: { headers: { 'www-authenticate': 'Bearer realm="fedmcp"' } },
          });
        }
        return { user: 'bob' };
      },
    });
    const refused = await raw(port, { body: initialize });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="fedmcp"');
    expect(JSON.parse(refused.body).error.message).toContain('missing token');
    await expect(openSocket(url)).rejects.toMatchObject({ status: 401 });
    const accepted = await raw(port, {
      body: initialize,
      headers: { authorization: 'Bearer good' },
    });
    expect(accepted.status).toBe(200);
  });

  it('binds sessions to their principal with sessionOwner', async () => {
    const { port } = await startHost({
      authenticate: (request) => ({ user: request.headers.get('x-user') }),
      sessionOwner: (principal) => (principal as { user: string }).user,
    });
    const opened = await raw(port, { body: initialize, headers: { 'x-user': 'alice' } });
    const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const session = {
      'mcp-session-id': opened.headers['mcp-session-id'] as string,
      'mcp-protocol-version': '2025-06-18',
    };
    const asBob = await raw(port, { body: list, headers: { ...session, 'x-user': 'bob' } });
    expect(asBob.status).toBe(404);
    const asAlice = await raw(port, { body: list, headers: { ...session, 'x-user': 'alice' } });
    expect(asAlice.status).toBe(200);

    // The legacy SSE message endpoint is bound the same way (while the stream stays open).
    const stream = await new Promise<{ endpoint: string; close(): void }>((resolve, reject) => {
      const request = httpRequest(
        { host: '127.0.0.1', port, path: '/sse', method: 'GET', headers: { 'x-user': 'alice' } },
        (response) => {
          response.setEncoding('utf8');
          response.once('data', (chunk: string) =>
            resolve({
              endpoint: /data: (\S+)/.exec(chunk)?.[1] as string,
              close: () => request.destroy(),
            }),
          );
        },
      );
      request.on('error', reject);
      request.end();
    });
    const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    const post = (user: string) =>
      raw(port, { path: stream.endpoint, body: initialized, headers: { 'x-user': user } });
    expect((await post('bob')).status).toBe(404);
    expect((await post('alice')).status).toBe(202);
    stream.close();
  });

  it('sends a Response returned by authenticate as is', async () => {
    const { port } = await startHost({
      authenticate: () => new Response('go away', { status: 403, headers: { 'x-reason': 'test' } }),
    });
    const response = await raw(port, { body: initialize });
    expect(response.status).toBe(403);
    expect(response.headers['x-reason']).toBe('test');
    expect(response.body).toBe('go away');
  });

  it('lets onRequest serve extra routes, and answers unknown paths with 404', async () => {
    const { port } = await startHost({
      onRequest: (request, response) => {
        if (request.url !== '/health') return false;
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        return true;
      },
    });
    expect(await raw(port, { method: 'GET', path: '/health' })).toMatchObject({
      status: 200,
      body: 'ok',
    });
    expect((await raw(port, { method: 'GET', path: '/nope' })).status).toBe(404);
  });

  it('sends no CORS headers by default, and answers preflights when configured', async () => {
    const plain = await startHost();
    const without = await raw(plain.port, {
      body: initialize,
      headers: { origin: 'http://localhost:3000' },
    });
    expect(without.headers['access-control-allow-origin']).toBeUndefined();
    const withCors = await startHost({ cors: { origins: ['http://localhost:3000'] } });
    const preflight = await raw(withCors.port, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    const actual = await raw(withCors.port, {
      body: initialize,
      headers: { origin: 'http://localhost:3000' },
    });
    expect(actual.headers['access-control-expose-headers']).toContain('Mcp-Session-Id');
  });

  it('serves only the transports it is told to, on the paths it is told to', async () => {
    const { url, port } = await startHost({
      paths: { mcp: '/rpc' },
      transports: { sse: false, websocket: false },
    });
    expect((await raw(port, { path: '/rpc', body: initialize })).status).toBe(200);
    expect((await raw(port, { method: 'GET', path: '/sse' })).status).toBe(404);
    await expect(openSocket(url)).rejects.toMatchObject({ status: 404 });
  });
});
