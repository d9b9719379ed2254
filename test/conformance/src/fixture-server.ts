/**
 * Hosts the conformance fixture (see `create-fixture-server.ts`) over Streamable HTTP on loopback —
 * sessionful 2025-era sessions with an event store for resumability, plus 2026-07-28 requests on
 * the same URL — or over stdio (both eras).
 *
 * CLI: `node --import tsx src/fixture-server.ts --http [--port N] [--host H]` prints
 * `{"url":"http://127.0.0.1:N/mcp"}` on stdout once listening; `--stdio` serves stdin/stdout.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  localhostHostValidation,
  localhostOriginValidation,
  NodeStreamableHTTPServerTransport,
  toNodeHandler,
  toWebRequest,
} from '@modelcontextprotocol/node';
import { createMcpHandler, isLegacyRequest } from '@modelcontextprotocol/server';
import { type StdioServerHandle, serveStdio } from '@modelcontextprotocol/server/stdio';
import { createFixtureServer, type FixtureServerOptions } from './create-fixture-server.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

/** Options for {@link startFixtureServer}. */
export interface StartFixtureServerOptions {
  /**
   * TCP port to listen on; `0` picks an ephemeral port.
   * @default 0
   */
  port?: number;
  /**
   * Interface to bind. Keep it on loopback: the fixture only accepts localhost `Host`/`Origin`.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * URL path of the MCP endpoint.
   * @default '/mcp'
   */
  path?: string;
  /**
   * Largest POST body read, in bytes (answered 413 beyond).
   * @default 4194304
   */
  maxRequestBodyBytes?: number;
  /**
   * SSE `retry` hint, in milliseconds, sent in priming events (SEP-1699).
   * @default 5000
   */
  retryIntervalMs?: number;
  /**
   * Serve 2026-07-28 requests (no session, per-request envelope) next to 2025-era sessions.
   * `false` makes the fixture a 2025-only server: modern requests get the 2025 "no session" 400,
   * so version-probing clients fall back to `initialize`.
   * @default true
   */
  serveModernEra?: boolean;
  /** Options for each fixture `Server` instance. */
  fixture?: FixtureServerOptions;
}

/** A running fixture: its endpoint URL and an idempotent `close()`. */
export interface RunningFixtureServer extends AsyncDisposable {
  /** The MCP endpoint, e.g. `http://127.0.0.1:41234/mcp`. */
  readonly url: string;
  /** The bound port. */
  readonly port: number;
  /** Number of live 2025-era sessions. */
  sessionCount(): number;
  /** Closes every session, the 2026-era handler and the listening socket. */
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJsonRpcError(response: ServerResponse, status: number, code: number, message: string) {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}

async function readJsonBody(request: IncomingMessage, limitBytes: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limitBytes) throw new HttpError(413, -32600, 'Request body too large');
    chunks.push(buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, -32700, 'Parse error: the body is not valid JSON');
  }
}

function isInitializeBody(body: unknown): boolean {
  const messages = Array.isArray(body) ? body : [body];
  return messages.some(
    (message) =>
      typeof message === 'object' &&
      message !== null &&
      (message as { method?: unknown }).method === 'initialize',
  );
}

/**
 * Starts the fixture over Streamable HTTP on loopback.
 *
 * @throws when the port cannot be bound.
 * @example
 * ```ts
 * await using fixture = await startFixtureServer();
 * const transport = new StreamableHTTPClientTransport(new URL(fixture.url));
 * ```
 */
export async function startFixtureServer(
  options: StartFixtureServerOptions = {},
): Promise<RunningFixtureServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/mcp';
  const limitBytes = options.maxRequestBodyBytes ?? 4 * 1024 * 1024;
  const retryInterval = options.retryIntervalMs ?? 5000;
  const validateHost = localhostHostValidation();
  const validateOrigin = localhostOriginValidation();
  const sessions = new Map<string, NodeStreamableHTTPServerTransport>();
  const modern = createMcpHandler(() => createFixtureServer(options.fixture), {
    legacy: 'reject',
  });
  const serveModern = toNodeHandler(modern);

  async function openSession(request: IncomingMessage, response: ServerResponse, body: unknown) {
    const server = createFixtureServer(options.fixture);
    const transport: NodeStreamableHTTPServerTransport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      eventStore: new InMemoryEventStore(),
      retryInterval,
      onsessioninitialized: (sessionId) => void sessions.set(sessionId, transport),
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
      void server.close();
    };
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  }

  async function handle(request: IncomingMessage, response: ServerResponse) {
    // DNS-rebinding protection: only localhost Host and (when present) Origin headers.
    if (!validateHost(request, response) || !validateOrigin(request, response)) return;
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    if (pathname !== path) return sendJsonRpcError(response, 404, -32600, 'Not found');
    const sessionId = request.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const transport = sessions.get(sessionId);
      if (!transport) return sendJsonRpcError(response, 404, -32001, 'Session not found');
      return transport.handleRequest(request, response);
    }
    if (request.method !== 'POST') {
      return sendJsonRpcError(response, 400, -32000, 'Bad Request: Mcp-Session-Id header required');
    }
    const body = await readJsonBody(request, limitBytes);
    if (isInitializeBody(body)) return openSession(request, response, body);
    if (
      options.serveModernEra === false ||
      (await isLegacyRequest(await toWebRequest(request, body), body))
    ) {
      return sendJsonRpcError(response, 400, -32000, 'Bad Request: No valid session ID provided');
    }
    return serveModern(request, response, body);
  }

  const httpServer = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof HttpError) {
        return sendJsonRpcError(response, error.status, error.code, error.message);
      }
      sendJsonRpcError(response, 500, -32603, 'Internal server error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 0, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await Promise.allSettled([...sessions.values()].map((transport) => transport.close()));
      sessions.clear();
      await modern.close();
      await new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    })();
    return closing;
  };
  return { url, port, sessionCount: () => sessions.size, close, [Symbol.asyncDispose]: close };
}

/**
 * Serves the fixture over this process's stdin/stdout (the era is picked by the opening message).
 */
export function serveFixtureStdio(options: FixtureServerOptions = {}): StdioServerHandle {
  return serveStdio(() => createFixtureServer(options), { legacy: 'serve' });
}

/**
 * The command that serves the fixture over stdio, as a Claude-Desktop-style `{ command, args,
 * cwd }` entry (what an upstream config or `StdioClientTransport` takes). Runs on the current Node.
 */
export function fixtureStdioSpec(): { command: string; args: string[]; cwd: string } {
  const script = fileURLToPath(import.meta.url);
  return {
    command: process.execPath,
    args: ['--import', 'tsx', script, '--stdio'],
    cwd: fileURLToPath(new URL('..', import.meta.url)),
  };
}

function readFlag(argv: string[], name: string): string | undefined {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

async function main(argv: string[]) {
  if (argv.includes('--stdio')) {
    const handle = serveFixtureStdio();
    const stop = () => void handle.close().then(() => process.exit(0));
    process.once('SIGINT', stop).once('SIGTERM', stop);
    return;
  }
  if (!argv.includes('--http')) {
    process.stderr.write('usage: fixture-server.ts --http [--port N] [--host H] | --stdio\n');
    process.exit(2);
  }
  const port = Number(readFlag(argv, '--port') ?? 0);
  const fixture = await startFixtureServer({ port, host: readFlag(argv, '--host') ?? '127.0.0.1' });
  process.stdout.write(`${JSON.stringify({ url: fixture.url })}\n`);
  const stop = () => void fixture.close().then(() => process.exit(0));
  process.once('SIGINT', stop).once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
