/**
 * The SDK path of a 2025-era session (`streamable-http-route.ts`): a request the fast path does
 * not answer (`streamable-fast-path.ts`), and every `GET` stream, go to the session's
 * `NodeStreamableHTTPServerTransport`. A cluster session's `GET` may first resume a stream whose
 * replica stopped, and holds the session's notifications on this replica while it is open
 * (`cluster-session-routing.ts`); its POSTs run under request stream tags naming this replica
 * (`cluster-request-streams.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestIdsOf } from './cluster-request-streams.js';
import { holdGetStream, resumeOrphanedStream } from './cluster-session-routing.js';
import { headerValue } from './host-http-responses.js';
import { openStandaloneStream } from './streamable-get-stream.js';
import type { SessionEntry, StreamableSessionTable } from './streamable-session-table.js';

/** Serves a request of a session with its SDK transport. */
export async function serveWithSdk(
  table: StreamableSessionTable,
  session: SessionEntry,
  sessionId: string,
  request: IncomingMessage,
  response: ServerResponse,
  body: unknown,
): Promise<void> {
  const { context, requestStreams } = table;
  const { cluster, eventStores, logger } = context;
  // A request in flight, or an open GET stream, keeps the session from the idle sweep.
  context.sessions.touch(sessionId, 1);
  if (request.method === 'GET') {
    table.untouchOnClose(response, sessionId);
    const lastEventId = headerValue(request.headers['last-event-id']);
    if (
      cluster &&
      session.sealed &&
      (await resumeOrphanedStream(
        cluster,
        sessionId,
        lastEventId,
        eventStores?.forSession(session.sealed.nonce),
        response,
        logger,
      ))
    ) {
      return;
    }
    if (cluster && session.sealed) {
      await holdGetStream(cluster, session.sealed.nonce, session.transport, response, logger);
    }
    // Written to the response directly when the SDK would serve a stream (streamable-get-stream.ts):
    // this function returns while the stream stays open, holding nothing of it (issue #18).
    const stream = await openStandaloneStream(session.transport, request, response);
    if (stream === 'answered') return;
    if (stream) return table.adoptStream(session, stream);
    // Returned, not awaited: an open stream keeps no suspended frame of this function (issue #18).
    return session.transport.handleRequest(request, response, body);
  }
  try {
    const handle = () => session.transport.handleRequest(request, response, body);
    await (requestStreams && session.sealed
      ? requestStreams.run(requestIdsOf(body), handle)
      : handle());
  } finally {
    context.sessions.touch(sessionId, -1);
  }
}
