/** Small web-standard answers of the hub handler. */
import { createJsonRpcError } from '@fedmcp/transports';

/** A JSON-RPC error (id `null`) as an HTTP answer. */
export function jsonRpcErrorResponse(
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(createJsonRpcError(code, message)), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** A JSON answer. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers },
  });
}
