/**
 * One Node HTTP listener that offers MCP over every transport, to clients of both protocol eras:
 * Streamable HTTP on one URL (2025-era sessions with resumability, 2026-07-28 per request), the
 * legacy HTTP+SSE pair, and WebSocket. This file wires the routes (`streamable-http-route.ts`,
 * `legacy-sse-route.ts`, `websocket-route.ts`) behind the checks every request passes
 * (Host/Origin, CORS, the caller's `onRequest`), and owns graceful shutdown.
 */
import {
  createServer as createNodeServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as NodeHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { FedmcpError, silentLogger } from '@fedmcp/protocol';
import { InMemoryServerEventBus } from '@modelcontextprotocol/server';
import { type CorsRouteKind, createCorsPolicy } from '../cors.js';
import { createHostValidator, type HostValidator } from '../host-validation.js';
import { createInMemoryEventStore } from '../in-memory-event-store.js';
import { DEFAULT_MAX_JSON_DEPTH } from '../json-depth.js';
import { JsonRpcErrorCode } from '../json-rpc-error.js';
import { isSessionEventStores, scopeEventStore } from '../session-event-store.js';
import { createConnectionGuard, defaultMaxConnections } from './connection-guard.js';
import type { HostContext, ResponseCloseWatcher } from './host-context.js';
import { headerValue, rejectUpgrade, sendJsonRpcError } from './host-http-responses.js';
import { createHostSessionRegistry } from './host-session-registry.js';
import { createLegacySseRoute } from './legacy-sse-route.js';
import type {
  McpHttpHost,
  McpHttpHostAddress,
  McpHttpHostOptions,
  McpHttpHostPaths,
  McpHttpHostStats,
  McpHttpHostTransports,
} from './mcp-http-host-options.js';
import { createModernFastRoute } from './modern-fast-route.js';
import { createModernStreamResumption } from './modern-request-streams.js';
import { createStreamableHttpRoute, type StreamableHttpRoute } from './streamable-http-route.js';
import { createWebSocketRoute } from './websocket-route.js';

/** A path segment decoded, or as it is when it is not valid percent-encoding. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The socket a response's request came on, as the connection guard counted it. */
const guardedSocket = Symbol('fedmcp.guardedSocket');
type GuardedResponse = ServerResponse & { [guardedSocket]?: Socket };

/** The keep-alive timeout told to clients (`Keep-Alive: timeout=5`, Node's default). */
const KEEP_ALIVE_ADVERTISED_MS = 5_000;
/** How much longer than told an idle keep-alive connection stays (Node's buffer: no race). */
const KEEP_ALIVE_GRACE_MS = 1_000;

/**
 * Creates an MCP host serving Streamable HTTP (both eras on one URL), legacy HTTP+SSE and
 * WebSocket on one port, with DNS-rebinding protection, request timeouts, connection and session
 * budgets (overall, per address, per principal), body size and nesting limits, and graceful
 * shutdown.
 *
 * @example
 * ```ts
 * const host = createMcpHttpHost({ createServer: (context) => buildServer(context) });
 * const { url } = await host.listen(); // http://127.0.0.1:PORT — /mcp, /sse, /ws
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
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 10_000;
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
  // CORS: the configured origins pass the Origin check of the MCP routes (and get CORS headers);
  // public documents (`publicPaths`) pass it for any origin. The Host check stays as it is.
  const cors = createCorsPolicy(options.cors || { origins: [] });
  const publicPaths = options.publicPaths ?? ['/.well-known/'];
  const validateRequest: HostValidator = (hostHeader, origin) =>
    validateHost(hostHeader, origin && cors.allows(origin) ? undefined : origin);

  // Requests being served; long-lived streams leave the set, so shutdown does not wait for them.
  const inFlight = new Set<ServerResponse>();
  let drained: (() => void) | undefined;
  let closing = false;
  let closed: Promise<void> | undefined;
  let address: McpHttpHostAddress | undefined;

  const headersTimeoutMs = options.headersTimeoutMs ?? 10_000;
  const requestTimeoutMs = Math.max(options.requestTimeoutMs ?? 60_000, headersTimeoutMs);
  const guard = createConnectionGuard({
    maxConnections: options.maxConnections ?? defaultMaxConnections(),
    maxConnectionsPerAddress: options.maxConnectionsPerAddress ?? 2_000,
    // Node's keep-alive timeout, swept by the guard instead of a timer per response.
    keepAliveIdleMs: KEEP_ALIVE_ADVERTISED_MS + KEEP_ALIVE_GRACE_MS,
    logger,
  });

  // Responses whose closing someone waits for (a fast request's cancellation): told by
  // onResponseClose, the one listener every response has.
  const closeWatchers = new Map<ServerResponse, ResponseCloseWatcher>();
  const context: HostContext = {
    paths,
    maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
    bodyIdleTimeoutMs: options.bodyIdleTimeoutMs ?? 10_000,
    maxJsonDepth: options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH,
    keepAliveMs: options.keepAliveMs ?? 15_000,
    eventStores:
      options.eventStore === false
        ? undefined
        : options.eventStore !== undefined && isSessionEventStores(options.eventStore)
          ? options.eventStore
          : scopeEventStore(options.eventStore ?? createInMemoryEventStore()),
    cluster: options.cluster,
    logger,
    sessions: createHostSessionRegistry({
      maxSessions: options.maxSessions ?? 10_000,
      maxSessionsPerPrincipal: options.maxSessionsPerPrincipal ?? 1_000,
      idleTimeoutMs: options.sessionIdleTimeoutMs ?? 5 * 60_000,
      logger,
    }),
    createServer: options.createServer,
    fastRequest: options.fastRequest,
    authenticateHook: options.authenticate,
    sessionOwner: options.sessionOwner,
    isClosing: () => closing,
    watchClose: (response, watcher) => {
      closeWatchers.set(response, watcher);
    },
    unwatchClose: (response) => {
      closeWatchers.delete(response);
    },
    markLongLived: (response) => {
      if (inFlight.delete(response) && inFlight.size === 0) drained?.();
    },
    quotaKeyOf: (principal, request) => {
      const owner = options.sessionOwner?.(principal);
      return owner === undefined
        ? `address:${request.socket.remoteAddress ?? 'unknown'}`
        : `principal:${owner}`;
    },
  };
  const streamableHttp = createStreamableHttpRoute(context, bus);
  const modernFast =
    options.modernFastRequest && createModernFastRoute(context, bus, options.modernFastRequest);
  const modernResumption = createModernStreamResumption(context);
  // Views: `${paths.mcp}/<view>` is Streamable HTTP too, on a route of its own whose servers are
  // built with `view` in their context.
  const views = new Set(options.views ?? []);
  const viewRoutes = new Map<string, StreamableHttpRoute>();
  const viewRoute = (view: string): StreamableHttpRoute => {
    let route = viewRoutes.get(view);
    if (!route) {
      const createServer: HostContext['createServer'] = (session) =>
        options.createServer({ ...session, view });
      route = createStreamableHttpRoute({ ...context, createServer, view }, bus);
      viewRoutes.set(view, route);
    }
    return route;
  };
  const sse = createLegacySseRoute(context);
  const webSocket = createWebSocketRoute(context, validateRequest, bus);

  // A path a URL parse gives back as it is (no dot segments, nothing to percent-encode).
  const plainMcpPath = /^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/.test(paths.mcp);
  const mcpPrefix = `${paths.mcp}/`;

  async function handleRequest(request: IncomingMessage, response: ServerResponse) {
    inFlight.add(response);
    // The MCP endpoint itself (every call) without a URL parse; anything else is parsed.
    const target = request.url ?? '/';
    const url =
      target === paths.mcp && plainMcpPath ? undefined : new URL(target, 'http://host.invalid');
    const path = url === undefined ? target : url.pathname;
    const origin = headerValue(request.headers.origin);
    const publicPath = publicPaths.some((prefix) => path.startsWith(prefix));
    const failure = validateRequest(request.headers.host, publicPath ? undefined : origin);
    if (failure) {
      return sendJsonRpcError(
        response,
        failure.status,
        JsonRpcErrorCode.transportError,
        failure.message,
      );
    }
    const viewPath =
      transports.streamableHttp && path.startsWith(mcpPrefix)
        ? safeDecode(path.slice(paths.mcp.length + 1))
        : undefined;
    const streamablePath =
      transports.streamableHttp &&
      (path === paths.mcp || (viewPath !== undefined && views.has(viewPath)));
    const ssePath = transports.sse && path === paths.sse;
    const messagesPath = transports.sse && path === paths.messages;
    const corsKind: CorsRouteKind | undefined = publicPath
      ? 'public'
      : options.cors && (streamablePath || ssePath || messagesPath)
        ? 'mcp'
        : undefined;
    if (corsKind && answerCors(request, response, origin, corsKind)) return;
    if (options.onRequest && (await options.onRequest(request, response))) return;
    if (streamablePath) {
      // A 2026-07-28 request stream resumed (modern-request-streams.ts).
      if (modernResumption.accepts(request)) return modernResumption.handle(request, response);
      if (viewPath === undefined && modernFast?.accepts(request)) {
        return modernFast.handle(request, response);
      }
      const route = viewPath === undefined ? streamableHttp : viewRoute(viewPath);
      return route.handle(request, response);
    }
    if (viewPath !== undefined) {
      const known = [...views].map((view) => `${paths.mcp}/${view}`).join(', ');
      return sendJsonRpcError(
        response,
        404,
        JsonRpcErrorCode.transportError,
        `Not Found: no view "${viewPath}" at ${path}; ${known ? `this server's views are ${known}` : 'this server has no views'}`,
      );
    }
    if (ssePath) return sse.open(request, response);
    if (messagesPath)
      return sse.message(request, response, url ?? new URL(target, 'http://host.invalid'));
    sendJsonRpcError(response, 404, JsonRpcErrorCode.transportError, `Not Found: ${path}`);
  }

  /** Sets the CORS headers of a route; answers a preflight (then returns `true`). */
  function answerCors(
    request: IncomingMessage,
    response: ServerResponse,
    origin: string | undefined,
    kind: CorsRouteKind,
  ): boolean {
    const headers = cors.headers({
      origin,
      method: request.method,
      requestHeaders: headerValue(request.headers['access-control-request-headers']),
      kind,
    });
    for (const [name, value] of Object.entries(headers ?? {})) response.setHeader(name, value);
    // A preflight of an MCP route is answered here (before authentication: browsers send it
    // without credentials); one of a public path only when it is one (the route may answer).
    if (request.method !== 'OPTIONS' || (kind === 'public' && origin === undefined)) return false;
    response.writeHead(204).end();
    return true;
  }

  // One listener for all responses: an idle session's GET stream holds no closure of its own.
  // The socket is remembered per response: by the time a response closes, Node may have taken it
  // off its request (`req.socket` is null then), and the guard's count must still go down. On the
  // response itself, under a symbol of this module: a WeakMap entry per request showed in profiles
  // of plain calls (its `set` ~2 µs).
  function onResponseClose(this: GuardedResponse) {
    const socket = this[guardedSocket];
    if (socket) guard.requestEnded(socket);
    context.markLongLived(this);
    const watcher = closeWatchers.size === 0 ? undefined : closeWatchers.get(this);
    if (watcher) {
      closeWatchers.delete(this);
      watcher.responseClosed();
    }
  }

  const onHttpRequest = (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket as Socket;
    if (guard.requestStarted(socket) === 'shed') {
      return sendJsonRpcError(
        response,
        503,
        JsonRpcErrorCode.transportError,
        'Service Unavailable: the server has reached its connection limit; retry later',
        { 'retry-after': '5', connection: 'close' },
      );
    }
    (response as GuardedResponse)[guardedSocket] = socket;
    // The `Keep-Alive: timeout=5` hint Node writes when its own keepAliveTimeout is set (it is 0
    // here: the guard closes idle connections); `_keepAliveTimeout` is what Node 20–24's
    // ServerResponse reads it from (pinned by a test of create-mcp-http-host.test.ts).
    (response as ServerResponse & { _keepAliveTimeout?: number })._keepAliveTimeout =
      KEEP_ALIVE_ADVERTISED_MS;
    response.on('close', onResponseClose);
    handleRequest(request, response).catch((error: unknown) => {
      logger.error({ err: error }, 'MCP host failed to handle a request');
      sendJsonRpcError(response, 500, -32603, 'Internal error');
    });
  };
  const tls = options.tls;
  // With requestClientCert, unverified certificates still connect (rejectUnauthorized: false):
  // the authenticate hook sees `peerCertificateAuthorized: false` and decides (401, not a TLS
  // alert the client cannot explain).
  // Node checks headersTimeout/requestTimeout every connectionsCheckingInterval (30 s by default).
  const timeouts = {
    // No keep-alive timer per response (Node arms one on every socket when a response ends): the
    // guard sweeps idle keep-alive connections instead (keepAliveIdleMs above).
    keepAliveTimeout: 0,
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    connectionsCheckingInterval: Math.min(1_000, headersTimeoutMs),
  };
  const server = tls
    ? createHttpsServer(
        {
          ...timeouts,
          handshakeTimeout: headersTimeoutMs,
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca === undefined ? {} : { ca: tls.ca }),
          requestCert: tls.requestClientCert === true,
          rejectUnauthorized: false,
        },
        onHttpRequest,
      )
    : createNodeServer(timeouts, onHttpRequest);
  server.on('connection', (socket: Socket) => guard.accept(socket));
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
    guard.clientError(error, socket as Socket),
  );
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (guard.requestStarted(socket as Socket) === 'shed') {
      return rejectUpgrade(
        socket,
        503,
        'Service Unavailable: the server has reached its connection limit; retry later',
        { headers: new Headers({ 'retry-after': '5' }) },
      );
    }
    guard.upgraded(socket as Socket);
    const path = new URL(request.url ?? '/', 'http://host.invalid').pathname;
    if (!transports.websocket || path !== paths.websocket) {
      return rejectUpgrade(socket, 404, `Not Found: ${path}`);
    }
    webSocket.upgrade(request, socket, head).catch((error: unknown) => {
      logger.error({ err: error }, 'MCP host failed to handle a WebSocket upgrade');
      rejectUpgrade(socket, 500, 'Internal error');
    });
  });

  async function listen(): Promise<McpHttpHostAddress> {
    if (address) return address;
    // Cluster sessions: the revocation list is loaded before the first request is served.
    await options.cluster?.start();
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
    address = { url: `${tls ? 'https' : 'http'}://${hostForUrl}:${port}`, host: bindHost, port };
    logger.info({ url: address.url }, 'MCP host listening');
    return address;
  }

  async function shutdown(): Promise<void> {
    closing = true;
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
    await context.sessions.closeAll();
    await Promise.all([
      streamableHttp.close(),
      modernFast?.close(),
      ...[...viewRoutes.values()].map((route) => route.close()),
    ]);
    webSocket.close();
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
    setSecureContext(material) {
      if (!tls)
        throw new FedmcpError(
          'INVALID_CONFIG',
          'setSecureContext: this MCP host serves plain HTTP (no tls option)',
        );
      (server as NodeHttpsServer).setSecureContext({
        cert: material.cert,
        key: material.key,
        ...(material.ca === undefined ? {} : { ca: material.ca }),
      });
      logger.info({}, 'MCP host TLS certificate replaced');
    },
    get address() {
      return address;
    },
    notify: streamableHttp.modern.notify,
    bus,
    get sessionCount() {
      return context.sessions.size;
    },
    get stats(): McpHttpHostStats {
      return {
        connections: { ...guard.stats },
        sessions: {
          open: context.sessions.size,
          refusedFull: context.sessions.refused.full,
          refusedQuota: context.sessions.refused.quota,
        },
      };
    },
  };
  return host;
}
