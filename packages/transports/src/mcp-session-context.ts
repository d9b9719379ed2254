/**
 * What a host tells the caller's server factory about the session (or, for a 2026-07-28 HTTP
 * client, the single request) it builds an MCP server for.
 */
import type {
  JSONRPCRequest,
  JSONRPCResponse,
  McpServer,
  Server,
} from '@modelcontextprotocol/server';

/** The transport a session arrived on. */
export type McpTransportKind = 'streamable-http' | 'sse' | 'websocket' | 'stdio';

/** The protocol era: `legacy` = 2024-11-05 … 2025-11-25 (`initialize`), `modern` = 2026-07-28. */
export type McpProtocolEra = 'legacy' | 'modern';

/** Context handed to {@link CreateMcpServer}. */
export interface McpSessionContext {
  /** The transport the client used. */
  transport: McpTransportKind;
  /** The protocol era the built server serves. */
  era: McpProtocolEra;
  /** The host's session id (sessionful transports only; absent for per-request 2026-07-28 HTTP). */
  sessionId?: string;
  /** What the host's `authenticate` hook returned for the request that opened the session. */
  principal?: unknown;
  /** Headers of the HTTP request that opened the session or carried the request (HTTP and WebSocket). */
  headers?: Headers;
  /** The view the client asked for by its path (`/mcp/<view>`, see the host's `views` option). */
  view?: string;
}

/** An SDK v2 server instance: the low-level `Server` (recommended) or `McpServer`. */
export type McpServerInstance = Server | McpServer;

/**
 * Builds the MCP server for a new session (2025 era, SSE, WebSocket, stdio) or, for a 2026-07-28
 * HTTP client, for each request. Keep it cheap: a low-level `Server` over shared catalogs.
 */
export type CreateMcpServer = (
  context: McpSessionContext,
) => McpServerInstance | Promise<McpServerInstance>;

/** What a host tells an {@link McpFastRequestHandler} about the request. */
export interface McpFastRequestExtra {
  /** The session the request arrived on. */
  sessionId: string;
  /** What the host's `authenticate` hook returned for this request. */
  principal: unknown;
  /**
   * Aborted when the client cancels the request (`notifications/cancelled` with its id) or
   * goes away before the answer.
   */
  signal: AbortSignal;
}

/**
 * Answers a JSON-RPC request without the SDK's server machinery (a proxy forwarding a plain
 * request as it is); the `fastRequest` option of `createMcpHttpHost`. Called by the host for a
 * 2025-era Streamable HTTP `POST` carrying one JSON-RPC request on an initialized session (find
 * the session's state by `extra.sessionId`), after the host's own checks (Host/Origin, authentication, session ownership, body
 * limit, content negotiation, protocol version). Return `undefined` to decline (the SDK server
 * then handles the request as usual; a promise resolving to `undefined` declines too, after a
 * look that needed to wait), or a promise of the response (a
 * `JSONRPCResultResponse` or `JSONRPCErrorResponse` with the request's id), which the host sends
 * as the `application/json` answer (MCP 2025-11-25 basic/transports: a server may answer a POST
 * with one JSON object instead of an SSE stream; with no stream there is nothing to resume). A
 * rejected promise is answered with a JSON-RPC internal error. Decline whatever needs the SDK:
 * requests that may be followed by notifications or server→client requests on their stream
 * (progress, sampling, elicitation), and anything the handler does not know.
 * @experimental
 */
export type McpFastRequestHandler = (
  request: JSONRPCRequest,
  extra: McpFastRequestExtra,
) => Promise<JSONRPCResponse | undefined> | undefined;
