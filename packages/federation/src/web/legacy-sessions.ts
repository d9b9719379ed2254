/**
 * 2025-era (`initialize`) sessions of the web-standard hub: one SDK
 * `WebStandardStreamableHTTPServerTransport` per session, kept in memory in this isolate.
 *
 * Without `cluster`, a session lives as long as the isolate that opened it: a runtime that routes
 * the next request to another isolate answers 404 and the client re-initializes (MCP 2025-11-25
 * transports). With `cluster` (`createClusterSessions` from `@fedmcp/transports`), the session id
 * is the session's state sealed under the cluster secret: an isolate that does not hold the
 * session restores it from the id (replaying the client's `initialize` and last
 * `logging/setLevel`), and `DELETE` and expiry hold in every isolate (the revocation list in the
 * shared store, kept locally) — the same client-carried sessions as the Node host.
 */

import {
  type ClusterSessions,
  hasMethod,
  initializeParamsOf,
  JsonRpcErrorCode,
  replayInitialized,
  replayLogLevel,
  restoreSession,
  type SessionEventStores,
  type SessionTokenState,
  setLevelOf,
} from '@fedmcp/transports';
import type { Server } from '@modelcontextprotocol/server';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/server';
import { jsonRpcErrorResponse } from './responses.js';

/** Builds the server of a new session (opened on `view`, `/mcp/<view>`, when given). */
export type CreateSessionServer = (context: {
  sessionId: string;
  principal: unknown;
  view?: string;
}) => Server | Promise<Server>;

/** Options of {@link createLegacySessions}. */
export interface LegacySessionsOptions {
  createServer: CreateSessionServer;
  /** The owner of a principal's sessions: a session answers only its owner. */
  owner: (principal: unknown) => string | undefined;
  /** At most this many sessions at once; a new one over the limit gets 503. */
  maxSessions: number;
  /** A session unused this long is closed when a new one opens. */
  idleMs: number;
  /** Client-carried sessions any isolate or replica can serve (see the file comment). */
  cluster?: ClusterSessions | undefined;
  /** Event stores of the sessions (resumable streams); none by default. */
  eventStores?: SessionEventStores | undefined;
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  server: Server;
  owner: string | undefined;
  /** The view the session was opened on (`/mcp/<view>`); undefined for `/mcp` itself. */
  view: string | undefined;
  lastUsed: number;
  /** The sealed state of a cluster session. */
  sealed?: SessionTokenState;
  /** The log level this copy has applied (a cluster session's level is set anywhere). */
  logLevel?: string | undefined;
  /**
   * Opened here, the client's `notifications/initialized` not seen here (it may have gone to
   * another isolate or replica): replayed before the session's next request here.
   */
  awaitingInitialized?: boolean;
}

/** The in-memory sessions of one isolate. */
export interface LegacySessions {
  /**
   * Serves a request of a session (`Mcp-Session-Id`), or opens one with `initialize`, on `view`
   * (`/mcp/<view>`; undefined for `/mcp`): a session answers only on the path it was opened on.
   */
  serve(request: Request, body: unknown, principal: unknown, view?: string): Promise<Response>;
  /** How many sessions are open. */
  readonly size: number;
  /** Closes every session. */
  close(): Promise<void>;
}

function notFound(): Response {
  return jsonRpcErrorResponse(
    404,
    JsonRpcErrorCode.sessionNotFound,
    'Session not found: it expired, was closed, lives in another isolate or was opened on another path; start a new session with initialize',
  );
}

/** Creates the session table of one isolate. */
export function createLegacySessions(options: LegacySessionsOptions): LegacySessions {
  const { cluster, eventStores } = options;
  const sessions = new Map<string, Session>();
  const byNonce = new Map<string, string>();
  const restoring = new Map<string, Promise<Session | undefined>>();

  const drop = (sessionId: string) => {
    const session = sessions.get(sessionId);
    if (!session) return;
    sessions.delete(sessionId);
    if (session.sealed) byNonce.delete(session.sealed.nonce);
    void session.transport.close().catch(() => {});
  };
  // A deletion through another isolate or replica closes this isolate's copy.
  cluster?.revocations.onRevoked((nonce) => {
    const sessionId = byNonce.get(nonce);
    if (sessionId !== undefined) drop(sessionId);
  });

  // Sessions whose client went away without DELETE: closed lazily, when a new one opens.
  function closeIdle(): void {
    const now = Date.now();
    for (const [id, session] of sessions) {
      if (now - session.lastUsed < options.idleMs) continue;
      drop(id);
    }
  }

  /** A transport and server for a session, connected; registered once initialized. */
  async function start(
    sessionId: string,
    principal: unknown,
    view: string | undefined,
    sealed: SessionTokenState | undefined,
  ): Promise<{ transport: WebStandardStreamableHTTPServerTransport; server: Server }> {
    const eventStore = eventStores?.forSession(sealed?.nonce ?? sessionId);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      ...(eventStore ? { eventStore } : {}),
      onsessioninitialized: () => {
        sessions.set(sessionId, {
          transport,
          server,
          owner: options.owner(principal),
          view,
          lastUsed: Date.now(),
          ...(sealed ? { sealed } : {}),
        });
        if (sealed) byNonce.set(sealed.nonce, sessionId);
      },
      onsessionclosed: () => {
        sessions.delete(sessionId);
      },
    });
    transport.onclose = () => {
      if (sessions.get(sessionId)?.transport === transport) sessions.delete(sessionId);
    };
    const server = await options.createServer({
      sessionId,
      principal,
      ...(view === undefined ? {} : { view }),
    });
    await server.connect(transport);
    return { transport, server };
  }

  async function open(
    request: Request,
    body: unknown,
    principal: unknown,
    view: string | undefined,
  ): Promise<Response> {
    if (!hasMethod(body, 'initialize')) {
      return jsonRpcErrorResponse(
        400,
        JsonRpcErrorCode.transportError,
        'Bad Request: Mcp-Session-Id header is required (send initialize first)',
      );
    }
    closeIdle();
    if (sessions.size >= options.maxSessions) {
      return jsonRpcErrorResponse(
        503,
        JsonRpcErrorCode.transportError,
        'Too many open sessions: retry later',
      );
    }
    let sessionId: string = crypto.randomUUID();
    let sealed: SessionTokenState | undefined;
    const initialize = cluster ? initializeParamsOf(body) : undefined;
    if (cluster && initialize) {
      const owner = options.owner(principal);
      ({ sessionId, state: sealed } = await cluster.tokens.seal({
        ...(owner === undefined ? {} : { owner }),
        ...(view === undefined ? {} : { view }),
        initialize,
      }));
    }
    const { transport, server } = await start(sessionId, principal, view, sealed);
    const response = await transport.handleRequest(request, { parsedBody: body });
    const opened = sessions.get(sessionId);
    if (!opened)
      await server.close(); // initialize failed: nothing to keep
    else if (sealed) opened.awaitingInitialized = true;
    return response;
  }

  /** Restores a cluster session in this isolate from its sealed state. */
  async function restore(
    sessionId: string,
    state: SessionTokenState,
    principal: unknown,
  ): Promise<Session | undefined> {
    if (!cluster) return undefined;
    closeIdle();
    if (sessions.size >= options.maxSessions) return undefined;
    const { transport, server } = await start(sessionId, principal, state.view, state);
    try {
      const logLevel = await cluster.revocations.logLevel(state.nonce).catch(() => undefined);
      await restoreSession(transport, sessionId, state, { logLevel });
      const restored = sessions.get(sessionId);
      if (restored) restored.logLevel = logLevel;
      return restored;
    } catch {
      drop(sessionId);
      await server.close().catch(() => {});
      return undefined;
    }
  }

  /**
   * A cluster session: this isolate's copy after the cluster checks, or one restored from the
   * id. `DELETE` and `logging/setLevel` are recorded cluster-wide. Returns the response when the
   * request was answered here.
   */
  async function serveCluster(
    clusterSessions: ClusterSessions,
    sessionId: string,
    request: Request,
    body: unknown,
    principal: unknown,
    view: string | undefined,
  ): Promise<Session | Response> {
    let session = sessions.get(sessionId);
    let sealed = session?.sealed;
    if (session && sealed) {
      if (clusterSessions.revocations.isRevoked(sealed.nonce) || Date.now() >= sealed.expiresAt) {
        drop(sessionId);
        return notFound();
      }
      if (session.owner !== options.owner(principal) || session.view !== view) return notFound();
    } else {
      // The sealed state names the view it was opened on: another path is refused (`view`).
      const checked = await clusterSessions.check(sessionId, {
        owner: options.owner(principal),
        view,
      });
      if ('refused' in checked) return notFound();
      sealed = checked.state;
      session = undefined;
    }
    if (request.method === 'DELETE') {
      try {
        await clusterSessions.revocations.revoke(sealed.nonce, sealed.expiresAt);
      } catch {
        return jsonRpcErrorResponse(
          503,
          JsonRpcErrorCode.transportError,
          'Service Unavailable: the deletion could not be recorded in the shared store; retry the DELETE',
          { 'retry-after': '1' },
        );
      }
      drop(sessionId);
      await eventStores?.dropSession(sealed.nonce).catch(() => {});
      return new Response(null, { status: 200 });
    }
    if (!session) {
      let pending = restoring.get(sessionId);
      if (!pending) {
        pending = restore(sessionId, sealed, principal).finally(() => restoring.delete(sessionId));
        restoring.set(sessionId, pending);
      }
      session = await pending;
      if (!session) {
        return jsonRpcErrorResponse(
          503,
          JsonRpcErrorCode.transportError,
          'Service Unavailable: this isolate could not restore the session (at its session limit, or the server refused it); retry, or start a new session with initialize',
          { 'retry-after': '1' },
        );
      }
    }
    if (session.awaitingInitialized) {
      // Its `notifications/initialized` went elsewhere: without it this copy's server never
      // counts the session as initialized (no list_changed on a GET stream held here).
      session.awaitingInitialized = false;
      if (!hasMethod(body, 'notifications/initialized')) {
        await replayInitialized(session.transport, sessionId).catch(() => {});
      }
    }
    const known = clusterSessions.revocations.knownLogLevel(sealed.nonce);
    if (known !== undefined && known !== session.logLevel) {
      session.logLevel = known;
      await replayLogLevel(session.transport, sessionId, known).catch(() => {});
    }
    const level = request.method === 'POST' ? setLevelOf(body) : undefined;
    if (level !== undefined) {
      session.logLevel = level;
      await clusterSessions.revocations
        .setLogLevel(sealed.nonce, level, sealed.expiresAt)
        .catch(() => {});
    }
    return session;
  }

  return {
    async serve(request, body, principal, view) {
      const sessionId = request.headers.get('mcp-session-id');
      if (sessionId === null) return open(request, body, principal, view);
      let session: Session | undefined;
      if (cluster) {
        const served = await serveCluster(cluster, sessionId, request, body, principal, view);
        if (served instanceof Response) return served;
        session = served;
      } else {
        session = sessions.get(sessionId);
      }
      // A session of another principal, or opened on another view, is answered as if it did not
      // exist (no hijacking by id, no way out of a view).
      if (!session || session.owner !== options.owner(principal) || session.view !== view) {
        return notFound();
      }
      session.lastUsed = Date.now();
      return session.transport.handleRequest(
        request,
        body === undefined ? {} : { parsedBody: body },
      );
    },
    get size() {
      return sessions.size;
    },
    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      byNonce.clear();
      await Promise.allSettled(open.map((session) => session.transport.close()));
    },
  };
}
