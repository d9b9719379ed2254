import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMcpHttpHost } from './create-mcp-http-host.js';
import type { McpHttpHost, McpHttpHostOptions } from './mcp-http-host-options.js';
import {
  KEEP_ALIVE_SLICES,
  SharedKeepAlive,
  standaloneStreamSeam,
} from './streamable-get-stream.js';

const PROTOCOL_VERSION = '2025-11-25';

const hosts: McpHttpHost[] = [];
const streams: ClientRequest[] = [];

afterEach(async () => {
  for (const stream of streams.splice(0)) stream.destroy();
  await Promise.all(hosts.splice(0).map((host) => host.close()));
});

/** A host whose sessions' servers the test can reach, to send notifications. */
async function startHost(options: Partial<McpHttpHostOptions> = {}) {
  const servers = new Map<string, Server>();
  const host = createMcpHttpHost({
    createServer: (context) => {
      const server = new Server(
        { name: 'get-stream-test', version: '1.0.0' },
        { capabilities: { tools: { listChanged: true } } },
      );
      server.setRequestHandler('tools/list', () => ({ tools: [] }));
      if (context.sessionId !== undefined) servers.set(context.sessionId, server);
      return server;
    },
    ...options,
  });
  hosts.push(host);
  const { port } = await host.listen();
  return { host, port, servers };
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

function send(
  port: number,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, method, path: '/mcp', headers },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** Opens a session (initialize, then initialized) and returns its id. */
async function openSession(port: number): Promise<string> {
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  const initialized = await send(
    port,
    'POST',
    headers,
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'get-stream-test', version: '1.0.0' },
      },
    }),
  );
  const sessionId = initialized.headers['mcp-session-id'];
  if (typeof sessionId !== 'string') throw new Error(`no session: ${initialized.body}`);
  const done = await send(
    port,
    'POST',
    { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION },
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  );
  expect(done.status).toBe(202);
  return sessionId;
}

/** An open GET stream, read as it arrives. */
interface OpenStream {
  status: number;
  headers: IncomingMessage['headers'];
  /** Everything received so far. */
  text(): string;
  /** Waits until the stream has received text matching `pattern`; returns the match. */
  until(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

function openStream(
  port: number,
  sessionId: string,
  headers: Record<string, string> = {},
): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'GET',
        path: '/mcp',
        headers: {
          accept: 'text/event-stream',
          'mcp-session-id': sessionId,
          'mcp-protocol-version': PROTOCOL_VERSION,
          ...headers,
        },
      },
      (response) => {
        let received = '';
        const waiters = new Set<() => void>();
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          received += chunk;
          for (const waiter of [...waiters]) waiter();
        });
        const ended = new Promise<void>((done) => response.on('end', () => done()));
        ended.catch(() => {});
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          text: () => received,
          until: (pattern) =>
            new Promise((found) => {
              const check = () => {
                const match = received.match(pattern);
                if (!match) return;
                waiters.delete(check);
                found(match);
              };
              waiters.add(check);
              check();
            }),
          ended,
          close: () => request.destroy(),
        });
      },
    );
    streams.push(request);
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
    request.end();
  });
}

describe('GET streams written directly to the response', () => {
  it('carries the session transport’s notifications, with the SDK’s headers and event ids', async () => {
    const { port, servers } = await startHost();
    const sessionId = await openSession(port);
    const stream = await openStream(port, sessionId);
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toBe('text/event-stream');
    expect(stream.headers['cache-control']).toBe('no-cache, no-transform');
    expect(stream.headers['mcp-session-id']).toBe(sessionId);
    await servers.get(sessionId)?.sendToolListChanged();
    const [event] = await stream.until(/event: message\nid: [^\n]+\ndata: [^\n]+\n\n/);
    expect(event).toContain('"method":"notifications/tools/list_changed"');
  });

  it('refuses a second GET stream of a session while one is open (409), and takes one again after it closed', async () => {
    const { port } = await startHost();
    const sessionId = await openSession(port);
    const first = await openStream(port, sessionId);
    expect(first.status).toBe(200);
    const second = await openStream(port, sessionId);
    expect(second.status).toBe(409);
    first.close();
    await vi.waitFor(async () => {
      const again = await openStream(port, sessionId);
      expect(again.status).toBe(200);
    });
  });

  it('answers as the SDK does when it would not open a stream: 406, 400, 404', async () => {
    const { port } = await startHost();
    const sessionId = await openSession(port);
    expect((await openStream(port, sessionId, { accept: 'application/json' })).status).toBe(406);
    expect(
      (await openStream(port, sessionId, { 'mcp-protocol-version': '1999-01-01' })).status,
    ).toBe(400);
    expect((await openStream(port, 'no-such-session')).status).toBe(404);
  });

  it('replays what the client missed after Last-Event-ID, then carries new notifications', async () => {
    const { port, servers } = await startHost();
    const sessionId = await openSession(port);
    const server = servers.get(sessionId) as Server;
    const first = await openStream(port, sessionId);
    await server.sendToolListChanged();
    const [, lastEventId] = await first.until(/id: ([^\n]+)\n/);
    first.close();
    // Sent while no stream is open: stored, and replayed on resumption.
    await vi.waitFor(() => {
      const transport = server.transport as NodeStreamableHTTPServerTransport;
      const inner = standaloneStreamSeam(transport);
      expect(inner?._streamMapping.has(inner._standaloneSseStreamId)).toBe(false);
    });
    await server
      .sendLoggingMessage({ level: 'info', data: 'ignored: no logging capability' })
      .catch(() => {});
    await server.sendToolListChanged();
    const resumed = await openStream(port, sessionId, { 'last-event-id': lastEventId as string });
    expect(resumed.status).toBe(200);
    const [, replayedId] = await resumed.until(/id: ([^\n]+)\ndata: [^\n]*list_changed/);
    expect(replayedId).not.toBe(lastEventId);
    await server.sendToolListChanged();
    await resumed.until(/(list_changed[\s\S]*){2}/);
    // The stream the client resumed is the session's stream now: a plain GET is refused.
    expect((await openStream(port, sessionId)).status).toBe(409);
  });

  it('ends the stream when the client deletes the session, or the transport closes the stream', async () => {
    const { port, servers } = await startHost();
    const sessionId = await openSession(port);
    const stream = await openStream(port, sessionId);
    const deleted = await send(port, 'DELETE', {
      'mcp-session-id': sessionId,
      'mcp-protocol-version': PROTOCOL_VERSION,
    });
    expect(deleted.status).toBe(200);
    await stream.ended;

    const other = await openSession(port);
    const polled = await openStream(port, other);
    const transport = servers.get(other)?.transport as NodeStreamableHTTPServerTransport;
    transport.closeStandaloneSSEStream(); // polling: the client reconnects
    await polled.ended;
    expect((await openStream(port, other)).status).toBe(200);
  });

  it('writes the keep-alive comment to open streams, and keeps the session from the idle sweep', async () => {
    const { port, host } = await startHost({ keepAliveMs: 20, sessionIdleTimeoutMs: 50 });
    const sessionId = await openSession(port);
    const stream = await openStream(port, sessionId);
    // Ten keep-alives (200 ms): past the idle timeout and at least one sweep (every 100 ms).
    await stream.until(/(: keepalive\n\n[\s\S]*){10}/);
    expect(host.sessionCount).toBe(1);
  });

  it('writes the keep-alive of more streams than slices to each of them', async () => {
    const { port } = await startHost({ keepAliveMs: 32 });
    const opened = await Promise.all(
      Array.from({ length: KEEP_ALIVE_SLICES + 3 }, async () =>
        openStream(port, await openSession(port)),
      ),
    );
    await Promise.all(opened.map((stream) => stream.until(/(: keepalive\n\n[\s\S]*){3}/)));
  });

  it('writes a slice of the streams per tick, every stream once in as many ticks as slices', () => {
    // All at once, a hub's thousands of idle streams got their keep-alive in one burst (and the
    // client process holding them read them in one): see KEEP_ALIVE_SLICES.
    const written: number[] = [];
    const count = KEEP_ALIVE_SLICES * 4 + 2;
    const open = Array.from({ length: count }, (_, index) => ({
      keepAliveSlice: index % KEEP_ALIVE_SLICES,
      keepAlive: () => {
        written.push(index);
      },
    }));
    const keepAlive = new SharedKeepAlive(15_000, () => open);
    for (let round = 0; round < 2; round += 1) {
      written.length = 0;
      for (let tick = 0; tick < KEEP_ALIVE_SLICES; tick += 1) {
        const before = written.length;
        keepAlive.tick();
        expect(written.length - before).toBeLessThanOrEqual(Math.ceil(count / KEEP_ALIVE_SLICES));
      }
      expect([...written].sort((a, b) => a - b)).toEqual(open.map((_, index) => index));
    }
  });

  it('refuses a second initialize on a session as the SDK does (its id generator is let go once used)', async () => {
    const { port } = await startHost();
    const sessionId = await openSession(port);
    const again = await send(
      port,
      'POST',
      {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
      },
      JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'initialize',
        params: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: {},
          clientInfo: { name: 'get-stream-test', version: '1.0.0' },
        },
      }),
    );
    expect(again.status).toBe(400);
    expect(again.body).toContain('Server already initialized');
    expect((await openStream(port, sessionId)).status).toBe(200);
  });

  it('finds the SDK transport fields it relies on (an SDK upgrade that drops one fails here)', () => {
    const transport = new NodeStreamableHTTPServerTransport({ sessionIdGenerator: () => 'id' });
    const inner = standaloneStreamSeam(transport);
    expect(inner).toBeDefined();
    expect(inner?._standaloneSseStreamId).toBe('_GET_stream');
    expect(typeof inner?._keepAliveMs).toBe('number');
    // Replaced once the session is initialized (streamable-session-table.ts).
    expect(typeof (inner as unknown as { sessionIdGenerator?: unknown }).sessionIdGenerator).toBe(
      'function',
    );
  });
});
