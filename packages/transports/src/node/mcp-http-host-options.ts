/**
 * Options and public shape of `createMcpHttpHost` (see `create-mcp-http-host.ts`).
 */
import type { IncomingMessage, Server as NodeHttpServer, ServerResponse } from 'node:http';
import type { Server as NodeHttpsServer } from 'node:https';
import type { Logger } from '@fedmcp/protocol';
import type { EventStore, ServerEventBus, ServerNotifier } from '@modelcontextprotocol/server';
import type { McpAuthenticate } from '../authenticate.js';
import type { ClusterSessions } from '../cluster-sessions.js';
import type { CorsPolicyOptions } from '../cors.js';
import type { McpModernFastRequestHandler } from '../mcp-modern-fast-request.js';
import type { CreateMcpServer, McpFastRequestHandler } from '../mcp-session-context.js';
import type { SessionEventStores } from '../session-event-store.js';
import type { ConnectionGuardStats } from './connection-guard.js';

/**
 * A pino-shaped logger; the host is silent without one.
 * @deprecated Use `Logger` from `@fedmcp/protocol` (the same shape).
 */
export type McpHostLogger = Logger;

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

/**
 * Cross-origin resource sharing, for browser clients on other origins: `origins` are full origins
 * (`https://client.example.com`) that pass the `Origin` check of the MCP routes and get
 * `Access-Control-*` headers, preflights answered on every MCP route. See `CorsPolicyOptions`.
 */
export type McpHttpHostCorsOptions = CorsPolicyOptions;

/** TLS material of an HTTPS host: PEM text (or buffers), not file paths. */
export interface McpHttpHostTlsOptions {
  /** The server certificate chain (PEM). */
  cert: string | Buffer;
  /** The server private key (PEM). */
  key: string | Buffer;
  /** CA certificates that client certificates must chain to (PEM). @default Node's root store */
  ca?: string | Buffer | Array<string | Buffer>;
  /**
   * Ask clients for a certificate (mTLS). Clients without one, or with one that does not verify,
   * still connect: `peerCertificateOf(request)` reports the certificate and whether it verified,
   * and authentication decides. @default false
   */
  requestClientCert?: boolean;
}

/** Options for `createMcpHttpHost`. */
export interface McpHttpHostOptions {
  /** Builds the MCP server for a new session, or per request for a 2026-07-28 HTTP client. */
  createServer: CreateMcpServer;
  /**
   * Named views of the server's catalog: each is served by Streamable HTTP at
   * `${paths.mcp}/<view>` (`/mcp/readonly`), whose sessions and requests get `view` in their
   * session context; any other `${paths.mcp}/…` path is answered 404 naming the views.
   * A federation hub's `hub.views` fits.
   * @default [] (only `paths.mcp` itself)
   */
  views?: readonly string[];
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
  /**
   * Largest request body (and WebSocket message) accepted; larger ones get 413, sent before the
   * rest of the upload is drained (up to twice this, or 5 s) so the client reads it.
   * @default 4194304 (4 MiB)
   */
  maxBodyBytes?: number;
  /**
   * Deepest nesting of objects and arrays accepted in one JSON-RPC message, on every transport;
   * a deeper one is answered 400 with -32600 (or -32602 when only its params are that deep).
   * @default 64
   */
  maxJsonDepth?: number;
  /**
   * Time a client has to send its request headers; a connection still without them is answered
   * 408 and closed (slowloris). @default 10000
   */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request, headers and body. @default 60000 */
  requestTimeoutMs?: number;
  /** A request body that sends no byte for this long is answered 408; `0` disables. @default 10000 */
  bodyIdleTimeoutMs?: number;
  /**
   * Open connections beyond which the host makes room by closing the oldest idle one, and when
   * none is idle sheds the new one with 503 + `Retry-After`.
   * @default 80% of the process's open-file limit, at most 10000
   */
  maxConnections?: number;
  /** Open connections one client address may hold (same handling as `maxConnections`). @default 2000 */
  maxConnectionsPerAddress?: number;
  /**
   * CORS for browser clients on other origins: their origins pass the `Origin` check of the MCP
   * routes (Streamable HTTP, views, legacy SSE, WebSocket), answers carry `Access-Control-*`
   * headers (exposing `WWW-Authenticate`, `Mcp-Session-Id`, `Mcp-Protocol-Version`) and
   * preflights are answered 204 before authentication. Other origins still get 403.
   * @default false (only `allowedOrigins`, no CORS headers)
   */
  cors?: false | McpHttpHostCorsOptions;
  /**
   * Path prefixes of public documents (metadata, key sets, discovery) served by `onRequest`: any
   * origin may read them (`Access-Control-Allow-Origin: *`, preflights answered); the `Host`
   * check still applies. @default ['/.well-known/']
   */
  publicPaths?: readonly string[];
  /** Interval of keep-alive comments (SSE) and pings (WebSocket) on idle streams; `0` disables. @default 15000 */
  keepAliveMs?: number;
  /**
   * A session without any request in flight or open stream for this long is closed (clients that
   * go away without `DELETE` leave sessions behind); `0` disables. Legacy SSE and WebSocket
   * sessions last as long as their stream. @default 300000 (5 min)
   */
  sessionIdleTimeoutMs?: number;
  /** Open sessions (all transports) beyond which new ones are refused with 503. @default 10000 */
  maxSessions?: number;
  /**
   * Open sessions (all transports) one principal may hold — by `sessionOwner`'s key, or by client
   * address for anonymous clients; beyond it new ones are refused with 429. @default 1000
   */
  maxSessionsPerPrincipal?: number;
  /** How long {@link McpHttpHost.close} waits for in-flight requests before closing sessions. @default 10000 */
  shutdownTimeoutMs?: number;
  /**
   * Event store for resumable 2025-era Streamable HTTP streams; `false` disables resumability.
   * One `EventStore` is scoped per session by the host (a session never replays another's
   * events); a `SessionEventStores` (such as `createStoreEventStore({ store })`, on the store
   * every replica shares) hands out one per session, so a client may resume on any replica.
   * @default an in-memory store
   */
  eventStore?: EventStore | SessionEventStores | false;
  /**
   * Client-carried 2025-era sessions for several replicas (`createClusterSessions`): the
   * `Mcp-Session-Id` is the session's state sealed under the cluster secret, any replica with the
   * same secret restores a session it does not hold, and `DELETE` and expiry hold on every
   * replica. The host loads the revocation list in `listen()`; the caller closes `cluster`.
   * @default none (random session ids, sessions live in this process)
   */
  cluster?: ClusterSessions;
  /**
   * Change-event bus of 2026-07-28 `subscriptions/listen` streams (share one across replicas).
   * A bus with an `observeListen` method (`ListenObservingServerEventBus`, e.g. the federation
   * hub's `hub.bus`) is also told when a client opens a listen stream, on `/mcp` and `/ws`.
   * @default an in-process bus
   */
  bus?: ServerEventBus;
  /**
   * Authenticates each MCP request and WebSocket upgrade; the principal lands in the session
   * context (and, when it has the SDK's `AuthInfo` shape, in handlers' `ctx.http.authInfo`).
   * See `McpAuthenticate` for the contract (return a principal or a `Response`, or throw).
   */
  authenticate?: McpAuthenticate;
  /**
   * Binds sessions to principals: returns a stable key of a principal (a user or client id). A
   * request naming a session opened by a principal with another key is answered 404, as if the
   * session did not exist. @default none (sessions are not bound)
   */
  sessionOwner?: (principal: unknown) => string | undefined;
  /**
   * Extra routes (health, admin): called for every HTTP request after the Host/Origin checks and
   * before MCP routing; return `true` when it answered the request.
   */
  onRequest?: (request: IncomingMessage, response: ServerResponse) => boolean | Promise<boolean>;
  /**
   * Serve HTTPS and WSS instead of HTTP and WS. The certificate can be replaced while running
   * with {@link McpHttpHost.setSecureContext}. @default plain HTTP
   */
  tls?: McpHttpHostTlsOptions;
  /** Logger. @default silent */
  logger?: Logger;
  /**
   * The fast path (experimental): answers a request without the SDK's transport and server (a
   * proxy forwarding a plain call as it is). For a 2025-era Streamable HTTP `POST` carrying one
   * JSON-RPC request on an initialized session, after every host check (Host/Origin,
   * authentication, session ownership, body limit, content negotiation, protocol version), the
   * host calls `fastRequest(request, { sessionId, principal, signal })` first. `undefined`, or a
   * promise of `undefined`, declines: the session's SDK server then serves the request as usual.
   * A promise of the JSON-RPC response is sent as one `application/json` answer (a serialised
   * one, `McpModernFastSerializedResponse`, as its bytes); a rejected one is answered with a
   * JSON-RPC internal error. `signal` (built when first read) aborts on `notifications/cancelled` for
   * the request's id, or when the client goes away. See {@link McpFastRequestHandler}.
   * @default none (every request goes through the SDK)
   */
  fastRequest?: McpFastRequestHandler;
  /**
   * The 2026-07-28 fast path: a stateless `POST` with `MCP-Protocol-Version: 2026-07-28` and
   * `Mcp-Method: tools/call` on the MCP path (not a view's), once authenticated, read and found a
   * valid 2026-07-28 request by the SDK's own classification, is offered to
   * `modernFastRequest(request, { principal, signal })` before the SDK's `createMcpHandler`
   * builds a server for it. `undefined`, or a promise of `undefined`, declines (the SDK serves
   * the request as usual); a promise of the JSON-RPC response is sent as one `application/json`
   * answer. `signal` aborts when the client goes away. See {@link McpModernFastRequestHandler}.
   * @default none (every 2026-07-28 request goes through the SDK)
   */
  modernFastRequest?: McpModernFastRequestHandler;
}

/** Where a listening host can be reached. */
export interface McpHttpHostAddress {
  /** Base URL, like `http://127.0.0.1:43123` (`https://` with `tls`). */
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
  /** The underlying `node:http` server (a `node:https` server with `tls`). */
  readonly server: NodeHttpServer | NodeHttpsServer;
  /**
   * Replaces the certificate, key and CA of an HTTPS host (certificate rotation); new TLS
   * connections use them, open ones keep theirs.
   * @throws {FedmcpError} `INVALID_CONFIG` when the host serves plain HTTP; Node's error when the
   *   PEM material is invalid.
   */
  setSecureContext(tls: Omit<McpHttpHostTlsOptions, 'requestClientCert'>): void;
  /** The address once listening. */
  readonly address: McpHttpHostAddress | undefined;
  /** Publishes change events to open 2026-07-28 `subscriptions/listen` streams over HTTP. */
  readonly notify: ServerNotifier;
  /** The change-event bus behind {@link McpHttpHost.notify}. */
  readonly bus: ServerEventBus;
  /** Number of open sessions (2025-era Streamable HTTP, SSE and WebSocket). */
  readonly sessionCount: number;
  /** Counters of the host's protections (connections shed, evicted, timed out; sessions refused). */
  readonly stats: McpHttpHostStats;
}

/** Counters of a host's protections, since it was created. */
export interface McpHttpHostStats {
  connections: ConnectionGuardStats;
  sessions: {
    open: number;
    /** New sessions refused because the host was at `maxSessions` (503). */
    refusedFull: number;
    /** New sessions refused because the principal was at `maxSessionsPerPrincipal` (429). */
    refusedQuota: number;
  };
}
