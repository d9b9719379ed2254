/**
 * The 2026-07-28 fast path of `POST /mcp` (the host's `modernFastRequest` option): a stateless
 * `tools/call` or `tools/list` is classified by the SDK's own ladder (`classifyInboundRequest`, no web `Request`
 * built) and offered to the handler, which forwards it without an SDK server; whatever it
 * declines goes to a `createMcpHandler` of this route, so nothing changes for those requests but
 * who reads the body. The SDK's entry builds a server per request, and the Node adapter a web
 * `Request` and `Response` per request: measured, that is most of a 2026-07-28 call's cost in a
 * proxy (bench/modern).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  classifyInboundRequest,
  type JSONRPCRequest,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import { JsonRpcErrorCode } from '../json-rpc-error.js';
import type {
  McpModernFastRequestExtra,
  McpModernFastRequestHandler,
  McpModernFastSerializedResponse,
} from '../mcp-modern-fast-request.js';
import { authenticateRequest, type HostContext, readJsonBody } from './host-context.js';
import { headerValue, sendJsonRpcError } from './host-http-responses.js';
import { createModernSdkHandler, type ModernSdkHandler } from './modern-sdk-handler.js';

/** The revision the fast path serves (the SDK's entry serves the others). */
const MODERN_REVISION = '2026-07-28';
/** The methods the fast path is offered (the SDK's entry serves the others). */
const FAST_METHODS = new Set(['tools/call', 'tools/list']);

/** The 2026-07-28 fast path of a host's Streamable HTTP endpoint. */
export interface ModernFastRoute {
  /** Whether the request's headers make it one this route takes (a stateless tools/call or list). */
  accepts(request: IncomingMessage): boolean;
  /** Serves a request {@link accepts} took. */
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
  close(): Promise<void>;
}

/** Creates the 2026-07-28 fast path around `fastRequest` (see the file comment). */
export function createModernFastRoute(
  context: HostContext,
  bus: ServerEventBus,
  fastRequest: McpModernFastRequestHandler,
): ModernFastRoute {
  const { logger, maxBodyBytes } = context;
  // The SDK's entry, for the requests the handler declines (built on first use); it learns the
  // principal from the Request it is given, as the Streamable HTTP route's entry does.
  let sdk: ModernSdkHandler | undefined;
  const sdkEntry = (): ModernSdkHandler => {
    sdk ??= createModernSdkHandler(context, bus);
    return sdk;
  };

  async function serveWithSdk(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ): Promise<void> {
    const { handler, principals } = sdkEntry();
    const serve = toNodeHandler(
      {
        fetch: (webRequest, requestOptions) => {
          principals.set(webRequest, principal);
          return handler.fetch(webRequest, requestOptions);
        },
      },
      { maxRequestBodySize: maxBodyBytes },
    );
    await serve(request, response, body);
  }

  function accepts(request: IncomingMessage): boolean {
    const headers = request.headers;
    if (
      request.method !== 'POST' ||
      headers['mcp-session-id'] !== undefined ||
      headerValue(headers['mcp-protocol-version'])?.trim() !== MODERN_REVISION ||
      !FAST_METHODS.has(headerValue(headers['mcp-method'])?.trim() ?? '') ||
      context.isClosing()
    ) {
      return false;
    }
    // The SDK answers a request it would refuse for its Accept header (406) or whose
    // `Mcp-Param-*` headers it checks against the tool's schema.
    const accept = headerValue(headers.accept);
    if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
      return false;
    }
    for (const name in headers) if (name.startsWith('mcp-param-')) return false;
    return true;
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const authenticated = await authenticateRequest(context, request, response);
    if (!authenticated) return;
    const parsed = await readJsonBody(context, request, response);
    if (!parsed) return;
    const { body } = parsed;
    const { principal } = authenticated;
    // The SDK's own classification ladder (envelope, header/body agreement), on the parsed body.
    const name = headerValue(request.headers['mcp-name']);
    const method = headerValue(request.headers['mcp-method'])?.trim() ?? '';
    const outcome = classifyInboundRequest({
      httpMethod: 'POST',
      body,
      protocolVersionHeader: MODERN_REVISION,
      mcpMethodHeader: method,
      ...(name === undefined ? {} : { mcpNameHeader: name }),
    });
    if (outcome.kind === 'legacy') {
      // Not a 2026-07-28 request after all (a batch, a posted response, an initialize): no
      // session was named, so there is nothing it could belong to.
      return sendJsonRpcError(
        response,
        400,
        JsonRpcErrorCode.invalidRequest,
        `Bad Request: MCP-Protocol-Version 2026-07-28 with Mcp-Method ${method} needs one JSON-RPC ${method} request carrying the 2026-07-28 _meta envelope`,
      );
    }
    const message = body as JSONRPCRequest;
    const answer =
      outcome.kind === 'modern' &&
      outcome.messageKind === 'request' &&
      isFastRequest(message, method, name)
        ? fastRequest(message, fastExtra(principal, response))
        : undefined;
    if (answer === undefined) return serveWithSdk(request, response, body, principal);
    let reply: unknown;
    try {
      reply = await answer;
    } catch (error) {
      logger.warn({ err: error }, 'A 2026-07-28 fast-path request failed');
      // JSON-RPC 2.0 §5.1
      reply = {
        jsonrpc: '2.0',
        id: message.id,
        error: { code: -32603, message: 'Internal error' },
      };
    }
    if (reply === undefined) return serveWithSdk(request, response, body, principal);
    if (response.headersSent || response.destroyed) return;
    const serialized = (reply as Partial<McpModernFastSerializedResponse>).serialized;
    if (serialized) return sendSerialized(response, serialized);
    const text = JSON.stringify(reply);
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  }

  return {
    accepts,
    handle,
    async close() {
      await sdk?.handler.close().catch(() => {});
    },
  };
}

/**
 * A request of the method its `Mcp-Method` header names: a tools/list, or a tools/call whose
 * `Mcp-Name` header names its tool as it is (the SDK also checks the header's encoded forms and
 * answers a mismatch: those take its path).
 */
function isFastRequest(
  message: JSONRPCRequest,
  method: string,
  nameHeader: string | undefined,
): boolean {
  if (message.method !== method) return false;
  if (typeof message.id !== 'string' && typeof message.id !== 'number') return false;
  if (method === 'tools/list') return nameHeader === undefined;
  const name = (message.params as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && nameHeader?.trim() === name;
}

/** A response its handler serialised (a cached page's bytes), with their exact length. */
function sendSerialized(response: ServerResponse, pieces: readonly Uint8Array[]): void {
  let length = 0;
  for (const piece of pieces) length += piece.byteLength;
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': length });
  // One write of all pieces (Node corks the header and the pieces into one writev).
  response.cork();
  for (const piece of pieces) response.write(piece);
  response.end();
  response.uncork();
}

/**
 * What the handler is told of a request. Its `signal` is made when first read (a `tools/list`
 * answered from a cached page, or a request declined, never reads it): an `AbortController` and a
 * `close` listener per request were measurable on the fast path (bench/modern).
 */
function fastExtra(principal: unknown, response: ServerResponse): McpModernFastRequestExtra {
  let signal: AbortSignal | undefined;
  return {
    principal,
    get signal() {
      signal ??= closedSignal(response);
      return signal;
    },
  };
}

/**
 * Aborted when the client goes away before the answer: MCP 2026-07-28 cancels a request on HTTP
 * by closing its response stream. Made late, it is aborted at once if the response has already
 * closed unfinished.
 */
function closedSignal(response: ServerResponse): AbortSignal {
  if (response.closed) {
    return response.writableFinished ? new AbortController().signal : AbortSignal.abort();
  }
  const controller = new AbortController();
  response.once('close', () => {
    if (!response.writableFinished) controller.abort();
  });
  return controller.signal;
}
