/**
 * The 2025-era sessions of a Streamable HTTP endpoint (`streamable-http-route.ts`): their table,
 * and their lifecycle. A session is opened by an `initialize` POST ({@link StreamableSessionTable.open}),
 * or restored on this replica from a cluster session id (`streamable-cluster-session.ts`); both
 * start a sessionful `NodeStreamableHTTPServerTransport` connected to the host's server
 * ({@link StreamableSessionTable.start}), registered once the SDK says it is initialized, and
 * forgotten when the transport closes, the host's registry closes it (idle, shutdown) or the
 * cluster revokes it.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { initializeParamsOf } from '../cluster-sessions.js';
import { JsonRpcErrorCode } from '../json-rpc-error.js';
import type { McpServerInstance } from '../mcp-session-context.js';
import type { SessionTokenState } from '../session-token.js';
import type { RequestStreamTags } from './cluster-request-streams.js';
import type { FastReplies } from './fast-response-stream.js';
import { type HostContext, ownerOf } from './host-context.js';
import { refuseSession, sendJsonRpcError, toHeaders } from './host-http-responses.js';
import type { SessionReservation } from './host-session-registry.js';
import { writeStreamsAtOnce } from './sdk-seams.js';

/** A 2025-era session of the endpoint. */
export interface SessionEntry {
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

/** A session's transport and server, connected; registered once initialized. */
export interface StartedSession {
  transport: NodeStreamableHTTPServerTransport;
  product: McpServerInstance;
  initialized(): boolean;
}

/** The sessions of one endpoint, by id (and cluster sessions by nonce too). */
export class StreamableSessionTable {
  /** The sessions served on this replica, by session id. */
  readonly entries = new Map<string, SessionEntry>();
  /** Cluster sessions: the local copies by nonce (a deletion on any replica closes ours). */
  readonly byNonce = new Map<string, string>();

  /**
   * @param context what the host's routes share.
   * @param requestStreams the request stream tags of a cluster host (`cluster-request-streams.ts`).
   */
  constructor(
    readonly context: HostContext,
    readonly requestStreams: RequestStreamTags | undefined,
  ) {}

  /** The session `sessionId` served here, if any. */
  get(sessionId: string): SessionEntry | undefined {
    return this.entries.get(sessionId);
  }

  /** The local copy of the cluster session `nonce`, if this replica holds one. */
  localCopy(nonce: string): { sessionId: string; copy: SessionEntry } | undefined {
    const sessionId = this.byNonce.get(nonce);
    const copy = sessionId === undefined ? undefined : this.entries.get(sessionId);
    return sessionId === undefined || !copy ? undefined : { sessionId, copy };
  }

  /** Forgets a session here and in the host's registry (does not close it). */
  forget(sessionId: string, nonce: string | undefined): void {
    this.entries.delete(sessionId);
    if (nonce !== undefined) this.byNonce.delete(nonce);
    this.context.sessions.remove(sessionId);
  }

  /** Forgets every session (the host closes them through its registry). */
  clear(): void {
    this.entries.clear();
  }

  /** Opens a session for an `initialize` POST and answers it. */
  async open(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ): Promise<void> {
    const { context } = this;
    const { cluster } = context;
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
      started = await this.start(sessionId, principal, request, reservation, sealed);
      await started.transport.handleRequest(request, response, body);
    } finally {
      reservation.release();
      if (started && !started.initialized()) await started.product.close().catch(() => {});
    }
  }

  /** Creates a session's transport and server, and connects them (shared by open and restore). */
  async start(
    sessionId: string,
    principal: unknown,
    request: IncomingMessage,
    reservation: SessionReservation,
    sealed: SessionTokenState | undefined,
  ): Promise<StartedSession> {
    const { context, requestStreams } = this;
    const { cluster, eventStores, logger } = context;
    let product: McpServerInstance | undefined;
    let initialized = false;
    const sessionEvents = eventStores?.forSession(sealed?.nonce ?? sessionId);
    // A cluster session's notifications reach the replica holding its GET stream.
    const eventStore =
      sessionEvents && cluster && sealed && requestStreams
        ? requestStreams.wrap(cluster.notifications.wrapEventStore(sealed.nonce, sessionEvents))
        : sessionEvents;
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => sessionId,
      ...(eventStore ? { eventStore } : {}),
      keepAliveMs: context.keepAliveMs,
      maxRequestBodySize: context.maxBodyBytes,
      onsessioninitialized: () => {
        initialized = true;
        this.entries.set(sessionId, {
          transport,
          owner: ownerOf(context, principal),
          fastInFlight: new Map(),
          ...(sealed ? { sealed } : {}),
        });
        if (sealed) this.byNonce.set(sealed.nonce, sessionId);
        reservation.commit({
          id: sessionId,
          kind: 'streamable-http',
          close: async () => {
            this.entries.delete(sessionId);
            if (sealed) this.byNonce.delete(sealed.nonce);
            await product?.close();
          },
        });
      },
      onsessionclosed: () => {
        this.forget(sessionId, sealed?.nonce);
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
}

/** Answers a request for a session this endpoint does not serve (or not to this principal). */
export function sessionNotFound(response: ServerResponse): void {
  // MCP 2025-11-25 basic/transports: unknown or terminated session → 404; the client re-initializes.
  sendJsonRpcError(
    response,
    404,
    JsonRpcErrorCode.sessionNotFound,
    'Session not found: it expired or was closed; start a new session with initialize',
  );
}
