/**
 * One Node HTTP listener that offers MCP over every transport, to clients of both protocol eras:
 * Streamable HTTP on one URL (2025-era sessions with resumability, 2026-07-28 per request),
 * the legacy HTTP+SSE pair, and WebSocket. See mcp-sdk-v2 notes §4 for the era routing.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer as createNodeServer,
  type IncomingMessage,
  type Server as NodeHttpServer,
  type ServerResponse,
} from 'node:http';
import type { Duplex } from 'node:stream';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import {
  type AuthInfo,
  createMcpHandler,
  type EventStore,
  InMemoryServerEventBus,
  isInitializeRequest,
  isJsonContentType,
  isLegacyRequest,
  type JSONRPCMessage,
  type McpHttpHandler,
  type ServerEventBus,
  type ServerNotifier,
} from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { WebSocketServer } from 'ws';
import { isAuthInfoShaped, type McpAuthenticate, runAuthenticate } from '../authenticate.js';
import { createHostValidator } from '../host-validation.js';
import { createInMemoryEventStore } from '../in-memory-event-store.js';
import { createJsonRpcError, isJsonRpcMessageShape, JsonRpcErrorCode } from '../json-rpc-error.js';
import type {
  CreateMcpServer,
  McpServerInstance,
  McpSessionContext,
  McpTransportKind,
} from '../mcp-session-context.js';
import { RequestBodyTooLargeError, readBody } from './read-body.js';
import { createSseServerTransport, type SseServerTransport } from './sse-server-transport.js';
import {
  createWebSocketServerTransport,
  MCP_WEBSOCKET_SUBPROTOCOL,
} from './websocket-server-transport.js';

/** A pino-shaped logger (the package's `TransportLogger` fits); the host is silent without one. */
export interface McpHostLogger {
  debug(object: unknown, message?: string): void;
  info(object: unknown, message?: string): void;
  warn(object: unknown, message?: string): void;
  error(object: unknown, message?: string): void;
}

/** URL paths the host serves. */
export interface McpHttpHostPaths {
  /** Streamable HTTP (both eras). @default '/mcp' */
  mcp: string;
  /** Legacy HTTP+SSE stream. @default '/sse' */
  sse: string;
  /** Legacy HTTP+SSE message endpoint. @default '/messages' */
  messages: string;
  /** MCP over WebSocket. @default '/ws' */
  websocket: string;
}

/** Which transports the host serves. */
export interface McpHttpHostTransports {
  /** `POST|GET|DELETE` on `paths.mcp`. @default true */
  streamableHttp: boolean;
  /** `GET paths.sse` + `POST paths.messages`. @default true */
  sse: boolean;
  /** WebSocket upgrades on `paths.websocket`. @default true */
  websocket: boolean;
}

/** Cross-origin resource sharing, for browser clients on other origins. */
export interface McpHttpHostCorsOptions {
  /** Origins allowed to call the host (`'*'` for any). Remember to allow them in `allowedOrigins` too. */
  origins: readonly string[] | '*';
  /** Preflight cache lifetime. @default 600 */
  maxAgeSeconds?: number;
}

/** Options for {@link createMcpHttpHost}. */
export interface McpHttpHostOptions {
  /** Builds the MCP server for a new session, or per request for a 2026-07-28 HTTP client. */
  createServer: CreateMcpServer;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** Port to bind; `0` picks a free one. @default 0 */
  port?: number;
  /** URL paths; each defaults as in {@link McpHttpHostPaths}. */
  paths?: Partial<McpHttpHostPaths>;
  /** Transports to serve; all on by default. */
  transports?: Partial<McpHttpHostTransports>;
  /**
   * Hostnames accepted in the `Host` header (DNS-rebinding protection), or `false` to skip the
   * check. @default localhost names when bound to a loopback interface, else no check (a warning is logged)
   */
  allowedHosts?: readonly string[] | false;
  /**
   * Origin hostnames accepted in a present `Origin` header; any other is answered 403.
   * @default ['localhost', '127.0.0.1', '[::1]']
   */
  allowedOrigins?: readonly string[];
  /** Largest request body (and WebSocket message) accepted; larger ones get 413. @default 4194304 (4 MiB) */
  maxBodyBytes?: number;
  /** CORS headers for browser clients on other origins. @default false */
  cors?: false | McpHttpHostCorsOptions;
  /** Interval of keep-alive comments (SSE) and pings (WebSocket) on idle streams; `0` disables. @default 15000 */
  keepAliveMs?: number;
  /** A session without any message for this long is closed; `0` disables. @default 1800000 (30 min) */
  sessionIdleTimeoutMs?: number;
  /** Open sessions (all transports) beyond which new ones are refused with 503. @default 10000 */
  maxSessions?: number;
  /** How long {@link McpHttpHost.close} waits for in-flight requests before closing sessions. @default 10000 */
  shutdownTimeoutMs?: number;
  /** Event store for resumable 2025-era Streamable HTTP streams; `false` disables resumability. @default an in-memory store */
  eventStore?: EventStore | false;
  /** Change-event bus of 2026-07-28 `subscriptions/listen` streams (share one across replicas). @default an in-process bus */
  bus?: ServerEventBus;
  /**
   * Authenticates each MCP request and WebSocket upgrade; the principal lands in the session
   * context (and, when it has the SDK's `AuthInfo` shape, in handlers' `ctx.http.authInfo`).
   * See `McpAuthenticate` for the contract (return a principal or a `Response`, or throw).
   */
  authenticate?: McpAuthenticate;
  /**
   * Extra routes (health, admin): called for every HTTP request after the Host/Origin checks and
   * before MCP routing; return `true` when it answered the request.
   */
  onRequest?: (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;
  /** Logger. @default silent */
  logger?: McpHostLogger;
}

/** Where a listening host can be reached. */
export interface McpHttpHostAddress {
  /** Base URL, like `http://127.0.0.1:43123`. */
  url: string;
  host: string;
  port: number;
}

/** A running MCP HTTP host. */
export interface McpHttpHost {
  /** Starts listening. @throws when the port cannot be bound. */
  listen(): Promise<McpHttpHostAddress>;
  /**
   * Graceful shutdown: stops accepting connections and new sessions, waits (up to
   * `shutdownTimeoutMs`) for in-flight requests, then closes every session and the listener.
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** The underlying `node:http` server. */
  readonly server: NodeHttpServer;
  /** The address once listening. */
  readonly address: McpHttpHostAddress | undefined;
  /** Publishes change events to open 2026-07-28 `subscriptions/listen` streams over HTTP. */
  readonly notify: ServerNotifier;
  /** The change-event bus behind {@link McpHttpHost.notify}. */
  readonly bus: ServerEventBus;
  /** Number of open sessions (2025-era Streamable HTTP, SSE and WebSocket). */
  readonly sessionCount: number;
}

interface SessionRecord {
  id: string;
  kind: McpTransportKind;
  lastActivity: number;
  inFlight: number;
  close(): Promise<void>;
}

const silentLogger: McpHostLogger = { debug() {}, info() {}, warn() {}, error() {} };
const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Creates an MCP host serving Streamable HTTP (both eras on one URL), legacy HTTP+SSE and
 * WebSocket on one port, with DNS-rebinding protection, a body size limit, session limits and
 * graceful shutdown.
 *
 * @example
 * ```ts
 * const host = createMcpHttpHost({ createServer: (context) => buildServer(context) });
 * const { url } = await host.listen(); // http://127.0.0.1:PORT/mcp, /sse, /ws
 * await host.close();
 * ```
 */
export function createMcpHttpHost(options: McpHttpHostOptions): McpHttpHost {
  const logger = options.logger ?? silentLogger;
  const bindHost = options.host ?? '127.0.0.1';
  const paths: McpHttpHostPaths = {
    mcp: '/mcp',
    sse: '/sse',
    messages: '/messages',
    websocket: '/ws',
    ...options.paths,
  };
  const transports: McpHttpHostTransports = {
    streamableHttp: true,
    sse: true,
    websocket: true,
    ...options.transports,
  };
  const maxBodyBytes = options.maxBodyBytes ?? 4 * 1024 * 1024;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const sessionIdleTimeoutMs = options.sessionIdleTimeoutMs ?? 30 * 60_000;
  const maxSessions = options.maxSessions ?? 10_000;
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
  const eventStore =
    options.eventStore === false ? undefined : (options.eventStore ?? createInMemoryEventStore());
  const bus = options.bus ?? new InMemoryServerEventBus();
  let allowedHosts = options.allowedHosts;
  if (allowedHosts === undefined && !loopbackHosts.has(bindHost)) {
    allowedHosts = false;
    logger.warn(
      { host: bindHost },
      'MCP host bound to a non-loopback interface without allowedHosts: the Host header is not checked',
    );
  }
  const validateHost = createHostValidator({
    allowedHosts,
    ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
  });

  const sessions = new Map<string, SessionRecord>();
  const streamableTransports = new Map<string, NodeStreamableHTTPServerTransport>();
  const sseTransports = new Map<string, SseServerTransport>();
  let pendingSessions = 0;
  const inFlight = new Set<ServerResponse>();
  let drained: (() => void) | undefined;
  let closing = false;
  let closed: Promise<void> | undefined;
  let address: McpHttpHostAddress | undefined;

  const contextHeaders = new WeakMap<Request, { principal: unknown }>();
  const modern: McpHttpHandler = createMcpHandler(
    (sdkContext) =>
      options.createServer({
        transport: 'streamable-http',
        era: sdkContext.era,
        principal: sdkContext.requestInfo
          ? contextHeaders.get(sdkContext.requestInfo)?.principal
          : undefined,
        ...(sdkContext.requestInfo ? { headers: sdkContext.requestInfo.headers } : {}),
      }),
    {
      legacy: 'reject',
      bus,
      keepAliveMs,
      maxRequestBodySize: maxBodyBytes,
      onerror: (error) => logger.debug({ err: error }, 'MCP 2026-07-28 request rejected or failed'),
    },
  );

  const webSocketServer = new WebSocketServer({
    noServer: true,
    maxPayload: maxBodyBytes,
    handleProtocols: (protocols) =>
      protocols.has(MCP_WEBSOCKET_SUBPROTOCOL) ? MCP_WEBSOCKET_SUBPROTOCOL : false,
  });

  const server = createNodeServer((request, response) => {
    handleRequest(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'MCP host failed to handle a request');
      if (!response.headersSent) {
        sendJson(response, 500, createJsonRpcError(-32603, 'Internal error'));
      } else if (!response.writableEnded) {
        response.end();
      }
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    handleUpgrade(request, socket, head).catch((error: unknown) => {
      logger.error({ err: error }, 'MCP host failed to handle a WebSocket upgrade');
      rejectUpgrade(socket, 500, 'Internal error');
    });
  });

  const sweeper =
    sessionIdleTimeoutMs > 0
      ? setInterval(sweepIdleSessions, Math.max(250, Math.min(sessionIdleTimeoutMs / 2, 60_000)))
      : undefined;
  sweeper?.unref();

  // ——— sessions ———

  function hasCapacity(): boolean {
    return sessions.size + pendingSessions < maxSessions;
  }

  function registerSession(record: SessionRecord) {
    sessions.set(record.id, record);
    logger.debug({ sessionId: record.id, transport: record.kind }, 'MCP session opened');
  }

  function forgetSession(id: string) {
    if (sessions.delete(id)) logger.debug({ sessionId: id }, 'MCP session closed');
    streamableTransports.delete(id);
    sseTransports.delete(id);
  }

  function touch(id: string) {
    const record = sessions.get(id);
    if (record) record.lastActivity = Date.now();
  }

  function sweepIdleSessions() {
    const now = Date.now();
    for (const record of sessions.values()) {
      if (record.inFlight === 0 && now - record.lastActivity > sessionIdleTimeoutMs) {
        logger.info({ sessionId: record.id, transport: record.kind }, 'Closing idle MCP session');
        forgetSession(record.id);
        record
          .close()
          .catch((error: unknown) => logger.warn({ err: error }, 'Closing a session failed'));
      }
    }
  }

  async function buildServer(context: McpSessionContext): Promise<McpServerInstance> {
    return options.createServer(context);
  }

  // ——— HTTP ———

  async function handleRequest(request: IncomingMessage, response: ServerResponse) {
    trackInFlight(response);
    const url = new URL(request.url ?? '/', 'http://host.invalid');
    const failure = validateHost(request.headers.host, request.headers.origin);
    if (failure) {
      sendJson(
        response,
        failure.status,
        createJsonRpcError(JsonRpcErrorCode.transportError, failure.message),
      );
      return;
    }
    const path = url.pathname;
    const isMcpPath =
      (transports.streamableHttp && path === paths.mcp) ||
      (transports.sse && (path === paths.sse || path === paths.messages));
    if (options.cors && isMcpPath) {
      applyCors(request, response, options.cors);
      if (request.method === 'OPTIONS') {
        response.writeHead(204).end();
        return;
      }
    }
    if (options.onRequest && (await options.onRequest(request, response))) return;
    if (transports.streamableHttp && path === paths.mcp)
      return handleStreamableHttp(request, response);
    if (transports.sse && path === paths.sse) return handleSseOpen(request, response);
    if (transports.sse && path === paths.messages) return handleSseMessage(request, response, url);
    sendJson(
      response,
      404,
      createJsonRpcError(JsonRpcErrorCode.transportError, `Not Found: ${path}`),
    );
  }

  function trackInFlight(response: ServerResponse) {
    inFlight.add(response);
    response.on('close', () => untrack(response));
  }

  /** Long-lived streams do not hold up a graceful shutdown. */
  function untrack(response: ServerResponse) {
    if (inFlight.delete(response) && inFlight.size === 0) drained?.();
  }

  async function authenticate(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<{ principal: unknown } | undefined> {
    if (options.authenticate === undefined) return { principal: undefined };
    const outcome = await runAuthenticate(options.authenticate, toBodylessRequest(request));
    if (outcome.kind === 'principal') {
      if (isAuthInfoShaped(outcome.principal)) {
        (request as IncomingMessage & { auth?: AuthInfo }).auth = outcome.principal as AuthInfo;
      }
      return { principal: outcome.principal };
    }
    await sendWebResponse(response, outcome.response);
    return undefined;
  }

  /** Reads and parses a JSON POST body; answers 415/413/400 itself and returns `undefined` then. */
  async function readJsonBody(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<{ body: unknown } | undefined> {
    if (!isJsonContentType(request.headers['content-type'])) {
      sendJson(
        response,
        415,
        createJsonRpcError(
          JsonRpcErrorCode.transportError,
          'Unsupported Media Type: send the JSON-RPC message with Content-Type: application/json',
        ),
      );
      return undefined;
    }
    let raw: Buffer;
    try {
      raw = await readBody(request, { limitBytes: maxBodyBytes });
    } catch (error) {
      if (error instanceof RequestBodyTooLargeError) {
        sendJson(
          response,
          413,
          createJsonRpcError(JsonRpcErrorCode.transportError, error.message),
          {
            connection: 'close',
          },
        );
        return undefined;
      }
      throw error;
    }
    try {
      return { body: JSON.parse(raw.toString('utf8')) };
    } catch {
      sendJson(
        response,
        400,
        createJsonRpcError(
          JsonRpcErrorCode.parseError,
          'Parse error: the request body is not valid JSON',
        ),
      );
      return undefined;
    }
  }

  async function handleStreamableHttp(request: IncomingMessage, response: ServerResponse) {
    const method = request.method ?? 'GET';
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      sendJson(
        response,
        405,
        createJsonRpcError(JsonRpcErrorCode.transportError, `Method Not Allowed: ${method}`),
        { allow: 'GET, POST, DELETE' },
      );
      return;
    }
    const sessionId = headerValue(request.headers['mcp-session-id']);
    if (closing && sessionId === undefined) return refuseWhileClosing(response);
    const authenticated = await authenticate(request, response);
    if (!authenticated) return;
    let body: unknown;
    if (method === 'POST') {
      const parsed = await readJsonBody(request, response);
      if (!parsed) return;
      body = parsed.body;
      if (!isJsonRpcPayload(body)) {
        sendJson(
          response,
          400,
          createJsonRpcError(
            JsonRpcErrorCode.invalidRequest,
            'Invalid Request: the body is JSON but not a JSON-RPC 2.0 message',
          ),
        );
        return;
      }
    } else {
      // GET (the 2025 standalone stream) is long-lived.
      if (method === 'GET') untrack(response);
    }
    const legacy =
      sessionId !== undefined ||
      method !== 'POST' ||
      (await isLegacyRequest(toBodylessRequest(request), body, {
        maxRequestBodySize: maxBodyBytes,
      }));
    if (!legacy) {
      if (isListenRequest(body)) untrack(response);
      await serveModern(request, response, body, authenticated.principal);
      return;
    }
    if (sessionId !== undefined) {
      const transport = streamableTransports.get(sessionId);
      if (!transport) {
        // MCP 2025-11-25 basic/transports: unknown or terminated session → 404, client re-initializes.
        sendJson(
          response,
          404,
          createJsonRpcError(
            JsonRpcErrorCode.sessionNotFound,
            'Session not found: it expired or was closed; start a new session with initialize',
          ),
        );
        return;
      }
      await serveSessionRequest(sessionId, transport, request, response, body);
      return;
    }
    if (!containsInitialize(body)) {
      sendJson(
        response,
        400,
        createJsonRpcError(
          JsonRpcErrorCode.transportError,
          'Bad Request: Mcp-Session-Id header is required (send initialize first)',
        ),
      );
      return;
    }
    await openStreamableSession(request, response, body, authenticated.principal);
  }

  async function serveModern(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ) {
    const handler = toNodeHandler(
      {
        fetch: (webRequest, requestOptions) => {
          contextHeaders.set(webRequest, { principal });
          return modern.fetch(webRequest, requestOptions);
        },
      },
      { maxRequestBodySize: maxBodyBytes },
    );
    await handler(request, response, body);
  }

  async function serveSessionRequest(
    sessionId: string,
    transport: NodeStreamableHTTPServerTransport,
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
  ) {
    const record = sessions.get(sessionId);
    const counted = record !== undefined && request.method !== 'GET';
    if (record) record.lastActivity = Date.now();
    if (counted) record.inFlight += 1;
    try {
      await transport.handleRequest(request, response, body);
    } finally {
      if (counted) record.inFlight -= 1;
      touch(sessionId);
    }
  }

  async function openStreamableSession(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ) {
    if (!hasCapacity()) return refuseFull(response);
    pendingSessions += 1;
    const sessionId = randomUUID();
    let product: McpServerInstance | undefined;
    let initialized = false;
    try {
      const transport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => sessionId,
        ...(eventStore ? { eventStore } : {}),
        keepAliveMs,
        maxRequestBodySize: maxBodyBytes,
        onsessioninitialized: () => {
          initialized = true;
          streamableTransports.set(sessionId, transport);
          registerSession({
            id: sessionId,
            kind: 'streamable-http',
            lastActivity: Date.now(),
            inFlight: 0,
            close: async () => {
              await product?.close();
            },
          });
        },
        onsessionclosed: () => {
          forgetSession(sessionId);
          product
            ?.close()
            .catch((error: unknown) => logger.warn({ err: error }, 'Closing a session failed'));
        },
      });
      product = await buildServer({
        transport: 'streamable-http',
        era: 'legacy',
        sessionId,
        principal,
        headers: toHeaders(request),
      });
      await product.connect(transport);
      await transport.handleRequest(request, response, body);
    } finally {
      pendingSessions -= 1;
      if (!initialized) await product?.close().catch(() => {});
    }
  }

  async function handleSseOpen(request: IncomingMessage, response: ServerResponse) {
    if (request.method !== 'GET') {
      sendJson(
        response,
        405,
        createJsonRpcError(
          JsonRpcErrorCode.transportError,
          `Method Not Allowed: ${request.method}`,
        ),
        { allow: 'GET' },
      );
      return;
    }
    untrack(response);
    if (closing) return refuseWhileClosing(response);
    const authenticated = await authenticate(request, response);
    if (!authenticated) return;
    if (!hasCapacity()) return refuseFull(response);
    const sessionId = randomUUID();
    const transport = createSseServerTransport({
      response,
      sessionId,
      endpoint: `${paths.messages}?sessionId=${sessionId}`,
      keepAliveMs,
    });
    pendingSessions += 1;
    let product: McpServerInstance;
    try {
      product = await buildServer({
        transport: 'sse',
        era: 'legacy',
        sessionId,
        principal: authenticated.principal,
        headers: toHeaders(request),
      });
    } finally {
      pendingSessions -= 1;
    }
    sseTransports.set(sessionId, transport);
    registerSession({
      id: sessionId,
      kind: 'sse',
      lastActivity: Date.now(),
      inFlight: 0,
      close: () => product.close(),
    });
    response.on('close', () => {
      forgetSession(sessionId);
      product.close().catch(() => {});
    });
    await product.connect(transport);
  }

  async function handleSseMessage(request: IncomingMessage, response: ServerResponse, url: URL) {
    if (request.method !== 'POST') {
      sendJson(
        response,
        405,
        createJsonRpcError(
          JsonRpcErrorCode.transportError,
          `Method Not Allowed: ${request.method}`,
        ),
        { allow: 'POST' },
      );
      return;
    }
    const sessionId = url.searchParams.get('sessionId') ?? undefined;
    const transport = sessionId === undefined ? undefined : sseTransports.get(sessionId);
    if (sessionId === undefined || transport === undefined) {
      sendJson(
        response,
        404,
        createJsonRpcError(
          JsonRpcErrorCode.sessionNotFound,
          'Session not found: open a new event stream and use the endpoint it announces',
        ),
      );
      return;
    }
    const authenticated = await authenticate(request, response);
    if (!authenticated) return;
    const parsed = await readJsonBody(request, response);
    if (!parsed) return;
    const messages = Array.isArray(parsed.body) ? parsed.body : [parsed.body];
    if (messages.length === 0 || !messages.every(isJsonRpcMessageShape)) {
      sendJson(
        response,
        400,
        createJsonRpcError(
          JsonRpcErrorCode.invalidRequest,
          'Invalid Request: the body is JSON but not a JSON-RPC 2.0 message',
        ),
      );
      return;
    }
    touch(sessionId);
    const authInfo = (request as IncomingMessage & { auth?: AuthInfo }).auth;
    response.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
    for (const message of messages) {
      transport.deliver(message as JSONRPCMessage, authInfo ? { authInfo } : undefined);
    }
  }

  // ——— WebSocket ———

  async function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
    const url = new URL(request.url ?? '/', 'http://host.invalid');
    if (!transports.websocket || url.pathname !== paths.websocket) {
      rejectUpgrade(socket, 404, `Not Found: ${url.pathname}`);
      return;
    }
    if (closing)
      return rejectUpgrade(socket, 503, 'Service Unavailable: the server is shutting down');
    const failure = validateHost(request.headers.host, request.headers.origin);
    if (failure) return rejectUpgrade(socket, failure.status, failure.message);
    let principal: unknown;
    if (options.authenticate) {
      const outcome = await runAuthenticate(options.authenticate, toBodylessRequest(request));
      if (outcome.kind === 'response') {
        const text = await outcome.response.text();
        rejectUpgrade(socket, outcome.response.status, text, outcome.response.headers, true);
        return;
      }
      principal = outcome.principal;
    }
    if (!hasCapacity()) {
      return rejectUpgrade(
        socket,
        503,
        'Service Unavailable: the server has reached its session limit',
      );
    }
    pendingSessions += 1;
    webSocketServer.handleUpgrade(request, socket, head, (webSocket) => {
      pendingSessions -= 1;
      const sessionId = randomUUID();
      const headers = toHeaders(request);
      const transport = createWebSocketServerTransport({
        socket: webSocket,
        sessionId,
        keepAliveMs,
        ...(isAuthInfoShaped(principal)
          ? { messageExtra: { authInfo: principal as AuthInfo } }
          : {}),
        onActivity: () => touch(sessionId),
      });
      // The SDK's single-connection entry picks the era from the opening message, so one
      // WebSocket endpoint serves 2025-era and 2026-07-28 clients alike.
      const handle = serveStdio(
        (sdkContext) =>
          buildServer({
            transport: 'websocket',
            era: sdkContext.era,
            sessionId,
            principal,
            headers,
          }),
        {
          transport,
          legacy: 'serve',
          onerror: (error) =>
            logger.debug({ err: error, sessionId }, 'MCP WebSocket session error'),
        },
      );
      registerSession({
        id: sessionId,
        kind: 'websocket',
        lastActivity: Date.now(),
        inFlight: 0,
        close: () => handle.close(),
      });
      webSocket.on('close', () => forgetSession(sessionId));
    });
  }

  // ——— lifecycle ———

  async function listen(): Promise<McpHttpHostAddress> {
    if (address) return address;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, bindHost, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : (options.port ?? 0);
    const hostForUrl = bindHost.includes(':') ? `[${bindHost}]` : bindHost;
    address = { url: `http://${hostForUrl}:${port}`, host: bindHost, port };
    logger.info({ url: address.url }, 'MCP host listening');
    return address;
  }

  async function shutdown(): Promise<void> {
    closing = true;
    if (sweeper) clearInterval(sweeper);
    const listenerClosed = new Promise<void>((resolve) => {
      if (!server.listening) resolve();
      else server.close(() => resolve());
    });
    server.closeIdleConnections();
    if (inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, shutdownTimeoutMs);
        timer.unref();
        drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const open = [...sessions.values()];
    sessions.clear();
    await Promise.allSettled(open.map((record) => record.close()));
    streamableTransports.clear();
    sseTransports.clear();
    await modern.close().catch(() => {});
    for (const client of webSocketServer.clients) client.terminate();
    webSocketServer.close();
    server.closeAllConnections();
    await listenerClosed;
    logger.info({}, 'MCP host closed');
  }

  const host: McpHttpHost = {
    listen,
    close() {
      closed ??= shutdown();
      return closed;
    },
    [Symbol.asyncDispose]() {
      return host.close();
    },
    server,
    get address() {
      return address;
    },
    notify: modern.notify,
    bus,
    get sessionCount() {
      return sessions.size;
    },
  };
  return host;
}

// ——— helpers ———

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function toHeaders(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

function toBodylessRequest(request: IncomingMessage): Request {
  const url = `http://${request.headers.host ?? 'localhost'}${request.url ?? '/'}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    parsed = new URL(request.url ?? '/', 'http://localhost');
  }
  return new Request(parsed, { method: request.method ?? 'GET', headers: toHeaders(request) });
}

function isJsonRpcPayload(body: unknown): boolean {
  if (Array.isArray(body)) return body.length > 0 && body.every(isJsonRpcMessageShape);
  return isJsonRpcMessageShape(body);
}

function containsInitialize(body: unknown): boolean {
  return Array.isArray(body)
    ? body.some((message) => isInitializeRequest(message))
    : isInitializeRequest(body);
}

function isListenRequest(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { method?: unknown }).method === 'subscriptions/listen'
  );
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  if (response.headersSent) {
    if (!response.writableEnded) response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}

function refuseFull(response: ServerResponse) {
  sendJson(
    response,
    503,
    createJsonRpcError(
      JsonRpcErrorCode.transportError,
      'Service Unavailable: the server has reached its session limit; retry later',
    ),
    { 'retry-after': '5' },
  );
}

function refuseWhileClosing(response: ServerResponse) {
  sendJson(
    response,
    503,
    createJsonRpcError(
      JsonRpcErrorCode.transportError,
      'Service Unavailable: the server is shutting down',
    ),
    { connection: 'close' },
  );
}

async function sendWebResponse(response: ServerResponse, webResponse: Response) {
  const headers: Record<string, string> = {};
  for (const [name, value] of webResponse.headers) headers[name] = value;
  const text = await webResponse.text();
  response.writeHead(webResponse.status, headers);
  response.end(text);
}

function applyCors(
  request: IncomingMessage,
  response: ServerResponse,
  cors: McpHttpHostCorsOptions,
) {
  const origin = headerValue(request.headers.origin);
  if (origin === undefined) return;
  if (cors.origins !== '*' && !cors.origins.includes(origin)) return;
  response.setHeader('access-control-allow-origin', cors.origins === '*' ? '*' : origin);
  response.setHeader('vary', 'Origin');
  response.setHeader(
    'access-control-expose-headers',
    'Mcp-Session-Id, MCP-Protocol-Version, WWW-Authenticate',
  );
  if (request.method === 'OPTIONS') {
    response.setHeader('access-control-allow-methods', 'GET, POST, DELETE, OPTIONS');
    response.setHeader(
      'access-control-allow-headers',
      headerValue(request.headers['access-control-request-headers']) ??
        'Content-Type, Authorization, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID',
    );
    response.setHeader('access-control-max-age', String(cors.maxAgeSeconds ?? 600));
  }
}

const statusTexts: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function rejectUpgrade(
  socket: Duplex,
  status: number,
  message: string,
  extraHeaders?: Headers,
  bodyIsJson = false,
) {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = bodyIsJson
    ? message
    : JSON.stringify(createJsonRpcError(JsonRpcErrorCode.transportError, message));
  const lines = [
    `HTTP/1.1 ${status} ${statusTexts[status] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  if (extraHeaders) {
    for (const [name, value] of extraHeaders) {
      if (name !== 'content-type' && name !== 'content-length' && name !== 'connection') {
        lines.push(`${name}: ${value}`);
      }
    }
  }
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
