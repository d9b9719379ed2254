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
import {
  dropUnusedRequestListener,
  webStandardTransportOf,
  writeStreamsAtOnce,
} from './sdk-seams.js';
import { type DirectSseStream, SharedKeepAlive } from './streamable-get-stream.js';

/**
 * A 2025-era session of the endpoint, as the table and the host's registry hold it. One object
 * per session, its methods shared: an idle session holds no closures of its own here (issue #18).
 */
export class SessionEntry {
  /** The session's server, once connected. */
  product: McpServerInstance | undefined;
  /**
   * Requests the fast path is answering, by JSON-RPC id (for `notifications/cancelled`); made by
   * the first one.
   */
  fastInFlight: Map<string | number, AbortController> | undefined;
  /** Server→client requests sent on fast streams, waiting for the client's answer. */
  fastReplies: FastReplies | undefined;
  /** The log level this copy of a cluster session has applied (set by the client anywhere). */
  logLevel: string | undefined;
  /** The session's GET stream, while open, when written directly (`streamable-get-stream.ts`). */
  stream: DirectSseStream | undefined;
  /**
   * A cluster session opened here whose client's `notifications/initialized` has not reached
   * this replica (it may have gone to another): replayed before the next request of the session
   * here (`streamable-cluster-session.ts`).
   */
  awaitingInitialized = false;

  /**
   * @param sealed the sealed state of a cluster session (`context.cluster`), opened once on this
   * replica.
   */
  constructor(
    private readonly table: StreamableSessionTable,
    readonly id: string,
    readonly transport: NodeStreamableHTTPServerTransport,
    readonly owner: string | undefined,
    readonly sealed: SessionTokenState | undefined,
  ) {}

  /** What the host's registry shows of the session (`HostSession.kind`). */
  get kind(): 'streamable-http' {
    return 'streamable-http';
  }

  /** Ends the session (the host's registry closes it: idle, shutdown). */
  async close(): Promise<void> {
    this.table.entries.delete(this.id);
    if (this.sealed) this.table.byNonce.delete(this.sealed.nonce);
    await this.product?.close();
  }
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
  ) {
    const { sessions } = context;
    const entries = this.entries;
    this.untouch = function untouch(this: ServerResponse) {
      const mark = (this as StreamResponse)[streamSessionId];
      if (typeof mark === 'string') return sessions.touch(mark, -1);
      if (mark === undefined) return;
      // A stream written directly: it leaves the SDK transport's table and its session.
      sessions.touch(mark.sessionId, -1);
      mark.forget();
      const entry = entries.get(mark.sessionId);
      if (entry?.stream === mark) entry.stream = undefined;
    };
    this.keepAlive = new SharedKeepAlive(context.keepAliveMs, () => this.openStreams());
  }

  /** The `close` listener of every GET stream's response (see {@link untouchOnClose}). */
  private readonly untouch: (this: ServerResponse) => void;
  /** The keep-alive of the GET streams written directly. */
  private readonly keepAlive: SharedKeepAlive;

  /** The GET streams written directly, open now. */
  private *openStreams(): Iterable<DirectSseStream> {
    for (const entry of this.entries.values()) if (entry.stream) yield entry.stream;
  }

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
    this.starting.delete(sessionId);
    if (nonce !== undefined) this.byNonce.delete(nonce);
    this.context.sessions.remove(sessionId);
  }

  /**
   * Counts a GET stream out of `sessionId`'s requests in flight when its response closes (one
   * listener for all streams: the session id rides on the response).
   */
  untouchOnClose(response: ServerResponse, sessionId: string): void {
    (response as StreamResponse)[streamSessionId] = sessionId;
    response.on('close', this.untouch); // a response closes once
  }

  /**
   * Keeps `session`'s GET stream written directly, whose response {@link untouchOnClose} watches
   * already: its close takes the stream out of the SDK transport's table, and it gets the
   * endpoint's keep-alive meanwhile.
   */
  adoptStream(session: SessionEntry, stream: DirectSseStream): void {
    (stream.response as StreamResponse)[streamSessionId] = stream;
    session.stream = stream;
    this.keepAlive.start();
  }

  /** Forgets every session (the host closes them through its registry). */
  clear(): void {
    this.entries.clear();
    this.keepAlive.stop();
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
      const opened = sealed ? this.get(sessionId) : undefined;
      if (opened) opened.awaitingInitialized = true;
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
    const { cluster, eventStores } = context;
    const sessionEvents = eventStores?.forSession(sealed?.nonce ?? sessionId);
    // A cluster session's notifications reach the replica holding its GET stream.
    const eventStore =
      sessionEvents && cluster && sealed && requestStreams
        ? requestStreams.wrap(cluster.notifications.wrapEventStore(sealed.nonce, sessionEvents))
        : sessionEvents;
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: constant(sessionId),
      ...(eventStore ? { eventStore } : {}),
      keepAliveMs: context.keepAliveMs,
      maxRequestBodySize: context.maxBodyBytes,
      // Shared by every session: the SDK passes the session id.
      onsessioninitialized: this.onInitialized,
      onsessionclosed: this.onClosed,
    });
    const session = new SessionEntry(
      this,
      sessionId,
      transport,
      ownerOf(context, principal),
      sealed,
    );
    writeStreamsAtOnce(transport); // H4 (issue #18): no ≥ 1 ms probe before each SSE answer
    dropUnusedRequestListener(transport); // issue #18: per-session objects nothing reads
    const product = await context.createServer({
      transport: 'streamable-http',
      era: 'legacy',
      sessionId,
      principal,
      headers: toHeaders(request),
    });
    session.product = product;
    // Registered by onInitialized, when the SDK transport has answered the client's initialize.
    this.starting.set(sessionId, { session, reservation });
    try {
      await product.connect(transport);
    } catch (error) {
      this.starting.delete(sessionId);
      throw error;
    }
    // Its server→client requests may be answered through another replica.
    if (cluster && sealed) cluster.answers.attach(transport, sealed.nonce);
    return {
      transport,
      product,
      initialized: () => {
        // Set up, but not initialized (the initialize failed): not registered.
        this.starting.delete(sessionId);
        return this.entries.get(sessionId) === session;
      },
    };
  }

  /** Sessions set up but not yet initialized, by id, with their place in the host's registry. */
  private readonly starting = new Map<
    string,
    { session: SessionEntry; reservation: SessionReservation }
  >();

  /** The SDK transport initialized a session: it is registered here and in the host's registry. */
  private readonly onInitialized = (sessionId: string): void => {
    const starting = this.starting.get(sessionId);
    if (!starting) return;
    this.starting.delete(sessionId);
    const { session, reservation } = starting;
    // The SDK asked for the id once, for this initialize (a second one is refused before it asks
    // again): the generator's closure is let go (issue #18).
    (
      webStandardTransportOf(session.transport) as unknown as { sessionIdGenerator: () => string }
    ).sessionIdGenerator = idGiven;
    this.entries.set(sessionId, session);
    if (session.sealed) this.byNonce.set(session.sealed.nonce, sessionId);
    reservation.commit(session);
  };

  /** The SDK transport closed a session (the client's DELETE). */
  private readonly onClosed = (sessionId: string): void => {
    const session = this.entries.get(sessionId) ?? this.starting.get(sessionId)?.session;
    const sealed = session?.sealed;
    this.forget(sessionId, sealed?.nonce);
    if (!session) return;
    if (!sealed) this.context.eventStores?.dropSession(sessionId).catch(() => {});
    session.product
      ?.close()
      .catch((error: unknown) =>
        this.context.logger.warn({ err: error }, 'Closing a session failed'),
      );
  };
}

/** The session a GET stream's response belongs to (see `StreamableSessionTable.untouchOnClose`). */
const streamSessionId = Symbol('fedmcp.streamSessionId');
type StreamResponse = ServerResponse & { [streamSessionId]?: string | DirectSseStream };

/** A function returning `value` (its closure holds nothing else). */
function constant<T>(value: T): () => T {
  return () => value;
}

/**
 * The session id generator of an initialized session's transport, shared by all: the SDK never
 * calls it again (it refuses a second initialize first), but reads that there is one (a sessionful
 * transport).
 */
function idGiven(): string {
  throw new Error('This session has its id already');
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
