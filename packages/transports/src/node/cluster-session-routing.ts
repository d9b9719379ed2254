/**
 * The Streamable HTTP endpoint's part in routing a cluster session's messages between replicas
 * (`cluster-answers.ts`, `cluster-notifications.ts`, `cluster-subscriptions.ts`): a POST carrying
 * answers to another replica's server→client requests is forwarded there; a GET stream held here
 * receives the notifications other replicas' copies of the session announce; an unsubscribe or a
 * cancellation is announced to the copies on other replicas, and a copy following resources is kept from the idle
 * sweep until it unsubscribes or the session ends.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from '@fedmcp/protocol';
import type {
  EventStore,
  Transport,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import type { ForwardedAnswerOutcome } from '../cluster-answers.js';
import { type Cancellation, cancellationsOf } from '../cluster-cancellations.js';
import {
  type ClusterSessions,
  replayCancellation,
  replayUnsubscribe,
} from '../cluster-sessions.js';
import { subscriptionChangesOf } from '../cluster-subscriptions.js';
import { JsonRpcErrorCode } from '../json-rpc-error.js';
import type { SessionTokenState } from '../session-token.js';
import {
  ENDED_EVENT_ID,
  endOrphanedStream,
  FAST_STREAM,
  requestStreamTagOf,
} from './cluster-request-streams.js';
import { sendJsonRpcError } from './host-http-responses.js';
import type { HostSessionRegistry } from './host-session-registry.js';

const refusals: Record<
  Exclude<ForwardedAnswerOutcome, 'delivered'>,
  { status: number; message: string; headers?: Record<string, string> }
> = {
  'not-waiting': {
    status: 410,
    message:
      'Gone: the request this answers is no longer waiting (it was answered, cancelled or timed out); nothing to do',
  },
  'no-holder': {
    status: 504,
    message:
      'Gateway Timeout: the replica that sent the request this answers did not confirm it (it may have stopped; the call it belongs to fails there); nothing to retry',
  },
  'store-failed': {
    status: 503,
    message:
      'Service Unavailable: the answer could not be passed to the replica waiting for it (shared store unreachable); retry',
    headers: { 'retry-after': '1' },
  },
};

/**
 * Forwards the answers in a POST body that belong to requests of other replicas. Returns
 * `undefined` when it answered the request (the body held only such answers, or the session id is
 * refused), else the body left for this replica (the input when there was nothing to forward).
 */
export async function forwardForeignAnswers(
  cluster: ClusterSessions,
  sessionId: string,
  binding: { owner: string | undefined; view: string | undefined },
  body: unknown,
  response: ServerResponse,
): Promise<{ body: unknown } | undefined> {
  const foreign = cluster.answers.foreignAnswers(body);
  if (foreign.length === 0) return { body };
  const checked = await cluster.check(sessionId, binding);
  if ('refused' in checked) {
    // MCP 2025-11-25 basic/transports: unknown or terminated session → 404.
    sendJsonRpcError(
      response,
      404,
      JsonRpcErrorCode.sessionNotFound,
      'Session not found: it expired or was closed; start a new session with initialize',
    );
    return undefined;
  }
  const outcome = await cluster.answers.forward(checked.state.nonce, foreign);
  const rest = Array.isArray(body) ? body.filter((message) => !foreign.includes(message)) : [];
  if (rest.length > 0) return { body: rest };
  if (outcome === 'delivered') {
    response.writeHead(202).end();
    return undefined;
  }
  const refusal = refusals[outcome];
  sendJsonRpcError(
    response,
    refusal.status,
    JsonRpcErrorCode.transportError,
    refusal.message,
    refusal.headers,
  );
  return undefined;
}

/**
 * Holds a session's GET stream on this replica for as long as `response` is open: notifications
 * other replicas' copies announce are written through `transport`. A store that cannot be reached
 * leaves the stream to what this replica's copy sends (logged).
 */
export async function holdGetStream(
  cluster: ClusterSessions,
  sessionKey: string,
  transport: Transport,
  response: ServerResponse,
  logger: Logger,
): Promise<void> {
  try {
    const release = await cluster.notifications.holdStream(sessionKey, (message) =>
      transport.send(message),
    );
    if (response.destroyed || response.writableEnded) await release();
    else response.once('close', () => void release());
  } catch (error) {
    logger.warn(
      { err: error },
      "Subscribing to a session's notifications from other replicas failed; its GET stream gets this replica's only",
    );
  }
}

/** What {@link trackClusterSubscriptions} needs of the endpoint. */
export interface ClusterSubscriptionTrackingOptions {
  cluster: ClusterSessions;
  sessions: HostSessionRegistry;
  logger: Logger;
  /** This replica's copy of a session (by nonce), if it has one. */
  localCopy(
    nonce: string,
  ): { sessionId: string; transport: WebStandardStreamableHTTPServerTransport } | undefined;
}

/** See {@link trackClusterSubscriptions}. */
export interface ClusterSubscriptionTracking {
  /** Looks at a POST of a session this replica serves (before its server does). */
  noteRequest(sessionId: string, sealed: SessionTokenState, body: unknown): Promise<void>;
}

/**
 * Tracks the resource subscriptions of this replica's copies of cluster sessions (see the file
 * comment): a copy that follows a resource counts as busy for the idle sweep (its upstream
 * subscription would go with it) until its last unsubscribe, here or announced by another replica,
 * or the end of the session's lifetime; an unsubscribe POSTed here is announced to the others.
 */
export function trackClusterSubscriptions(
  options: ClusterSubscriptionTrackingOptions,
): ClusterSubscriptionTracking {
  const { cluster, sessions, logger } = options;
  const pins = new Map<
    string,
    { nonce: string; uris: Set<string>; timer: ReturnType<typeof setTimeout> }
  >();
  const drop = (sessionId: string) => {
    const pin = pins.get(sessionId);
    if (!pin) return;
    clearTimeout(pin.timer);
    pins.delete(sessionId);
    sessions.touch(sessionId, -1);
  };
  const unfollow = (sessionId: string, uri: string) => {
    const pin = pins.get(sessionId);
    if (pin?.uris.delete(uri) && pin.uris.size === 0) drop(sessionId);
  };
  const follow = (sessionId: string, sealed: SessionTokenState, uri: string) => {
    let pin = pins.get(sessionId);
    if (!pin) {
      const timer = setTimeout(() => drop(sessionId), Math.max(0, sealed.expiresAt - Date.now()));
      (timer as { unref?: () => void }).unref?.();
      pin = { nonce: sealed.nonce, uris: new Set(), timer };
      pins.set(sessionId, pin);
      sessions.touch(sessionId, 1);
    }
    pin.uris.add(uri);
  };
  // A deleted session's copy is closed (its subscriptions go with it): nothing left to hold.
  cluster.revocations.onRevoked((nonce) => {
    for (const [sessionId, pin] of pins) if (pin.nonce === nonce) drop(sessionId);
  });
  cluster.subscriptions.onUnsubscribed((nonce, uri) => {
    const copy = options.localCopy(nonce);
    if (!copy) return;
    unfollow(copy.sessionId, uri);
    replayUnsubscribe(copy.transport, copy.sessionId, uri).catch((error: unknown) =>
      logger.warn({ err: error }, 'Applying an unsubscribe from another replica failed'),
    );
  });
  return {
    async noteRequest(sessionId, sealed, body) {
      for (const change of subscriptionChangesOf(body)) {
        if (change.method === 'resources/subscribe') {
          follow(sessionId, sealed, change.uri);
        } else {
          unfollow(sessionId, change.uri);
          await cluster.subscriptions.announceUnsubscribe(sealed.nonce, change.uri);
        }
      }
    },
  };
}

/** What {@link routeClusterCancellations} needs of the endpoint. */
export interface ClusterCancellationRoutingOptions {
  cluster: ClusterSessions;
  logger: Logger;
  /**
   * This replica's copy of a session (by nonce), if it has one, and how to abort a request its
   * fast path answers (the SDK server never saw those).
   */
  localCopy(nonce: string):
    | {
        sessionId: string;
        transport: WebStandardStreamableHTTPServerTransport;
        abortFast(requestId: string | number): void;
      }
    | undefined;
}

/**
 * Routes the cancellations of cluster sessions (`cluster-cancellations.ts`): one POSTed here is
 * announced to the other replicas (the one running the request aborts it); one announced by
 * another replica is applied to this replica's copy. Returns what looks at a POST.
 */
export function routeClusterCancellations(options: ClusterCancellationRoutingOptions): {
  noteRequest(sealed: SessionTokenState, body: unknown): Promise<void>;
} {
  const { cluster, logger } = options;
  cluster.cancellations.onCancelled((nonce: string, cancellation: Cancellation) => {
    const copy = options.localCopy(nonce);
    if (!copy) return;
    copy.abortFast(cancellation.requestId);
    replayCancellation(copy.transport, copy.sessionId, cancellation).catch((error: unknown) =>
      logger.warn({ err: error }, 'Applying a cancellation from another replica failed'),
    );
  });
  return {
    async noteRequest(sealed, body) {
      for (const cancellation of cancellationsOf(body)) {
        await cluster.cancellations.announce(sealed.nonce, cancellation);
      }
    },
  };
}

/**
 * A GET resuming a request stream (`Last-Event-ID`) of a cluster session, when the replica that
 * ran it is gone (`cluster-request-streams.ts`): replayed, then ended with an error per request;
 * the client's resumption after that end is answered 405. Returns `true` when it answered.
 */
export async function resumeOrphanedStream(
  cluster: ClusterSessions,
  sessionId: string,
  lastEventId: string | undefined,
  eventStore: EventStore | undefined,
  response: ServerResponse,
  logger: Logger,
): Promise<boolean> {
  if (lastEventId === undefined) return false;
  if (lastEventId === ENDED_EVENT_ID) {
    // MCP 2025-11-25 basic/transports: 405 means no stream to resume here (the request ended).
    response.writeHead(405, { allow: 'POST, DELETE' }).end();
    return true;
  }
  const tag = requestStreamTagOf(lastEventId);
  if (!tag) return false;
  // A fast-path answer is never stored: its resumption anywhere ends it, and says why.
  const fast = tag.eventId === FAST_STREAM;
  if (!fast && (tag.replica === cluster.answers.replicaId || !eventStore)) return false;
  const state =
    tag.replica === cluster.answers.replicaId ? 'alive' : await cluster.answers.probe(tag.replica);
  // Alive (or unknown): the SDK transport replays a stored stream as usual.
  if (!fast && state !== 'gone') return false;
  logger.info(
    { replica: tag.replica, requests: tag.requestIds.length, fast, state },
    'A request stream that cannot go on was resumed here; its requests are answered with an error',
  );
  await endOrphanedStream(
    response,
    sessionId,
    eventStore,
    tag,
    lastEventId.slice(lastEventId.indexOf('!')),
    state === 'gone',
  );
  return true;
}
