/**
 * The legacy HTTP+SSE transport (MCP 2024-11-05) of a host: `GET /sse` opens a session's event
 * stream, `POST /messages?sessionId=…` carries the client's messages (answered 202).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { isJsonRpcMessageShape, JsonRpcErrorCode } from '../json-rpc-error.js';
import type { McpServerInstance } from '../mcp-session-context.js';
import {
  type AuthenticatedRequest,
  authenticateRequest,
  type HostContext,
  ownerOf,
  readJsonBody,
} from './host-context.js';
import {
  refuseMethod,
  refuseSession,
  refuseWhileClosing,
  sendJsonRpcError,
  toHeaders,
} from './host-http-responses.js';
import { createSseServerTransport, type SseServerTransport } from './sse-server-transport.js';

/** The legacy SSE endpoints of a host. */
export interface LegacySseRoute {
  /** `GET paths.sse`. */
  open(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** `POST paths.messages?sessionId=…`. */
  message(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void>;
}

/** Creates the legacy SSE endpoints. */
export function createLegacySseRoute(context: HostContext): LegacySseRoute {
  const transports = new Map<
    string,
    { transport: SseServerTransport; owner: string | undefined }
  >();

  async function open(request: IncomingMessage, response: ServerResponse) {
    if (request.method !== 'GET') return refuseMethod(response, request.method, 'GET');
    context.markLongLived(response);
    if (context.isClosing()) return refuseWhileClosing(response);
    const authenticated = await authenticateRequest(context, request, response);
    if (!authenticated) return;
    const reservation = context.sessions.reserve(
      context.quotaKeyOf(authenticated.principal, request),
    );
    if (typeof reservation === 'string') return refuseSession(response, reservation);
    const sessionId = randomUUID();
    let product: McpServerInstance;
    try {
      product = await context.createServer({
        transport: 'sse',
        era: 'legacy',
        sessionId,
        principal: authenticated.principal,
        headers: toHeaders(request),
      });
    } catch (error) {
      reservation.release();
      throw error;
    }
    if (response.destroyed) {
      reservation.release();
      await product.close();
      return;
    }
    const transport = createSseServerTransport({
      response,
      sessionId,
      endpoint: `${context.paths.messages}?sessionId=${sessionId}`,
      keepAliveMs: context.keepAliveMs,
    });
    transports.set(sessionId, { transport, owner: ownerOf(context, authenticated.principal) });
    reservation.commit({
      id: sessionId,
      kind: 'sse',
      streaming: true,
      close: () => product.close(),
    });
    // The stream is the session: when it closes (client gone, idle sweep, shutdown), so does the session.
    response.on('close', () => {
      transports.delete(sessionId);
      context.sessions.remove(sessionId);
      product.close().catch(() => {});
    });
    await product.connect(transport);
  }

  async function message(request: IncomingMessage, response: ServerResponse, url: URL) {
    if (request.method !== 'POST') return refuseMethod(response, request.method, 'POST');
    const sessionId = url.searchParams.get('sessionId') ?? '';
    const session = transports.get(sessionId);
    const authenticated = session && (await authenticateRequest(context, request, response));
    if (session && !authenticated) return;
    // A session of another principal is answered as if it did not exist (no hijacking by id).
    if (!session || !authenticated || session.owner !== ownerOf(context, authenticated.principal)) {
      return sendJsonRpcError(
        response,
        404,
        JsonRpcErrorCode.sessionNotFound,
        'Session not found: open a new event stream and use the endpoint it announces',
      );
    }
    const parsed = await readJsonBody(context, request, response);
    if (!parsed) return;
    const messages = Array.isArray(parsed.body) ? parsed.body : [parsed.body];
    if (messages.length === 0 || !messages.every(isJsonRpcMessageShape)) {
      return sendJsonRpcError(
        response,
        400,
        JsonRpcErrorCode.invalidRequest,
        'Invalid Request: the body is JSON but not a JSON-RPC 2.0 message',
      );
    }
    context.sessions.touch(sessionId);
    const authInfo = (request as AuthenticatedRequest).auth;
    response.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
    for (const item of messages) {
      session.transport.deliver(item as JSONRPCMessage, authInfo ? { authInfo } : undefined);
    }
  }

  return { open, message };
}
