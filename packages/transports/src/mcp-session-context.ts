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
import type { McpModernFastSerializedResponse } from './mcp-modern-fast-request.js';

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
  /**
   * The same abort as `signal`, without building an `AbortSignal` (a signal and a listener on it
   * per forwarded call showed in profiles of plain calls): for a handler that only relays the
   * cancellation (`UpstreamConnection.rawRequest` takes it). Given by the Streamable HTTP host.
   * @experimental
   */
  cancellation?: McpCancellation;
  /**
   * The request's own response (Streamable HTTP): answered as one JSON object unless the handler
   * sends something related to the request first, which turns it into an SSE stream.
   */
  stream?: McpFastRequestStream;
}

/** Told once when a request is cancelled (see {@link McpCancellation}). */
export interface McpCancellationListener {
  cancelled(reason: unknown): void;
}

/**
 * A request's cancellation as plain state and listeners, an `AbortSignal` without the
 * `EventTarget` (`McpFastRequestExtra.cancellation`).
 * @experimental
 */
export interface McpCancellation {
  /** Whether the request was cancelled (or its client went away). */
  readonly aborted: boolean;
  /** Why (as `AbortSignal.reason`); `undefined` until aborted. */
  readonly reason: unknown;
  /** Calls `listener.cancelled` once when the request is aborted; at once when it is already. */
  watch(listener: McpCancellationListener): void;
  /** Stops telling `listener` (the work it watched for ended). */
  unwatch(listener: McpCancellationListener): void;
}

/** A notification sent on a fast request's stream (`jsonrpc` is added). */
export interface McpFastStreamMessage {
  method: string;
  params?: Record<string, unknown>;
}

/** The client's answer to a server→client request sent on a fast request's stream. */
export interface McpFastReply {
  jsonrpc: '2.0';
  id: string;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

/**
 * The response stream of a fast request (`McpFastRequestExtra.stream`): the first message sent
 * upgrades the answer from JSON to SSE (MCP 2025-11-25 basic/transports).
 * @experimental
 */
export interface McpFastRequestStream {
  /** Whether the stream can still carry messages (the client is there, no answer yet). */
  readonly open: boolean;
  /** Sends a notification related to the request; `false` when the stream is gone. */
  notify(message: McpFastStreamMessage): boolean;
  /**
   * Sends a server→client request (sampling, elicitation, roots) on the stream and resolves
   * with the client's answer (a result or an error); rejects with `signal`'s reason on abort.
   */
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    signal?: AbortSignal,
  ): Promise<McpFastReply>;
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
 * rejected promise is answered with a JSON-RPC internal error. Messages related to the request
 * (notifications, server→client requests) go through `extra.stream`, which upgrades the answer to
 * an SSE stream; a handler that used the stream must not decline. Decline anything the handler
 * does not know. A {@link McpModernFastSerializedResponse} (a response the handler serialised
 * itself, such as a cached `tools/list` page) is sent as its bytes, with their exact length.
 * @experimental
 */
export type McpFastRequestHandler = (
  request: JSONRPCRequest,
  extra: McpFastRequestExtra,
) => Promise<JSONRPCResponse | McpModernFastSerializedResponse | undefined> | undefined;
