/**
 * What a host tells the caller's server factory about the session (or, for a 2026-07-28 HTTP
 * client, the single request) it builds an MCP server for.
 */
import type { McpServer, Server } from '@modelcontextprotocol/server';

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
