/**
 * The response streams of a 2025-era cluster session's requests, when the replica running them
 * stops. The SDK client resumes a broken request stream with a GET carrying `Last-Event-ID`; the
 * load balancer sends it to another replica, which can replay what was stored but never finish
 * the call: the client would wait for its request timeout. So every event id of a request stream
 * names the replica running it and the JSON-RPC ids of its requests (`<id>!<replica>!<ids>`), and
 * a replica receiving a resumption of another replica's stream asks whether that replica is still
 * there (a probe on its channel, `cluster-answers.ts`); when it is gone, it replays the stream,
 * answers each request with a JSON-RPC error saying so, and ends the stream. The SDK v1 client
 * (1.32), which does not count an error as the end of a request stream, resumes once more with
 * the id of that last event: answered 405, which it takes as "no stream here" and stops.
 *
 * A fast-path answer that became SSE (`fast-response-stream.ts`) is not stored, so it cannot be
 * replayed anywhere: each of its events carries the id `fast!<replica>!<ids>`, and a resumption
 * of it (on any replica, the running one included, which cannot reattach it either) is answered
 * the same way at once, without a probe. A 2026-07-28 call's stream is tagged the same way (its
 * priming event, `modern-request-streams.ts`), and never stored either.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ServerResponse } from 'node:http';
import type { EventStore } from '@modelcontextprotocol/server';

const STANDALONE_STREAM = '_GET_stream';
const MARK = '!';
/** The event id inside the tag of a fast-path answer's events (see the file comment). */
export const FAST_STREAM = 'fast';

/** The event id of every SSE event of a fast-path answer in a cluster session. */
export function fastStreamEventId(replicaId: string, requestIds: RequestId[]): string {
  return taggedEventId(FAST_STREAM, replicaId, requestIds);
}

/**
 * An event id naming the replica running a stream and the requests it answers
 * (`<eventId>!<replica>!<ids>`, read back by {@link requestStreamTagOf}).
 */
export function taggedEventId(eventId: string, replicaId: string, requestIds: RequestId[]): string {
  const encoded = Buffer.from(JSON.stringify(requestIds)).toString('base64url');
  return `${eventId}${MARK}${replicaId}${MARK}${encoded}`;
}

/** The id of the error event that ends an orphaned stream (its resumption is answered 405). */
export const ENDED_EVENT_ID = 'fedmcp-stream-ended';

type RequestId = string | number;

/** What a tagged event id says. */
export interface RequestStreamTag {
  /** The id the event store gave. */
  eventId: string;
  replica: string;
  requestIds: RequestId[];
}

/** Reads the tag of an event id, if it has one. */
export function requestStreamTagOf(eventId: string): RequestStreamTag | undefined {
  const parts = eventId.split(MARK);
  if (parts.length !== 3) return undefined;
  const [inner, replica, encoded] = parts as [string, string, string];
  try {
    const requestIds = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(requestIds)) return undefined;
    const ids = requestIds.filter(
      (id): id is RequestId => typeof id === 'string' || typeof id === 'number',
    );
    return { eventId: inner, replica, requestIds: ids };
  } catch {
    return undefined;
  }
}

function untagged(eventId: string): string {
  const at = eventId.indexOf(MARK);
  return at < 0 ? eventId : eventId.slice(0, at);
}

function suffixOf(eventId: string): string {
  const at = eventId.indexOf(MARK);
  return at < 0 ? '' : eventId.slice(at);
}

/** See the file comment. */
export interface RequestStreamTags {
  /** Runs the SDK's handling of a POST with these requests (their stream is tagged with them). */
  run<T>(requestIds: RequestId[], handle: () => T): T;
  /** Wraps a session copy's event store: ids of request streams carry the tag. */
  wrap(eventStore: EventStore): EventStore;
}

/** Creates the tagging of one replica's request streams. */
export function createRequestStreamTags(replicaId: string): RequestStreamTags {
  const current = new AsyncLocalStorage<RequestId[]>();
  return {
    run(requestIds, handle) {
      return requestIds.length === 0 ? handle() : current.run(requestIds, handle);
    },
    wrap(eventStore) {
      // A request stream's suffix, and the requests it still has to answer.
      const streams = new Map<string, { suffix: string; open: Set<RequestId> }>();
      return {
        async storeEvent(streamId, message) {
          let stream = streams.get(streamId);
          const requestIds = current.getStore();
          if (!stream && streamId !== STANDALONE_STREAM && requestIds) {
            const encoded = Buffer.from(JSON.stringify(requestIds)).toString('base64url');
            stream = { suffix: `${MARK}${replicaId}${MARK}${encoded}`, open: new Set(requestIds) };
            streams.set(streamId, stream);
          }
          const eventId = await eventStore.storeEvent(streamId, message);
          if (!stream) return eventId;
          const answered = (message as { id?: RequestId; method?: unknown }).id;
          if ((message as { method?: unknown }).method === undefined && answered !== undefined) {
            stream.open.delete(answered);
            if (stream.open.size === 0) streams.delete(streamId);
          }
          return `${eventId}${stream.suffix}`;
        },
        ...(eventStore.getStreamIdForEventId
          ? {
              getStreamIdForEventId: (eventId: string) =>
                eventStore.getStreamIdForEventId?.(untagged(eventId)),
            }
          : {}),
        replayEventsAfter(lastEventId, { send }) {
          const suffix = suffixOf(lastEventId);
          return eventStore.replayEventsAfter(untagged(lastEventId), {
            send: (eventId, message) => send(`${eventId}${suffix}`, message),
          });
        },
      } as EventStore;
    },
  };
}

/** The JSON-RPC ids of the requests in a message or batch. */
export function requestIdsOf(body: unknown): RequestId[] {
  const messages = Array.isArray(body) ? body : [body];
  const ids: RequestId[] = [];
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue;
    const { method, id } = message as { method?: unknown; id?: unknown };
    if (typeof method === 'string' && (typeof id === 'string' || typeof id === 'number')) {
      ids.push(id);
    }
  }
  return ids;
}

/**
 * Answers the resumption of a request stream whose replica is gone (see the file comment):
 * replays what `eventStore` kept after `tag`'s event, then one JSON-RPC error per request.
 */
export async function endOrphanedStream(
  response: ServerResponse,
  sessionId: string,
  eventStore: EventStore | undefined,
  tag: RequestStreamTag,
  suffix: string,
  /** Whether the replica that ran the stream is known to be gone (else: the stream broke). */
  stopped = true,
): Promise<void> {
  response.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    'mcp-session-id': sessionId,
  });
  const write = (eventId: string, message: unknown) =>
    response.write(`event: message\nid: ${eventId}\ndata: ${JSON.stringify(message)}\n\n`);
  // A fast-path answer is never stored: nothing to replay.
  const stored = tag.eventId === FAST_STREAM ? undefined : eventStore;
  await stored
    ?.replayEventsAfter(tag.eventId, {
      send: async (eventId, message) => {
        write(`${eventId}${suffix}`, message);
      },
    })
    .catch(() => undefined); // what cannot be replayed is lost with the replica
  for (const id of tag.requestIds) {
    write(ENDED_EVENT_ID, {
      jsonrpc: '2.0',
      id,
      error: {
        code: -32603, // JSON-RPC 2.0 §5.1 Internal error
        message: stopped
          ? 'The hub replica running this request stopped before answering it; the request did not complete there. Retry it (the session is still valid).'
          : 'The response stream of this request broke and cannot be resumed; the request did not complete. Retry it (the session is still valid).',
      },
    });
  }
  response.end();
}
