/**
 * JSON-RPC error codes the host answers with before a message reaches an MCP server, and a
 * builder for the error object it sends (JSON-RPC 2.0 §5.1; MCP reserves -32000…-32099).
 */
export const JsonRpcErrorCode = {
  /** The body is not valid JSON. */
  parseError: -32700,
  /** The body is JSON but not a JSON-RPC message. */
  invalidRequest: -32600,
  /** The request's params are not acceptable (for example nested too deep). */
  invalidParams: -32602,
  /** Transport-level refusal (body too large, session missing, server full, shutting down). */
  transportError: -32000,
  /** The session named by `Mcp-Session-Id` does not exist (any more). */
  sessionNotFound: -32001,
} as const;

/** A JSON-RPC 2.0 error response, as sent on the wire. */
export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  id: string | number | null;
  error: { code: number; message: string; data?: unknown };
}

/**
 * Builds a JSON-RPC error response object.
 *
 * @example
 * ```ts
 * createJsonRpcError(JsonRpcErrorCode.parseError, 'Parse error: the body is not valid JSON');
 * ```
 */
export function createJsonRpcError(
  code: number,
  message: string,
  id: string | number | null = null,
  data?: unknown,
): JsonRpcErrorResponse {
  return {
    jsonrpc: '2.0',
    id,
    error: data === undefined ? { code, message } : { code, message, data },
  };
}

/** Whether a parsed value has the shape of one JSON-RPC 2.0 message (request, notification or response). */
export function isJsonRpcMessageShape(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const message = value as Record<string, unknown>;
  if (message.jsonrpc !== '2.0') return false;
  const id = message.id;
  // JSON-RPC 2.0 §4: an id is a string or a number (MCP: never null in a request); an id of
  // another type makes the message invalid, not a notification the server may ignore in silence.
  if (typeof message.method === 'string') {
    return !('id' in message) || typeof id === 'string' || typeof id === 'number';
  }
  return (
    'id' in message &&
    (typeof id === 'string' || typeof id === 'number' || id === null) &&
    ('result' in message || 'error' in message)
  );
}
