/**
 * Cluster sessions of a Streamable HTTP endpoint (`McpHttpHostOptions.cluster`): the session id
 * is the session's sealed state, so any replica serves any session. This part of the route
 * (`streamable-http-route.ts`) checks a session id against the cluster (deleted, expired, another
 * principal's), restores a session this replica has no copy of, records what changes cluster-wide
 * (`DELETE`, `logging/setLevel`), and wires the cluster's channels to the local copies: a
 * deletion anywhere closes ours, and unsubscribes, cancellations and answers reach them
 * (`cluster-session-routing.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type ClusterSessions,
  replayInitialized,
  replayLogLevel,
  restoreSession,
  setLevelOf,
} from '../cluster-sessions.js';
import { hasMethod } from '../json-rpc-body.js';
import { JsonRpcErrorCode } from '../json-rpc-error.js';
import type { SessionTokenState } from '../session-token.js';
import {
  type ClusterSubscriptionTracking,
  routeClusterCancellations,
  trackClusterSubscriptions,
} from './cluster-session-routing.js';
import { type AuthenticatedRequest, ownerOf } from './host-context.js';
import { sendJsonRpcError } from './host-http-responses.js';
import { webStandardTransportOf } from './sdk-seams.js';
import {
  type SessionEntry,
  type StartedSession,
  type StreamableSessionTable,
  sessionNotFound,
} from './streamable-session-table.js';

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

/** The cluster side of an endpoint's sessions (one per endpoint of a cluster host). */
export class ClusterSessionRoute {
  /** Restores under way, by session id (concurrent requests of one session restore it once). */
  private readonly restoring = new Map<string, Promise<SessionEntry | RestoreRefusal>>();
  private readonly subscriptions: ClusterSubscriptionTracking;
  private readonly cancellations: ReturnType<typeof routeClusterCancellations>;

  constructor(
    private readonly table: StreamableSessionTable,
    private readonly cluster: ClusterSessions,
  ) {
    const { context } = table;
    const { logger } = context;
    cluster.revocations.onRevoked((nonce) => {
      const local = table.localCopy(nonce);
      if (!local) return;
      table.forget(local.sessionId, nonce);
      local.copy.transport
        .close()
        .catch((error: unknown) => logger.warn({ err: error }, 'Closing a deleted session failed'));
    });
    // Unsubscribes reach every replica's copy, and answers forwarded by another replica reach the
    // fast path's requests too.
    this.subscriptions = trackClusterSubscriptions({
      cluster,
      sessions: context.sessions,
      logger,
      localCopy(nonce) {
        const local = table.localCopy(nonce);
        return local && { ...local, transport: webStandardTransportOf(local.copy.transport) };
      },
    });
    this.cancellations = routeClusterCancellations({
      cluster,
      logger,
      localCopy(nonce) {
        const local = table.localCopy(nonce);
        return (
          local && {
            sessionId: local.sessionId,
            transport: webStandardTransportOf(local.copy.transport),
            abortFast: (requestId) => local.copy.fastInFlight?.get(requestId)?.abort(),
          }
        );
      },
    });
    cluster.answers.setFallbackDelivery(
      (nonce, message) => table.localCopy(nonce)?.copy.fastReplies?.deliver(message) ?? false,
    );
  }

  /**
   * A cluster session (any replica serves any session): the local copy after the cluster checks
   * (deleted, expired), or one restored from the sealed id when this replica has none (for a
   * `DELETE`, only the sealed state: nothing is restored to be deleted). Answers the request
   * itself (404, 503) and returns `undefined` when the session cannot be served.
   */
  async session(
    local: SessionEntry | undefined,
    sessionId: string,
    request: IncomingMessage,
    response: ServerResponse,
    principal: unknown,
    body?: unknown,
  ): Promise<Pick<SessionEntry, 'sealed'> | undefined> {
    const { table, cluster } = this;
    const { context } = table;
    if (local?.sealed) {
      // Another principal's request changes nothing (no DELETE, no level) and is told nothing.
      if (local.owner !== ownerOf(context, principal)) {
        sessionNotFound(response);
        return undefined;
      }
      // The id was opened when this copy was made: only deletion and expiry can change since.
      const { nonce, expiresAt } = local.sealed;
      if (!cluster.revocations.isRevoked(nonce) && Date.now() < expiresAt) {
        if (local.awaitingInitialized) {
          // Opened here, its `notifications/initialized` sent to another replica: without it this
          // copy's server never counts the session as initialized, and a GET stream held here
          // would not hear of list changes. The client's next request here says it was sent.
          local.awaitingInitialized = false;
          if (!hasMethod(body, 'notifications/initialized')) {
            await replayInitialized(
              webStandardTransportOf(local.transport),
              sessionId,
              (request as AuthenticatedRequest).auth,
            ).catch((error: unknown) =>
              context.logger.warn({ err: error }, 'Applying a session initialized failed'),
            );
          }
        }
        // A level the client set through another replica (announced to all): applied here first.
        const level = cluster.revocations.knownLogLevel(nonce);
        if (level !== undefined && level !== local.logLevel) {
          local.logLevel = level;
          await replayLogLevel(webStandardTransportOf(local.transport), sessionId, level).catch(
            (error: unknown) =>
              context.logger.warn({ err: error }, 'Applying a session log level failed'),
          );
        }
        return local;
      }
      table.forget(sessionId, nonce);
      await local.transport.close().catch(() => {});
      sessionNotFound(response);
      return undefined;
    }
    const checked = await cluster.check(sessionId, {
      owner: ownerOf(context, principal),
      view: context.view,
    });
    if ('refused' in checked) {
      context.logger.debug({ reason: checked.refused }, 'Refused a cluster session id');
      sessionNotFound(response);
      return undefined;
    }
    if (request.method === 'DELETE') return { sealed: checked.state };
    let pending = this.restoring.get(sessionId);
    if (!pending) {
      pending = this.restore(sessionId, checked.state, request, principal).finally(() =>
        this.restoring.delete(sessionId),
      );
      this.restoring.set(sessionId, pending);
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
  private async restore(
    sessionId: string,
    state: SessionTokenState,
    request: IncomingMessage,
    principal: unknown,
  ): Promise<SessionEntry | RestoreRefusal> {
    const { table, cluster } = this;
    const { context } = table;
    const { logger } = context;
    const reservation = context.sessions.reserve(context.quotaKeyOf(principal, request));
    if (typeof reservation === 'string') return 'limit';
    let started: StartedSession | undefined;
    let storeFailed = false;
    try {
      started = await table.start(sessionId, principal, request, reservation, state);
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
      const restored = table.get(sessionId);
      if (restored) restored.logLevel = logLevel;
      return restored ?? 'failed';
    } catch (error) {
      logger.warn({ err: error }, 'Restoring a cluster session failed');
      table.forget(sessionId, state.nonce);
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
  async recordChange(
    session: Pick<SessionEntry, 'sealed'>,
    sessionId: string,
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
  ): Promise<boolean> {
    const { table, cluster } = this;
    const { logger, eventStores } = table.context;
    const sealed = session.sealed;
    if (!sealed) return false;
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
      table.entries.delete(sessionId);
      await eventStores?.dropSession(sealed.nonce).catch(() => {});
      response.writeHead(200).end();
      return true;
    }
    if (request.method === 'POST') {
      await this.subscriptions.noteRequest(sessionId, sealed, body);
      await this.cancellations.noteRequest(sealed, body); // the request may run on another replica
    }
    const level = request.method === 'POST' ? setLevelOf(body) : undefined;
    if (level !== undefined) {
      const local = table.get(sessionId);
      if (local) local.logLevel = level; // the SDK applies the client's own request next
      await cluster.revocations
        .setLogLevel(sealed.nonce, level, sealed.expiresAt)
        .catch((error: unknown) =>
          logger.warn({ err: error }, 'Recording a session log level in the store failed'),
        );
    }
    return false;
  }
}

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
