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
  isInitializeRequest,
  isLegacyRequest,
  type JSONRPCRequest,
  type McpHttpHandler,
  type ServerEventBus,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/server';
import {
  initializeParamsOf,
  replayLogLevel,
  restoreSession,
  setLevelOf,
} from '../cluster-sessions.js';
import { isJsonRpcMessageShape, JsonRpcErrorCode } from '../json-rpc-error.js';
import type { McpFastRequestHandler, McpServerInstance } from '../mcp-session-context.js';
import type { SessionTokenState } from '../session-token.js';
import {
  createRequestStreamTags,
  fastStreamEventId,
  requestIdsOf,
} from './cluster-request-streams.js';
import {
  forwardForeignAnswers,
  holdGetStream,
  resumeOrphanedStream,
  routeClusterCancellations,
  trackClusterSubscriptions,
} from './cluster-session-routing.js';
// H4 (issue #18): fast answers upgraded to SSE when the handler sends a related message.
import { FastReplies, FastResponseStream } from './fast-response-stream.js';
import {
  type AuthenticatedRequest,
  authenticateRequest,
  type HostContext,
  ownerOf,
  readJsonBody,
} from './host-context.js';
import {
  headerValue,
  refuseMethod,
  refuseSession,
  refuseWhileClosing,
  sendJsonRpcError,
  toBodylessRequest,
  toHeaders,
} from './host-http-responses.js';
import type { SessionReservation } from './host-session-registry.js';
import { createModernSdkHandler } from './modern-sdk-handler.js';
import { listenFilterOf, listenObserverOf, listenServerOf } from './observe-listen.js';
import { webStandardTransportOf, writeStreamsAtOnce } from './sdk-seams.js';

/** The protocol versions the SDK transport accepts in `Mcp-Protocol-Version`. */
const supportedVersions: ReadonlySet<string> = new Set(SUPPORTED_PROTOCOL_VERSIONS);

/** A 2025-era session of the endpoint. */
interface SessionEntry {
  transport: NodeStreamableHTTPServerTransport;
  owner: string | undefined;
  /** Requests the fast path is answering, by JSON-RPC id (for `notifications/cancelled`). */
  fastInFlight: Map<string | number, AbortController>;
  /** Server→client requests sent on fast streams, waiting for the client's answer. */
  fastReplies?: FastReplies;
  /** The sealed state of a cluster session (`context.cluster`), opened once on this replica. */
  sealed?: SessionTokenState;
  /** The log level this copy of a cluster session has applied (set by the client anywhere). */
  logLevel?: string | undefined;
}

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
  const { logger, maxBodyBytes, keepAliveMs, eventStores, cluster } = context;
  const sessionTransports = new Map<string, SessionEntry>();
  // Cluster sessions: the local copies by nonce (a deletion on any replica closes ours), and the
  // restores under way (concurrent requests of one session restore it once).
  const byNonce = new Map<string, string>();
  const restoring = new Map<string, Promise<SessionEntry | RestoreRefusal>>();
  cluster?.revocations.onRevoked((nonce) => {
    const sessionId = byNonce.get(nonce);
    const session = sessionId === undefined ? undefined : sessionTransports.get(sessionId);
    if (sessionId === undefined || !session) return;
    byNonce.delete(nonce);
    sessionTransports.delete(sessionId);
    context.sessions.remove(sessionId);
    session.transport
      .close()
      .catch((error: unknown) => logger.warn({ err: error }, 'Closing a deleted session failed'));
  });
  // Cluster sessions (cluster-session-routing.ts): unsubscribes reach every replica's copy, and
  // answers forwarded by another replica reach the fast path's requests too.
  const localCopy = (nonce: string) => {
    const sessionId = byNonce.get(nonce);
    const copy = sessionId === undefined ? undefined : sessionTransports.get(sessionId);
    return sessionId === undefined || !copy ? undefined : { sessionId, copy };
  };
  const subscriptions = cluster
    ? trackClusterSubscriptions({
        cluster,
        sessions: context.sessions,
        logger,
        localCopy(nonce) {
          const local = localCopy(nonce);
          return local && { ...local, transport: webStandardTransportOf(local.copy.transport) };
        },
      })
    : undefined;
  const cancellations = cluster
    ? routeClusterCancellations({
        cluster,
        logger,
        localCopy(nonce) {
          const local = localCopy(nonce);
          return (
            local && {
              sessionId: local.sessionId,
              transport: webStandardTransportOf(local.copy.transport),
              abortFast: (requestId) => local.copy.fastInFlight.get(requestId)?.abort(),
            }
          );
        },
      })
    : undefined;
  // Request streams name the replica running them (cluster-request-streams.ts).
  const requestStreams = cluster ? createRequestStreamTags(cluster.answers.replicaId) : undefined;
  cluster?.answers.setFallbackDelivery(
    (nonce, message) => localCopy(nonce)?.copy.fastReplies?.deliver(message) ?? false,
  );
  // The SDK's entry for 2026-07-28 requests; it learns the principal through the Request it is given.
  const { handler: modern, principals } = createModernSdkHandler(context, bus);

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
    // A bus may serve a listen stream itself (the tasks extension's `taskIds`; see observe-listen.ts).
    const serveListen = isListenRequest(body) ? listenServerOf(bus) : undefined;
    const handler = toNodeHandler(
      {
        fetch: async (webRequest, requestOptions) => {
          principals.set(webRequest, principal);
          const owned = await serveListen?.({
            message: body,
            principal,
            signal: webRequest.signal,
            ...(keepAliveMs !== undefined ? { keepAliveMs } : {}),
          });
          return owned ?? modern.fetch(webRequest, requestOptions);
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
    let session = sessionTransports.get(sessionId);
    if (cluster && request.method === 'POST') {
      // Answers to another replica's server→client requests go to it (cluster-session-routing.ts).
      const binding = { owner: ownerOf(context, principal), view: context.view };
      const left = await forwardForeignAnswers(cluster, sessionId, binding, body, response);
      if (!left) return;
      body = left.body;
    }
    if (cluster) {
      const found = await clusterSession(session, sessionId, request, response, principal);
      if (!found) return;
      if (await recordClusterChange(found, sessionId, request, response, body)) return;
      session = sessionTransports.get(sessionId);
    }
    // A session of another principal is answered as if it did not exist (no hijacking by id).
    if (!session || session.owner !== ownerOf(context, principal)) {
      return sessionNotFound(response);
    }
    const counted = request.method !== 'GET';
    if (counted && context.fastRequest !== undefined) {
      const answered = serveFast(
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
    await serveWithSdk(session, sessionId, request, response, body);
  }

  /**
   * A cluster session (any replica serves any session): the local copy after the cluster checks
   * (deleted, expired), or one restored from the sealed id when this replica has none (for a
   * `DELETE`, only the sealed state: nothing is restored to be deleted). Answers the request
   * itself (404, 503) and returns `undefined` when the session cannot be served.
   */
  async function clusterSession(
    local: SessionEntry | undefined,
    sessionId: string,
    request: IncomingMessage,
    response: ServerResponse,
    principal: unknown,
  ): Promise<Pick<SessionEntry, 'sealed'> | undefined> {
    if (!cluster) return local;
    if (local?.sealed) {
      // Another principal's request changes nothing (no DELETE, no level) and is told nothing.
      if (local.owner !== ownerOf(context, principal)) {
        sessionNotFound(response);
        return undefined;
      }
      // The id was opened when this copy was made: only deletion and expiry can change since.
      const { nonce, expiresAt } = local.sealed;
      if (!cluster.revocations.isRevoked(nonce) && Date.now() < expiresAt) {
        // A level the client set through another replica (announced to all): applied here first.
        const level = cluster.revocations.knownLogLevel(nonce);
        if (level !== undefined && level !== local.logLevel) {
          local.logLevel = level;
          await replayLogLevel(webStandardTransportOf(local.transport), sessionId, level).catch(
            (error: unknown) => logger.warn({ err: error }, 'Applying a session log level failed'),
          );
        }
        return local;
      }
      byNonce.delete(nonce);
      sessionTransports.delete(sessionId);
      context.sessions.remove(sessionId);
      await local.transport.close().catch(() => {});
      sessionNotFound(response);
      return undefined;
    }
    const checked = await cluster.check(sessionId, {
      owner: ownerOf(context, principal),
      view: context.view,
    });
    if ('refused' in checked) {
      logger.debug({ reason: checked.refused }, 'Refused a cluster session id');
      sessionNotFound(response);
      return undefined;
    }
    if (request.method === 'DELETE') return { sealed: checked.state };
    let pending = restoring.get(sessionId);
    if (!pending) {
      pending = restore(sessionId, checked.state, request, principal).finally(() =>
        restoring.delete(sessionId),
      );
      restoring.set(sessionId, pending);
    }
    const restored = await pending;
    if (typeof restored === 'string') {
      sendJsonRpcError(response, 503, JsonRpcErrorCode.transportError, restoreRefusals[restored], {
        'retry-after': '1',
      });
      return undefined;
    }
    return restored;
  }

  /** Restores a cluster session on this replica from its sealed state. */
  async function restore(
    sessionId: string,
    state: SessionTokenState,
    request: IncomingMessage,
    principal: unknown,
  ): Promise<SessionEntry | RestoreRefusal> {
    if (!cluster) return 'failed';
    const reservation = context.sessions.reserve(context.quotaKeyOf(principal, request));
    if (typeof reservation === 'string') return 'limit';
    let started: StartedSession | undefined;
    let storeFailed = false;
    try {
      started = await startSession(sessionId, principal, request, reservation, state);
      const logLevel = await cluster.revocations.logLevel(state.nonce).catch((error: unknown) => {
        storeFailed = true;
        logger.warn(
          { err: error },
          'Reading a session log level failed; the initial level applies',
        );
        return undefined;
      });
      await restoreSession(webStandardTransportOf(started.transport), sessionId, state, {
        logLevel,
        authInfo: (request as AuthenticatedRequest).auth,
      });
      logger.debug({ transport: 'streamable-http' }, 'Restored a cluster session on this replica');
      const restored = sessionTransports.get(sessionId);
      if (restored) restored.logLevel = logLevel;
      return restored ?? 'failed';
    } catch (error) {
      logger.warn({ err: error }, 'Restoring a cluster session failed');
      sessionTransports.delete(sessionId);
      byNonce.delete(state.nonce);
      context.sessions.remove(sessionId);
      await started?.product.close().catch(() => {});
      return storeFailed || isStoreUnavailable(error) ? 'store' : 'failed';
    } finally {
      reservation.release();
    }
  }

  /**
   * What a request changes cluster-wide: `DELETE` puts the session on the revocation list (every
   * replica refuses it from then on, and closes its copy) and is answered here;
   * `logging/setLevel` records the level for the replicas that restore the session later.
   * Returns `true` when it answered the request.
   */
  async function recordClusterChange(
    session: Pick<SessionEntry, 'sealed'>,
    sessionId: string,
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
  ): Promise<boolean> {
    const sealed = session.sealed;
    if (!cluster || !sealed) return false;
    if (request.method === 'DELETE') {
      try {
        await cluster.revocations.revoke(sealed.nonce, sealed.expiresAt);
      } catch (error) {
        logger.warn({ err: error }, 'Recording a session deletion in the store failed');
        sendJsonRpcError(
          response,
          503,
          JsonRpcErrorCode.transportError,
          'Service Unavailable: the deletion could not be recorded in the shared store; retry the DELETE',
          { 'retry-after': '1' },
        );
        return true;
      }
      // The revocation closed this replica's copy, if any (onRevoked above).
      sessionTransports.delete(sessionId);
      await eventStores?.dropSession(sealed.nonce).catch(() => {});
      response.writeHead(200).end();
      return true;
    }
    if (request.method === 'POST') {
      await subscriptions?.noteRequest(sessionId, sealed, body);
      await cancellations?.noteRequest(sealed, body); // the request may run on another replica
    }
    const level = request.method === 'POST' ? setLevelOf(body) : undefined;
    if (level !== undefined) {
      const local = sessionTransports.get(sessionId);
      if (local) local.logLevel = level; // the SDK applies the client's own request next
      await cluster.revocations
        .setLogLevel(sealed.nonce, level, sealed.expiresAt)
        .catch((error: unknown) =>
          logger.warn({ err: error }, 'Recording a session log level in the store failed'),
        );
    }
    return false;
  }

  async function serveWithSdk(
    session: SessionEntry,
    sessionId: string,
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
  ) {
    // A request in flight, or an open GET stream, keeps the session from the idle sweep.
    context.sessions.touch(sessionId, 1);
    if (request.method === 'GET') {
      response.once('close', () => context.sessions.touch(sessionId, -1));
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
      await session.transport.handleRequest(request, response, body);
      return;
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

  /**
   * The fast path: one JSON-RPC request the session's server answers by itself (a proxy
   * forwarding it as it is), sent back as one JSON object. `undefined` when it does not apply;
   * the SDK transport then serves the request, and answers every malformed one. A handler that
   * resolves with `undefined` (it declined after looking further) hands the request to the SDK too.
   */
  function serveFast(
    fastRequest: McpFastRequestHandler,
    session: SessionEntry,
    sessionId: string,
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ): Promise<void> | undefined {
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
      if (message.method === 'notifications/cancelled' && session.fastInFlight.size > 0) {
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
    if (session.fastInFlight.has(id)) return undefined; // a duplicate id: the SDK decides
    const controller = new AbortController();
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
    const answer = fastRequest(message as JSONRPCRequest, {
      sessionId,
      principal,
      signal: controller.signal,
      stream,
    });
    if (answer === undefined) return undefined;
    session.fastInFlight.set(id, controller);
    context.sessions.touch(sessionId, 1);
    const onClose = () => controller.abort();
    response.once('close', onClose);
    const settle = async (reply: unknown) => {
      session.fastInFlight.delete(id);
      response.off('close', onClose);
      context.sessions.touch(sessionId, -1);
      if (stream.upgraded) {
        // MCP 2025-11-25 basic/utilities/cancellation: no answer to a cancelled request.
        stream.end(controller.signal.aborted ? undefined : (reply ?? internalError(id)));
        return;
      }
      if (response.headersSent || response.destroyed) return;
      if (reply === undefined) {
        await serveWithSdk(session, sessionId, request, response, body);
        return;
      }
      stream.end(reply);
    };
    return answer.then(settle, (error: unknown) => {
      logger.warn({ err: error }, 'A fast-path request failed');
      return settle(internalError(id));
    });
  }

  async function openSession(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ) {
    const reservation = context.sessions.reserve(context.quotaKeyOf(principal, request));
    if (typeof reservation === 'string') return refuseSession(response, reservation);
    let sessionId: string = randomUUID();
    let sealed: SessionTokenState | undefined;
    const initialize = cluster ? initializeParamsOf(body) : undefined;
    let started: StartedSession | undefined;
    try {
      if (cluster && initialize) {
        // The id is the session's sealed state: any replica of the cluster can serve it.
        const owner = ownerOf(context, principal);
        ({ sessionId, state: sealed } = await cluster.tokens.seal({
          ...(owner === undefined ? {} : { owner }),
          ...(context.view === undefined ? {} : { view: context.view }),
          initialize,
        }));
      }
      started = await startSession(sessionId, principal, request, reservation, sealed);
      await started.transport.handleRequest(request, response, body);
    } finally {
      reservation.release();
      if (started && !started.initialized()) await started.product.close().catch(() => {});
    }
  }

  /** A session's transport and server, connected; registered once initialized. */
  interface StartedSession {
    transport: NodeStreamableHTTPServerTransport;
    product: McpServerInstance;
    initialized(): boolean;
  }

  /** Creates a session's transport and server, and connects them (shared by open and restore). */
  async function startSession(
    sessionId: string,
    principal: unknown,
    request: IncomingMessage,
    reservation: SessionReservation,
    sealed: SessionTokenState | undefined,
  ): Promise<StartedSession> {
    let product: McpServerInstance | undefined;
    let initialized = false;
    const forget = () => {
      sessionTransports.delete(sessionId);
      if (sealed) byNonce.delete(sealed.nonce);
      context.sessions.remove(sessionId);
    };
    const sessionEvents = eventStores?.forSession(sealed?.nonce ?? sessionId);
    // A cluster session's notifications reach the replica holding its GET stream.
    const eventStore =
      sessionEvents && cluster && sealed && requestStreams
        ? requestStreams.wrap(cluster.notifications.wrapEventStore(sealed.nonce, sessionEvents))
        : sessionEvents;
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      ...(eventStore ? { eventStore } : {}),
      keepAliveMs,
      maxRequestBodySize: maxBodyBytes,
      onsessioninitialized: () => {
        initialized = true;
        sessionTransports.set(sessionId, {
          transport,
          owner: ownerOf(context, principal),
          fastInFlight: new Map(),
          ...(sealed ? { sealed } : {}),
        });
        if (sealed) byNonce.set(sealed.nonce, sessionId);
        reservation.commit({
          id: sessionId,
          kind: 'streamable-http',
          close: async () => {
            sessionTransports.delete(sessionId);
            if (sealed) byNonce.delete(sealed.nonce);
            await product?.close();
          },
        });
      },
      onsessionclosed: () => {
        forget();
        if (!sealed) eventStores?.dropSession(sessionId).catch(() => {});
        product
          ?.close()
          .catch((error: unknown) => logger.warn({ err: error }, 'Closing a session failed'));
      },
    });
    writeStreamsAtOnce(transport); // H4 (issue #18): no ≥ 1 ms probe before each SSE answer
    const created = await context.createServer({
      transport: 'streamable-http',
      era: 'legacy',
      sessionId,
      principal,
      headers: toHeaders(request),
    });
    product = created;
    await created.connect(transport);
    // Its server→client requests may be answered through another replica.
    if (cluster && sealed) cluster.answers.attach(transport, sealed.nonce);
    return { transport, product: created, initialized: () => initialized };
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

/** Why a cluster session could not be restored on this replica, and what the client is told. */
type RestoreRefusal = 'limit' | 'store' | 'failed';
const restoreRefusals: Record<RestoreRefusal, string> = {
  limit:
    'Service Unavailable: this replica is at its session limit and could not take over the session; retry (another replica may serve it)',
  store:
    'Service Unavailable: this replica could not restore the session because the shared store is unreachable; retry shortly',
  failed:
    'Service Unavailable: this replica could not restore the session (the server refused it); retry, or start a new session with initialize',
};

/** Whether an error (or one of its causes) says the shared store cannot be reached. */
function isStoreUnavailable(error: unknown): boolean {
  for (let cause = error, depth = 0; cause && depth < 5; depth += 1) {
    const { code, message } = cause as { code?: unknown; message?: unknown };
    if (code === 'STORE_UNAVAILABLE') return true;
    if (typeof message === 'string' && /STORE_UNAVAILABLE|ECONNREFUSED/.test(message)) return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}

function internalError(id: unknown) {
  return { jsonrpc: '2.0', id, error: { code: -32603, message: 'Internal error' } }; // JSON-RPC 2.0 §5.1
}

function sessionNotFound(response: ServerResponse): void {
  // MCP 2025-11-25 basic/transports: unknown or terminated session → 404; the client re-initializes.
  sendJsonRpcError(
    response,
    404,
    JsonRpcErrorCode.sessionNotFound,
    'Session not found: it expired or was closed; start a new session with initialize',
  );
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
