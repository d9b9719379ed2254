/**
 * The response streams of 2026-07-28 requests, when they break. Such a stream is never stored
 * (no session, no event store), so it cannot be resumed; but the SDK v2 client only learns that
 * its call is over from an answer bearing the request's id: when a request stream without event
 * ids breaks, it waits for the call's timeout. When the stream had an event id, it resumes it with
 * a GET carrying `Last-Event-ID` (`StreamableHTTPClientTransport._handleSseStream`), and takes an
 * error answer on that GET as the call's end.
 *
 * So an SSE answer to a 2026-07-28 request starts with a priming event (an id, no data, as SDK
 * servers prime 2025-era streams) whose id names the replica running the request and the request's
 * JSON-RPC id (`modern!<replica>!<ids>`, `cluster-request-streams.ts`). Its resumption, on any
 * replica, is answered at once with a JSON-RPC error for that id: the replica stopped (a cluster
 * replica that does not answer a probe) or the stream broke (the hub cancels a 2026-07-28 request
 * whose stream closes); retry. A resumption naming no such stream (or the end of one) is answered
 * 405 with the reason, which the client takes as "no stream here".
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JsonRpcErrorCode } from '../json-rpc-error.js';
import {
  ENDED_EVENT_ID,
  type RequestStreamTag,
  requestStreamTagOf,
  taggedEventId,
} from './cluster-request-streams.js';
import { authenticateRequest, type HostContext } from './host-context.js';
import { headerValue, sendJsonRpcError } from './host-http-responses.js';

/** The event id inside the tag of a 2026-07-28 request stream's priming event. */
export const MODERN_STREAM = 'modern';
const MODERN_REVISION = '2026-07-28';
/** The replica id of a host without a cluster: this process (a restarted hub is another one). */
const PROCESS_REPLICA = `process-${randomUUID()}`;
const encoder = new TextEncoder();

/** The replica id a host's 2026-07-28 request streams name: its cluster's, else this process's. */
export function modernStreamReplicaId(context: Pick<HostContext, 'cluster'>): string {
  return context.cluster?.answers.replicaId ?? PROCESS_REPLICA;
}

/**
 * The SDK's answer to a 2026-07-28 message, with the priming event in front when it is an SSE
 * answer to a request (not a `subscriptions/listen` stream, which has an end of its own).
 */
export function primeModernStream(
  response: Response,
  replicaId: string,
  message: unknown,
): Response {
  const contentType = response.headers.get('content-type') ?? '';
  if (!response.body || !contentType.toLowerCase().startsWith('text/event-stream')) return response;
  const requestId = streamedRequestIdOf(message);
  if (requestId === undefined) return response;
  const priming = encoder.encode(
    `id: ${taggedEventId(MODERN_STREAM, replicaId, [requestId])}\ndata: \n\n`,
  );
  const reader = response.body.getReader();
  let primed = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!primed) {
        primed = true;
        controller.enqueue(priming);
        return;
      }
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    // The client went away: the SDK's stream is cancelled, which cancels the request.
    cancel: (reason) => reader.cancel(reason),
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

function streamedRequestIdOf(message: unknown): string | number | undefined {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) return undefined;
  const { method, id } = message as { method?: unknown; id?: unknown };
  if (typeof method !== 'string' || method === 'subscriptions/listen') return undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}

/** The resumptions of 2026-07-28 request streams on a host's Streamable HTTP endpoint. */
export interface ModernStreamResumption {
  /**
   * Whether a request is one this route answers: a GET with `Last-Event-ID` and no session that
   * names a 2026-07-28 request stream, the end of a stream, or comes from a 2026-07-28 client.
   */
  accepts(request: IncomingMessage): boolean;
  /** Answers a request {@link accepts} took (see the file comment). */
  handle(request: IncomingMessage, response: ServerResponse): Promise<void>;
}

/** Creates the answering of a host's 2026-07-28 stream resumptions (see the file comment). */
export function createModernStreamResumption(context: HostContext): ModernStreamResumption {
  const { cluster, logger } = context;
  const replicaId = modernStreamReplicaId(context);

  function modernTagOf(lastEventId: string): RequestStreamTag | undefined {
    const tag = requestStreamTagOf(lastEventId);
    return tag?.eventId === MODERN_STREAM && tag.requestIds.length > 0 ? tag : undefined;
  }

  return {
    accepts(request) {
      const headers = request.headers;
      if (request.method !== 'GET' || headers['mcp-session-id'] !== undefined) return false;
      const lastEventId = headerValue(headers['last-event-id']);
      if (lastEventId === undefined) return false;
      return (
        lastEventId === ENDED_EVENT_ID ||
        modernTagOf(lastEventId) !== undefined ||
        headerValue(headers['mcp-protocol-version'])?.trim() === MODERN_REVISION
      );
    },

    async handle(request, response) {
      const authenticated = await authenticateRequest(context, request, response);
      if (!authenticated) return;
      const tag = modernTagOf(headerValue(request.headers['last-event-id']) ?? '');
      if (!tag) {
        // MCP 2025-11-25 basic/transports: 405 means no stream to resume here.
        return sendJsonRpcError(
          response,
          405,
          JsonRpcErrorCode.transportError,
          'Method Not Allowed: no response stream to resume here (a 2026-07-28 response stream ends with its answer, and one that broke cannot be resumed); retry the request',
          { allow: 'POST, DELETE' },
        );
      }
      const state =
        tag.replica === replicaId
          ? 'alive'
          : cluster
            ? await cluster.answers.probe(tag.replica)
            : 'unknown';
      logger.info(
        { replica: tag.replica, state },
        'A 2026-07-28 request stream was resumed; its request is answered with an error',
      );
      if (response.destroyed) return;
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
      });
      const message =
        state === 'gone'
          ? 'The hub replica running this request stopped before answering it; the request did not complete. Retry it.'
          : 'The response stream of this request broke and cannot be resumed (the hub does not keep 2026-07-28 response streams, and cancels a request whose stream closes); its answer is lost. Retry it.';
      for (const id of tag.requestIds) {
        const error = { jsonrpc: '2.0', id, error: { code: -32603, message } }; // JSON-RPC 2.0 §5.1
        response.write(`event: message\nid: ${ENDED_EVENT_ID}\ndata: ${JSON.stringify(error)}\n\n`);
      }
      response.end();
    },
  };
}
