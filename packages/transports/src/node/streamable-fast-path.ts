/**
 * The fast path of a 2025-era session (`streamable-http-route.ts`): one JSON-RPC request the
 * session's server answers by itself (`McpHttpHostOptions.fastRequest`, a proxy forwarding it as
 * it is), sent back as one JSON object, upgraded to SSE when the handler sends a related message
 * (`fast-response-stream.ts`). It also takes the client's answers to server→client requests sent
 * on fast streams, and aborts a fast request on its `notifications/cancelled`. Anything else,
 * and every malformed request, goes to the SDK transport (`streamable-sdk-path.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type JSONRPCRequest, SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/server';
import type { McpFastRequestExtra, McpFastRequestHandler } from '../mcp-session-context.js';
import { fastStreamEventId } from './cluster-request-streams.js';
// H4 (issue #18): fast answers upgraded to SSE when the handler sends a related message.
import { FastReplies, FastResponseStream } from './fast-response-stream.js';
import type { HostContext } from './host-context.js';
import { ResponseCancellation } from './lazy-cancellation.js';
import { serveWithSdk } from './streamable-sdk-path.js';
import type { SessionEntry, StreamableSessionTable } from './streamable-session-table.js';

/** The protocol versions the SDK transport accepts in `Mcp-Protocol-Version`. */
const supportedVersions: ReadonlySet<string> = new Set(SUPPORTED_PROTOCOL_VERSIONS);

/**
 * Serves a request on the fast path. `undefined` when it does not apply; the SDK transport then
 * serves the request, and answers every malformed one. A handler that resolves with `undefined`
 * (it declined after looking further) hands the request to the SDK too.
 */
export function serveFast(
  table: StreamableSessionTable,
  fastRequest: McpFastRequestHandler,
  session: SessionEntry,
  sessionId: string,
  request: IncomingMessage,
  response: ServerResponse,
  body: unknown,
  principal: unknown,
): Promise<void> | undefined {
  const { context } = table;
  const { cluster, logger } = context;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const message = body as { method?: unknown; id?: unknown; params?: unknown };
  if (message.method === undefined && session.fastReplies?.deliver(body)) {
    // The client's answer to a request sent on a fast stream (MCP 2025-11-25: 202 Accepted).
    response.writeHead(202).end();
    return Promise.resolve();
  }
  if (typeof message.method !== 'string') return undefined;
  const id = message.id;
  if (typeof id !== 'string' && typeof id !== 'number') {
    // MCP 2025-11-25 basic/utilities/cancellation: a cancelled fast request is aborted here
    // (the SDK server never saw it); the notification still goes on to the SDK as usual.
    if (message.method === 'notifications/cancelled' && session.fastInFlight) {
      const requestId = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof requestId === 'string' || typeof requestId === 'number') {
        session.fastInFlight.get(requestId)?.abort();
      }
    }
    return undefined;
  }
  // The SDK transport's checks, so the fast path accepts nothing it would refuse.
  const accept = request.headers.accept;
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) {
    return undefined;
  }
  const version = request.headers['mcp-protocol-version'];
  if (version !== undefined && !(typeof version === 'string' && supportedVersions.has(version))) {
    return undefined;
  }
  if (session.fastInFlight?.has(id)) return undefined; // a duplicate id: the SDK decides
  session.fastReplies ??= new FastReplies(
    cluster && session.sealed ? cluster.answers.idPrefix : undefined, // cluster-answers.ts
  );
  const stream = new FastResponseStream(
    response,
    sessionId,
    session.fastReplies,
    // A cluster session's SSE answer can be resumed elsewhere, as an error (cluster-request-streams.ts).
    cluster && session.sealed ? fastStreamEventId(cluster.answers.replicaId, [id]) : undefined,
  );
  // The request's extra, its cancellation and its lazy abort controller in one object.
  const fast = new FastRequest(context, response, sessionId, principal, stream);
  const answer = fastRequest(message as JSONRPCRequest, fast);
  if (answer === undefined) return undefined;
  session.fastInFlight ??= new Map();
  const inFlight = session.fastInFlight;
  inFlight.set(id, fast);
  context.sessions.touch(sessionId, 1);
  // Not async: the usual answer is written without a promise of its own.
  const settle = (reply: unknown): Promise<void> | undefined => {
    inFlight.delete(id);
    if (inFlight.size === 0 && session.fastInFlight === inFlight) session.fastInFlight = undefined;
    fast.release();
    context.sessions.touch(sessionId, -1);
    if (stream.upgraded) {
      // MCP 2025-11-25 basic/utilities/cancellation: no answer to a cancelled request.
      stream.end(fast.aborted ? undefined : (reply ?? internalError(id)));
      return;
    }
    if (response.headersSent || response.destroyed) return;
    if (reply === undefined)
      return serveWithSdk(table, session, sessionId, request, response, body);
    stream.end(reply);
  };
  return answer.then(settle, (error: unknown) => {
    logger.warn({ err: error }, 'A fast-path request failed');
    return settle(internalError(id));
  });
}

/**
 * One fast request as its handler sees it ({@link McpFastRequestExtra}) and as the session's
 * in-flight table aborts it (its signal and cancellation are lazy: {@link LazyCancellation}). Its
 * `abort` is the cancellation (`notifications/cancelled`); the client going away (the response
 * closing before its answer) aborts it too, once someone watches ({@link ResponseCancellation}).
 */
class FastRequest extends ResponseCancellation implements McpFastRequestExtra {
  constructor(
    context: HostContext,
    response: ServerResponse,
    readonly sessionId: string,
    readonly principal: unknown,
    readonly stream: FastResponseStream,
  ) {
    super(context, response);
  }
}

function internalError(id: unknown) {
  return { jsonrpc: '2.0', id, error: { code: -32603, message: 'Internal error' } }; // JSON-RPC 2.0 §5.1
}
