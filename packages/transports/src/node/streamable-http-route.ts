/**
 * `POST|GET|DELETE /mcp` for both protocol eras on one URL (mcp-sdk-v2 notes §4): 2025-era
 * traffic (`initialize`, `Mcp-Session-Id`, GET streams) goes to a sessionful
 * `NodeStreamableHTTPServerTransport` with an event store; 2026-07-28 traffic to
 * `createMcpHandler(factory, { legacy: 'reject' })`. Bodies are read here, under our limit, and
 * handed to both legs parsed (§10.6).
 *
 * This file routes a request to its leg; the legs are beside it:
 * - `streamable-session-table.ts`: the 2025-era sessions, how they open and close;
 * - `streamable-fast-path.ts`: requests a session's server answers by itself, without the SDK;
 * - `streamable-sdk-path.ts`: the rest, and GET streams, through the session's SDK transport;
 * - `streamable-cluster-session.ts`: cluster sessions (any replica serves any session);
 * - `streamable-modern-path.ts`: 2026-07-28 requests and their `subscriptions/listen` streams.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  isInitializeRequest,
  isLegacyRequest,
  type McpHttpHandler,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import { isJsonRpcMessageShape, JsonRpcErrorCode } from '../json-rpc-error.js';
import { createRequestStreamTags } from './cluster-request-streams.js';
import { forwardForeignAnswers } from './cluster-session-routing.js';
import { authenticateRequest, type HostContext, ownerOf, readJsonBody } from './host-context.js';
import {
  headerValue,
  refuseMethod,
  refuseWhileClosing,
  sendJsonRpcError,
  toBodylessRequest,
} from './host-http-responses.js';
import { ClusterSessionRoute } from './streamable-cluster-session.js';
import { serveFast } from './streamable-fast-path.js';
import { createModernPath } from './streamable-modern-path.js';
import { serveWithSdk } from './streamable-sdk-path.js';
import { StreamableSessionTable, sessionNotFound } from './streamable-session-table.js';

/** The Streamable HTTP endpoint of a host. */
export interface StreamableHttpRoute {
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
  /** The 2026-07-28 handler (its `notify` feeds `subscriptions/listen` streams). */
  readonly modern: McpHttpHandler;
  close(): Promise<void>;
}

/** Creates the Streamable HTTP endpoint (both eras). */
export function createStreamableHttpRoute(
  context: HostContext,
  bus: ServerEventBus,
): StreamableHttpRoute {
  const { maxBodyBytes, cluster } = context;
  // Request streams name the replica running them (cluster-request-streams.ts).
  const requestStreams = cluster ? createRequestStreamTags(cluster.answers.replicaId) : undefined;
  const table = new StreamableSessionTable(context, requestStreams);
  const clusterRoute = cluster ? new ClusterSessionRoute(table, cluster) : undefined;
  const modernPath = createModernPath(context, bus);

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const method = request.method ?? 'GET';
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      return refuseMethod(response, method, 'GET, POST, DELETE');
    }
    const sessionId = headerValue(request.headers['mcp-session-id']);
    if (context.isClosing() && sessionId === undefined) return refuseWhileClosing(response);
    const authenticated = await authenticateRequest(context, request, response);
    if (!authenticated) return;
    let body: unknown;
    if (method === 'POST') {
      const parsed = await readJsonBody(context, request, response);
      if (!parsed) return;
      body = parsed.body;
      if (!isJsonRpcPayload(body)) {
        return sendJsonRpcError(
          response,
          400,
          JsonRpcErrorCode.invalidRequest,
          'Invalid Request: the body is JSON but not a JSON-RPC 2.0 message',
        );
      }
    } else if (method === 'GET') {
      context.markLongLived(response); // the 2025 standalone stream
    }
    const legacy =
      sessionId !== undefined ||
      method !== 'POST' ||
      (await isLegacyRequest(toBodylessRequest(request), body, {
        maxRequestBodySize: maxBodyBytes,
      }));
    if (!legacy) return modernPath.serve(request, response, body, authenticated.principal);
    if (sessionId !== undefined) {
      return serveSession(sessionId, request, response, body, authenticated.principal);
    }
    if (!containsInitialize(body)) {
      return sendJsonRpcError(
        response,
        400,
        JsonRpcErrorCode.transportError,
        'Bad Request: Mcp-Session-Id header is required (send initialize first)',
      );
    }
    await table.open(request, response, body, authenticated.principal);
  }

  async function serveSession(
    sessionId: string,
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ) {
    let session = table.get(sessionId);
    if (cluster && request.method === 'POST') {
      // Answers to another replica's server→client requests go to it (cluster-session-routing.ts).
      const binding = { owner: ownerOf(context, principal), view: context.view };
      const left = await forwardForeignAnswers(cluster, sessionId, binding, body, response);
      if (!left) return;
      body = left.body;
    }
    if (clusterRoute) {
      const found = await clusterRoute.session(
        session,
        sessionId,
        request,
        response,
        principal,
        body,
      );
      if (!found) return;
      if (await clusterRoute.recordChange(found, sessionId, request, response, body)) return;
      session = table.get(sessionId);
    }
    // A session of another principal is answered as if it did not exist (no hijacking by id).
    if (!session || session.owner !== ownerOf(context, principal)) {
      return sessionNotFound(response);
    }
    const counted = request.method !== 'GET';
    if (counted && context.fastRequest !== undefined) {
      const answered = serveFast(
        table,
        context.fastRequest,
        session,
        sessionId,
        request,
        response,
        body,
        principal,
      );
      if (answered !== undefined) return answered;
    }
    // Returned, not awaited: an open GET stream keeps no suspended frame of this function.
    return serveWithSdk(table, session, sessionId, request, response, body);
  }

  return {
    handle,
    modern: modernPath.modern,
    async close() {
      table.clear();
      await modernPath.modern.close().catch(() => {});
    },
  };
}

function isJsonRpcPayload(body: unknown): boolean {
  if (Array.isArray(body)) return body.length > 0 && body.every(isJsonRpcMessageShape);
  return isJsonRpcMessageShape(body);
}

function containsInitialize(body: unknown): boolean {
  return Array.isArray(body)
    ? body.some((message) => isInitializeRequest(message))
    : isInitializeRequest(body);
}
