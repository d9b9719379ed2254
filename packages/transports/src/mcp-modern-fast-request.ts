/**
 * The 2026-07-28 fast path's contract: a stateless `tools/call` a proxy forwards as it is, or a
 * `tools/list` it answers from what it holds, answered without building an SDK server for the request (the SDK's `createMcpHandler` builds one
 * per request). The `modernFastRequest` option of `createMcpHttpHost`.
 */
import type { JSONRPCRequest, JSONRPCResponse } from '@modelcontextprotocol/server';
import type { McpCancellation } from './mcp-session-context.js';

/** What a host tells an {@link McpModernFastRequestHandler} about the request. */
export interface McpModernFastRequestExtra {
  /** What the host's `authenticate` hook returned for this request. */
  principal: unknown;
  /** Aborted when the client goes away before the answer (2026-07-28 cancellation on HTTP). */
  signal: AbortSignal;
  /**
   * The same abort as `signal`, without building an `AbortSignal` (as
   * `McpFastRequestExtra.cancellation`): for a handler that only relays the cancellation
   * (`UpstreamConnection.rawRequest` takes it). Given by the host.
   * @experimental
   */
  cancellation?: McpCancellation;
}

/**
 * A JSON-RPC response its handler serialised itself (a cached `tools/list` page kept as bytes):
 * the host sends the pieces one after the other as the `application/json` answer, with their exact
 * `Content-Length`, instead of serialising a response object per request.
 */
export interface McpModernFastSerializedResponse {
  /** The response's UTF-8 JSON text, in pieces (a shared prefix, then the request's id). */
  readonly serialized: readonly Uint8Array[];
}

/**
 * Answers one 2026-07-28 `tools/call` or `tools/list` without the SDK's server machinery. The host
 * calls it only for a `POST` with `MCP-Protocol-Version: 2026-07-28` and `Mcp-Method: tools/call`
 * (`Mcp-Name` naming the tool) or `tools/list` (no `Mcp-Name`), no session,
 * after its own checks (Host/Origin, authentication, body limit, content negotiation) and after
 * the SDK's own classification found a valid 2026-07-28 request (envelope, header/body
 * agreement). Return `undefined` (or a promise of it) to decline: the SDK's `createMcpHandler`
 * then serves the request as usual. A promise of the JSON-RPC response is sent as one
 * `application/json` answer, as the SDK would send it: a result carries `resultType` and the
 * server's `io.modelcontextprotocol/serverInfo` in its `_meta` (the handler adds them). A rejected
 * promise is answered with a JSON-RPC internal error. A
 * {@link McpModernFastSerializedResponse} is sent as its bytes. Decline whatever needs the SDK: requests
 * that may be answered on a stream (progress, logs), MRTR retries (`requestState`,
 * `inputResponses`), task-augmented calls, and anything the handler does not know. An
 * `input_required` result is answered like any other (the handler builds it as the SDK would,
 * `requestState` included); its retry then reaches the SDK.
 * @experimental
 */
export type McpModernFastRequestHandler = (
  request: JSONRPCRequest,
  extra: McpModernFastRequestExtra,
) => Promise<JSONRPCResponse | McpModernFastSerializedResponse | undefined> | undefined;
