/**
 * `POST|GET|DELETE /mcp` for both protocol eras on one URL (mcp-sdk-v2 notes §4): 2025-era
 * traffic (`initialize`, `Mcp-Session-Id`, GET streams) goes to a sessionful
 * `NodeStreamableHTTPServerTransport` with an event store; 2026-07-28 traffic to
 * `createMcpHandler(factory, { legacy: 'reject' })`. Bodies are read here, under our limit, and
 * handed to both legs parsed (§10.6).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import {
  createMcpHandler,
  isInitializeRequest,
  isLegacyRequest,
  type McpHttpHandler,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import { isJsonRpcMessageShape, JsonRpcErrorCode } from '../json-rpc-error.js';
import type { McpServerInstance } from '../mcp-session-context.js';
import { authenticateRequest, type HostContext, ownerOf, readJsonBody } from './host-context.js';
import {
  headerValue,
  refuseFull,
  refuseMethod,
  refuseWhileClosing,
  sendJsonRpcError,
  toBodylessRequest,
  toHeaders,
} from './host-http-responses.js';
import { listenFilterOf, listenObserverOf } from './observe-listen.js';

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
  const { logger, maxBodyBytes, keepAliveMs, eventStore } = context;
  const sessionTransports = new Map<
    string,
    { transport: NodeStreamableHTTPServerTransport; owner: string | undefined }
  >();
  // The factory of the modern handler learns the principal through the Request it is given.
  const principals = new WeakMap<Request, unknown>();
  const modern = createMcpHandler(
    (sdkContext) =>
      context.createServer({
        transport: 'streamable-http',
        era: sdkContext.era,
        ...(sdkContext.requestInfo
          ? {
              principal: principals.get(sdkContext.requestInfo),
              headers: sdkContext.requestInfo.headers,
            }
          : {}),
      }),
    {
      legacy: 'reject',
      bus,
      keepAliveMs,
      maxRequestBodySize: maxBodyBytes,
      onerror: (error) => logger.debug({ err: error }, 'MCP 2026-07-28 request rejected or failed'),
    },
  );

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
    if (!legacy) return serveModern(request, response, body, authenticated.principal);
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
    await openSession(request, response, body, authenticated.principal);
  }

  async function serveModern(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ) {
    if (isListenRequest(body)) {
      context.markLongLived(response);
      const observe = listenObserverOf(bus);
      if (observe) {
        const ended = new AbortController();
        response.once('close', () => ended.abort());
        try {
          await observe({
            filter: listenFilterOf(body),
            transport: 'streamable-http',
            principal,
            signal: ended.signal,
          });
        } catch (error) {
          logger.warn({ err: error }, 'bus.observeListen failed; serving the listen stream anyway');
        }
      }
    }
    const handler = toNodeHandler(
      {
        fetch: (webRequest, requestOptions) => {
          principals.set(webRequest, principal);
          return modern.fetch(webRequest, requestOptions);
        },
      },
      { maxRequestBodySize: maxBodyBytes },
    );
    await handler(request, response, body);
  }

  async function serveSession(
    sessionId: string,
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ) {
    const session = sessionTransports.get(sessionId);
    // A session of another principal is answered as if it did not exist (no hijacking by id).
    if (!session || session.owner !== ownerOf(context, principal)) {
      // MCP 2025-11-25 basic/transports: unknown or terminated session → 404; the client re-initializes.
      return sendJsonRpcError(
        response,
        404,
        JsonRpcErrorCode.sessionNotFound,
        'Session not found: it expired or was closed; start a new session with initialize',
      );
    }
    const counted = request.method !== 'GET';
    context.sessions.touch(sessionId, counted ? 1 : undefined);
    try {
      await session.transport.handleRequest(request, response, body);
    } finally {
      context.sessions.touch(sessionId, counted ? -1 : undefined);
    }
  }

  async function openSession(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ) {
    const release = context.sessions.reserve();
    if (!release) return refuseFull(response);
    const sessionId = randomUUID();
    let product: McpServerInstance | undefined;
    let initialized = false;
    const forget = () => {
      sessionTransports.delete(sessionId);
      context.sessions.remove(sessionId);
    };
    try {
      const transport = new NodeStreamableHTTPServerTransport({
        sessionIdGenerator: () => sessionId,
        ...(eventStore ? { eventStore } : {}),
        keepAliveMs,
        maxRequestBodySize: maxBodyBytes,
        onsessioninitialized: () => {
          initialized = true;
          sessionTransports.set(sessionId, { transport, owner: ownerOf(context, principal) });
          context.sessions.add({
            id: sessionId,
            kind: 'streamable-http',
            close: async () => {
              sessionTransports.delete(sessionId);
              await product?.close();
            },
          });
        },
        onsessionclosed: () => {
          forget();
          product
            ?.close()
            .catch((error: unknown) => logger.warn({ err: error }, 'Closing a session failed'));
        },
      });
      product = await context.createServer({
        transport: 'streamable-http',
        era: 'legacy',
        sessionId,
        principal,
        headers: toHeaders(request),
      });
      await product.connect(transport);
      await transport.handleRequest(request, response, body);
    } finally {
      release();
      if (!initialized) await product?.close().catch(() => {});
    }
  }

  return {
    handle,
    modern,
    async close() {
      sessionTransports.clear();
      await modern.close().catch(() => {});
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

function isListenRequest(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { method?: unknown }).method === 'subscriptions/listen'
  );
}
