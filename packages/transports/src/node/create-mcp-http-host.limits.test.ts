/**
 * Regression tests of the host's protections (issue 20): connection exhaustion (slowloris,
 * stalled bodies, descriptor caps), session quotas, deep nesting and oversize uploads.
 */
import { connect, type Socket } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { createMcpHttpHost } from './create-mcp-http-host.js';
import type { McpHttpHost, McpHttpHostOptions } from './mcp-http-host-options.js';

const hosts: McpHttpHost[] = [];
const clients: Client[] = [];
const sockets: Array<Socket | WebSocket> = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) {
    if (socket instanceof WebSocket) socket.terminate();
    else socket.destroy();
  }
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await Promise.allSettled(hosts.splice(0).map((host) => host.close()));
});

function createEchoServer(): Server {
  const server = new Server(
    { name: 'limits-test', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'echo', inputSchema: { type: 'object' as const } }],
  }));
  server.setRequestHandler('tools/call', (request) => ({
    content: [{ type: 'text' as const, text: String(request.params.arguments?.text ?? '') }],
  }));
  return server;
}

async function startHost(options: Partial<McpHttpHostOptions> = {}) {
  const host = createMcpHttpHost({ createServer: () => createEchoServer(), ...options });
  hosts.push(host);
  const { url, port } = await host.listen();
  return { host, url, port };
}

async function connectClient(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'limits-client', version: '1.0.0' });
  clients.push(client);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }),
  );
  return client;
}

async function echo(client: Client, text: string): Promise<string> {
  const result = await client.callTool({ name: 'echo', arguments: { text } });
  return (result.content as { text: string }[])[0]?.text ?? '';
}

/** Opens a TCP connection and writes `data` (a request never finished, typically). */
function rawSocket(port: number, data = ''): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      if (data) socket.write(data);
      resolve(socket);
    });
    sockets.push(socket);
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}

/** Everything the server sends on a socket until it closes it. */
function readUntilClosed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
    });
    socket.once('close', () => resolve(text));
  });
}

const initializeBody = (id: unknown = 1) =>
  JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw', version: '1' },
    },
  });

async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text.startsWith('{') ? JSON.parse(text) : { text },
  };
}

function nested(depth: number, leaf = '0'): string {
  return `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;
}

describe('createMcpHttpHost — connection exhaustion (issue 20 item 1)', () => {
  it('closes a connection that never finishes its headers (slowloris) with 408, serving others meanwhile', async () => {
    const { url, port, host } = await startHost({ headersTimeoutMs: 500 });
    const slow = await rawSocket(port, 'GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const answer = readUntilClosed(slow);
    expect(await echo(await connectClient(url), 'served')).toBe('served');
    expect(await answer).toMatch(/^HTTP\/1\.1 408/);
    expect(host.stats.connections.timedOut).toBeGreaterThanOrEqual(1);
  });

  it('answers a request body that stalls with 408 after bodyIdleTimeoutMs', async () => {
    const { port } = await startHost({ bodyIdleTimeoutMs: 300 });
    const stalled = await rawSocket(
      port,
      'POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: 100\r\n\r\n{"jsonrpc":',
    );
    expect(await readUntilClosed(stalled)).toMatch(/^HTTP\/1\.1 408/);
  });

  it('answers malformed HTTP (headers over the limit) with 431 on a keep-alive connection that was served before', async () => {
    const { port, host } = await startHost();
    const socket = await rawSocket(port, 'GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('data', () => resolve()));
    const rest = readUntilClosed(socket);
    socket.write(`GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`);
    expect(await rest).toMatch(/^HTTP\/1\.1 431/);
    expect(host.stats.connections.malformed).toBe(1);
  });

  it('closes the oldest idle connections to make room at maxConnectionsPerAddress, so a client that sends its request is served', async () => {
    const { url, host } = await startHost({ maxConnectionsPerAddress: 5 });
    const port = Number(new URL(url).port);
    for (let index = 0; index < 20; index += 1) {
      await rawSocket(port, 'GET /mcp HTTP/1.1\r\n'); // never finished
    }
    expect(host.stats.connections.open).toBeLessThanOrEqual(5);
    expect(host.stats.connections.evicted).toBeGreaterThanOrEqual(15);
    expect(await echo(await connectClient(url), 'room made')).toBe('room made');
  });

  it('sheds a new connection with 503 and Retry-After when every connection is busy', async () => {
    const { url, port, host } = await startHost({ maxConnections: 2 });
    // Two legacy SSE streams: busy connections that cannot be closed to make room.
    for (let index = 0; index < 2; index += 1) {
      const stream = await rawSocket(port, 'GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    }
    const refused = await fetch(`${url}/healthz`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(host.stats.connections.shed).toBeGreaterThanOrEqual(1);
  });
});

describe('createMcpHttpHost — session quotas (issue 20 item 2)', () => {
  const byUser = {
    authenticate: (request: Request) => ({ user: request.headers.get('x-user') ?? 'anonymous' }),
    sessionOwner: (principal: unknown) => (principal as { user: string }).user,
  };

  it('refuses a principal over maxSessionsPerPrincipal with 429 on every transport while another principal opens sessions', async () => {
    const { url, port, host } = await startHost({ ...byUser, maxSessionsPerPrincipal: 2 });
    await connectClient(url, { 'x-user': 'alice' }); // Streamable HTTP
    const sse = await rawSocket(
      port,
      'GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\nx-user: alice\r\n\r\n',
    );
    await new Promise<void>((resolve) => sse.once('data', () => resolve()));
    expect(host.sessionCount).toBe(2);

    const overHttp = await post(url, initializeBody(), { 'x-user': 'alice' });
    expect(overHttp.status).toBe(429);
    expect(overHttp.headers.get('retry-after')).toBe('30');
    expect(String((overHttp.json.error as { message: string }).message)).toContain(
      'maxSessionsPerPrincipal',
    );
    const overSse = await fetch(`${url}/sse`, { headers: { 'x-user': 'alice' } });
    expect(overSse.status).toBe(429);
    await overSse.body?.cancel();
    const overWebSocket = await new Promise<number>((resolve) => {
      const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, 'mcp', {
        headers: { 'x-user': 'alice' },
      });
      sockets.push(socket);
      socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.once('open', () => resolve(101));
      socket.on('error', () => {});
    });
    expect(overWebSocket).toBe(429);

    // Bob is not affected.
    expect(await echo(await connectClient(url, { 'x-user': 'bob' }), 'bob works')).toBe(
      'bob works',
    );
    expect(host.stats.sessions.refusedQuota).toBe(3);
  });

  it('counts anonymous sessions per client address', async () => {
    const { url } = await startHost({ maxSessionsPerPrincipal: 1 });
    await connectClient(url);
    expect((await post(url, initializeBody())).status).toBe(429);
  });

  it('refuses any new session with 503 when the host is at maxSessions', async () => {
    const { url } = await startHost({ ...byUser, maxSessions: 1 });
    await connectClient(url, { 'x-user': 'alice' });
    const full = await post(url, initializeBody(), { 'x-user': 'bob' });
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('5');
  });

  it('frees a session slot when a session is closed, so the quota counts open sessions only', async () => {
    const { url, host } = await startHost({ maxSessionsPerPrincipal: 1 });
    const first = await connectClient(url);
    await (first.transport as StreamableHTTPClientTransport).terminateSession();
    await vi.waitFor(() => expect(host.sessionCount).toBe(0), { timeout: 10_000 });
    expect(await echo(await connectClient(url), 'again')).toBe('again');
  });

  it('reaps a session abandoned without DELETE after sessionIdleTimeoutMs, but not one holding a GET stream', async () => {
    const { url, port, host } = await startHost({ sessionIdleTimeoutMs: 300 });
    const abandoned = await post(url, initializeBody());
    const abandonedId = abandoned.headers.get('mcp-session-id') as string;
    const listening = await post(url, initializeBody());
    const listeningId = listening.headers.get('mcp-session-id') as string;
    const stream = await rawSocket(
      port,
      `GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\nMcp-Session-Id: ${listeningId}\r\nMcp-Protocol-Version: 2025-06-18\r\n\r\n`,
    );
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));
    await vi.waitFor(() => expect(host.sessionCount).toBe(1), { timeout: 10_000, interval: 50 });
    const gone = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }), {
      'mcp-session-id': abandonedId,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(gone.status).toBe(404);
    const kept = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'ping' }), {
      'mcp-session-id': listeningId,
      'mcp-protocol-version': '2025-06-18',
    });
    expect(kept.status).toBe(200);
  });
});

describe('createMcpHttpHost — deep nesting (issue 20 item 4)', () => {
  it('answers an id or params nested 10,000 levels with 400 and -32600/-32602 on /mcp, not 500', async () => {
    const { url } = await startHost();
    const deepId = await post(url, `{"jsonrpc":"2.0","id":${nested(10_000)},"method":"ping"}`);
    expect(deepId.status).toBe(400);
    expect(deepId.json).toMatchObject({ id: null, error: { code: -32600 } });
    const deepParams = await post(
      url,
      `{"jsonrpc":"2.0","id":7,"method":"initialize","params":{"x":${nested(10_000)}}}`,
    );
    expect(deepParams.status).toBe(400);
    expect(deepParams.json).toMatchObject({ id: 7, error: { code: -32602 } });
    expect(await echo(await connectClient(url), 'still fine')).toBe('still fine');
  });

  it('answers tool arguments nested 5,000 levels in a session with 400 -32602, and honours maxJsonDepth', async () => {
    const { url } = await startHost({ maxJsonDepth: 8 });
    const opened = await post(url, initializeBody());
    const session = {
      'mcp-session-id': opened.headers.get('mcp-session-id') as string,
      'mcp-protocol-version': '2025-06-18',
    };
    const call = (argument: string) =>
      post(
        url,
        `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"a":${argument}}}}`,
        session,
      );
    const deep = await call(nested(5_000));
    expect(deep.status).toBe(400);
    expect(deep.json).toMatchObject({ id: 3, error: { code: -32602 } });
    // Message 1, params 2, arguments 3, then the arrays of "a": five of them make depth 8.
    expect((await call(nested(5))).status).toBe(200);
    expect((await call(nested(6))).status).toBe(400);
  });

  it('answers deep messages on the legacy SSE endpoint and over WebSocket too', async () => {
    const { url, port } = await startHost();
    const stream = await rawSocket(port, 'GET /sse HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const endpoint = await new Promise<string>((resolve) => {
      let text = '';
      stream.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        const match = /data: (\/messages\?sessionId=[\w-]+)/.exec(text);
        if (match?.[1]) resolve(match[1]);
      });
    });
    const overSse = await fetch(`${url}${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"jsonrpc":"2.0","id":${nested(10_000)},"method":"ping"}`,
    });
    expect(overSse.status).toBe(400);
    expect(await overSse.json()).toMatchObject({ error: { code: -32600 } });

    const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, 'mcp');
    sockets.push(socket);
    await new Promise((resolve) => socket.once('open', resolve));
    const reply = new Promise<Record<string, unknown>>((resolve) =>
      socket.once('message', (data) => resolve(JSON.parse(String(data)))),
    );
    socket.send(`{"jsonrpc":"2.0","id":9,"method":"ping","params":{"x":${nested(10_000)}}}`);
    expect(await reply).toMatchObject({ id: 9, error: { code: -32602 } });
  });
});

describe('createMcpHttpHost — fuzzed frames answered, never ignored', () => {
  it('answers an empty batch and a request whose id is an object with -32600, over /mcp and /ws', async () => {
    const { url } = await startHost();
    const objectId = '{"jsonrpc":"2.0","id":{"nested":true},"method":"ping"}';
    expect((await post(url, objectId)).status).toBe(400);
    const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, 'mcp');
    sockets.push(socket);
    await new Promise((resolve) => socket.once('open', resolve));
    for (const frame of ['[]', objectId]) {
      const reply = new Promise<Record<string, unknown>>((resolve) =>
        socket.once('message', (data) => resolve(JSON.parse(String(data)))),
      );
      socket.send(frame);
      expect(await reply).toMatchObject({ id: null, error: { code: -32600 } });
    }
  });
});

describe('createMcpHttpHost — oversize uploads (issue 20 item 5)', () => {
  it('keeps the connection open after a 413 until the client has sent its body, so it reads the answer', async () => {
    const limit = 64 * 1024;
    const { port } = await startHost({ maxBodyBytes: limit });
    const socket = await rawSocket(port);
    const events: string[] = [];
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (!events.includes('answer')) events.push('answer');
    });
    socket.on('end', () => events.push('closed by the host'));
    socket.on('error', (error: NodeJS.ErrnoException) => events.push(`error ${error.code}`));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(
      `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${2 * limit}\r\n\r\n`,
    );
    socket.write(Buffer.alloc(limit + 1024, 0x20));
    await vi.waitFor(() => expect(events).toContain('answer'), { timeout: 10_000 });
    // The host answered; the client is still uploading (a slow client). A host that closes now
    // makes the rest of the upload fail (EPIPE/ECONNRESET) and the client lose the answer.
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.write(Buffer.alloc(limit - 1024, 0x20), () => events.push('upload done'));
    await closed;
    expect(events).toEqual(['answer', 'upload done', 'closed by the host']);
    expect(text).toMatch(/^HTTP\/1\.1 413/);
    expect(text).toContain(`${limit} bytes`);
  });

  it('reports the 413 to fetch while it is still streaming the body', async () => {
    const limit = 64 * 1024;
    const { url } = await startHost({ maxBodyBytes: limit });
    let slices = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        slices += 1;
        if (slices > 12) return controller.close();
        await new Promise((resolve) => setTimeout(resolve, 10));
        controller.enqueue(new Uint8Array(limit / 4).fill(0x20));
      },
    });
    const response = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await response.text()).toContain(`${limit} bytes`);
  });

  it('reports the 413 to fetch for a body over 4 MiB', async () => {
    const { url } = await startHost();
    const response = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: Buffer.alloc(5 * 1024 * 1024, 0x20),
    });
    expect(response.status).toBe(413);
    expect(await response.text()).toContain('4194304 bytes');
  });
});
