/**
 * The 2026-07-28 fast path of the web-standard hub (the Node host's `modernFastRequest`, here for
 * fetch runtimes): a stateless tools/call or tools/list the SDK's own classification finds valid
 * is offered to `Hub.modernFastRequest` before `createMcpHandler` builds a server for it (a list is
 * answered with the cached page's bytes); between edge hubs, this is each hop's path.
 */
import type {
  McpModernFastRequestHandler,
  McpModernFastSerializedResponse,
} from '@fedmcp/transports';
import { classifyInboundRequest, type JSONRPCRequest } from '@modelcontextprotocol/server';

const MODERN_REVISION = '2026-07-28';

/**
 * The answer of the fast path to a 2026-07-28 POST, or `undefined` when it does not apply or
 * declines (the SDK's entry then serves the request, and answers every malformed one).
 */
export async function answerModernFast(
  fastRequest: McpModernFastRequestHandler,
  request: Request,
  body: unknown,
  principal: unknown,
): Promise<Response | undefined> {
  const headers = request.headers;
  const method = headers.get('mcp-method')?.trim();
  if (
    headers.get('mcp-protocol-version')?.trim() !== MODERN_REVISION ||
    (method !== 'tools/call' && method !== 'tools/list')
  ) {
    return undefined;
  }
  // What the SDK refuses for its Accept header (406), or checks against the tool's schema.
  const accept = headers.get('accept');
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
    return undefined;
  }
  for (const [name] of headers) if (name.startsWith('mcp-param-')) return undefined;
  const name = headers.get('mcp-name');
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    body,
    protocolVersionHeader: MODERN_REVISION,
    mcpMethodHeader: method,
    ...(name === null ? {} : { mcpNameHeader: name }),
  });
  if (outcome.kind !== 'modern' || outcome.messageKind !== 'request') return undefined;
  const message = body as JSONRPCRequest;
  if (message.method !== method) return undefined;
  if (typeof message.id !== 'string' && typeof message.id !== 'number') return undefined;
  if (method === 'tools/list') {
    if (name !== null) return undefined; // the SDK answers a list naming a tool
  } else {
    // The tool as the Mcp-Name header names it, as it is (the SDK answers a mismatch, and checks
    // the header's encoded forms).
    const tool = (message.params as { name?: unknown } | undefined)?.name;
    if (typeof tool !== 'string' || name?.trim() !== tool) return undefined;
  }
  let reply: unknown;
  try {
    reply = await fastRequest(message, { principal, signal: request.signal });
  } catch {
    // JSON-RPC 2.0 §5.1
    reply = { jsonrpc: '2.0', id: message.id, error: { code: -32603, message: 'Internal error' } };
  }
  if (reply === undefined) return undefined;
  const serialized = (reply as Partial<McpModernFastSerializedResponse>).serialized;
  return new Response(serialized ? joined(serialized) : JSON.stringify(reply), {
    status: 200,
    headers: { 'content-type': 'application/json' },
  });
}

/** The pieces of a serialised answer as one body. */
function joined(pieces: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const piece of pieces) length += piece.byteLength;
  const body = new Uint8Array(length);
  let offset = 0;
  for (const piece of pieces) {
    body.set(piece, offset);
    offset += piece.byteLength;
  }
  return body;
}
