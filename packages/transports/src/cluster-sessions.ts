/**
 * 2025-era sessions that any replica can serve: the session id is the session's sealed state
 * (`session-token.ts`), deletions are a cluster-wide list kept locally (`session-revocations.ts`),
 * and a replica that does not hold a session rebuilds it from its id by replaying the client's
 * `initialize` (and its last `logging/setLevel`) into a fresh SDK transport and server
 * ({@link restoreSession}), so the server sees exactly what the original replica saw.
 * Used by the Node host (`createMcpHttpHost({ cluster })`) and the web-standard hub alike.
 */
import type { Logger } from '@fedmcp/protocol';
import { silentLogger } from '@fedmcp/protocol';
import type {
  AuthInfo,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import { type ClusterAnswers, createClusterAnswers } from './cluster-answers.js';
import {
  type Cancellation,
  type ClusterCancellations,
  createClusterCancellations,
} from './cluster-cancellations.js';
import { type ClusterNotifications, createClusterNotifications } from './cluster-notifications.js';
import { type ClusterSubscriptions, createClusterSubscriptions } from './cluster-subscriptions.js';
import {
  createSessionRevocations,
  type SessionRevocations,
  type SessionStateStore,
} from './session-revocations.js';
import {
  createSessionTokens,
  type SessionTokenState,
  type SessionTokens,
} from './session-token.js';

/** Options for {@link createClusterSessions}. */
export interface ClusterSessionsOptions {
  /** The shared cluster secret (≥ 32 characters), the same on every replica. */
  secret: string;
  /** Secrets used before (rotation): their ids still open. @default [] */
  previousSecrets?: readonly string[];
  /** Lifetime of a session from its `initialize`. @default 86400000 (24 h) */
  sessionTtlMs?: number;
  /** The store every replica shares (a `@fedmcp/store` `Store`). */
  store: SessionStateStore;
  /** Prefix of the store keys and channel. @default 'fedmcp:session:' */
  prefix?: string;
  /** This replica's id in the ids of server→client requests. @default a random id */
  replicaId?: string;
  /**
   * How long a replica forwarding a client's answer to the replica whose request it answers
   * waits for its acknowledgement before telling the client the request is gone. @default 5000
   */
  answerForwardTimeoutMs?: number;
  logger?: Logger;
}

/** Why a presented session id is refused. */
export type SessionRefusalReason = 'invalid' | 'revoked' | 'owner' | 'view';

/** The cluster-wide 2025-era sessions of a replica; see the file comment. */
export interface ClusterSessions {
  readonly tokens: SessionTokens;
  readonly revocations: SessionRevocations;
  /** Answers to server→client requests that reach another replica (`cluster-answers.ts`). */
  readonly answers: ClusterAnswers;
  /** Notifications outside calls, to the replica holding the GET stream (`cluster-notifications.ts`). */
  readonly notifications: ClusterNotifications;
  /** Unsubscribes announced to every replica holding a copy (`cluster-subscriptions.ts`). */
  readonly subscriptions: ClusterSubscriptions;
  /** Cancellations announced to every replica holding a copy (`cluster-cancellations.ts`). */
  readonly cancellations: ClusterCancellations;
  /** Loads the revocation list and subscribes to deletions; idempotent. */
  start(): Promise<void>;
  /**
   * Checks a presented session id: its state, or why it is refused (`invalid`: not sealed by
   * this cluster, altered or expired; `revoked`: deleted; `owner`: another principal's; `view`:
   * opened on another view). A local check (decryption), no store round trip.
   */
  check(
    sessionId: string,
    binding: { owner: string | undefined; view: string | undefined },
  ): Promise<{ state: SessionTokenState } | { refused: SessionRefusalReason }>;
  /** Unsubscribes from deletions. */
  close(): Promise<void>;
}

/**
 * Creates the cluster sessions of a replica.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when a secret is shorter than 32 characters.
 * @example
 * ```ts
 * const cluster = createClusterSessions({ secret, store }); // store: createStore('redis://…')
 * const host = createMcpHttpHost({ createServer, cluster });
 * ```
 */
export function createClusterSessions(options: ClusterSessionsOptions): ClusterSessions {
  const tokens = createSessionTokens({
    secret: options.secret,
    ...(options.previousSecrets ? { previousSecrets: options.previousSecrets } : {}),
    ...(options.sessionTtlMs === undefined ? {} : { ttlMs: options.sessionTtlMs }),
  });
  const revocations = createSessionRevocations({
    store: options.store,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    logger: options.logger ?? silentLogger,
  });
  const answers = createClusterAnswers({
    store: options.store,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    ...(options.replicaId ? { replicaId: options.replicaId } : {}),
    ...(options.answerForwardTimeoutMs === undefined
      ? {}
      : { forwardTimeoutMs: options.answerForwardTimeoutMs }),
    logger: options.logger ?? silentLogger,
  });
  const notifications = createClusterNotifications({
    store: options.store,
    replicaId: answers.replicaId,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    logger: options.logger ?? silentLogger,
  });
  const subscriptions = createClusterSubscriptions({
    store: options.store,
    replicaId: answers.replicaId,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    logger: options.logger ?? silentLogger,
  });
  const cancellations = createClusterCancellations({
    store: options.store,
    replicaId: answers.replicaId,
    ...(options.prefix ? { prefix: options.prefix } : {}),
    logger: options.logger ?? silentLogger,
  });
  let started: Promise<void> | undefined;
  return {
    tokens,
    revocations,
    answers,
    notifications,
    subscriptions,
    cancellations,
    start() {
      started ??= Promise.all([
        revocations.start(),
        answers.start(),
        subscriptions.start(),
        cancellations.start(),
      ]).then(() => {});
      return started;
    },
    async check(sessionId, binding) {
      const state = await tokens.open(sessionId);
      if (!state) return { refused: 'invalid' };
      if (revocations.isRevoked(state.nonce)) return { refused: 'revoked' };
      if (state.owner !== binding.owner) return { refused: 'owner' };
      if (state.view !== binding.view) return { refused: 'view' };
      return { state };
    },
    async close() {
      await Promise.all([
        revocations.close(),
        answers.close(),
        notifications.close(),
        subscriptions.close(),
        cancellations.close(),
      ]);
    },
  };
}

/** The `initialize` params of a message or batch, if it contains an `initialize` request. */
export function initializeParamsOf(body: unknown): SessionTokenState['initialize'] | undefined {
  const messages = Array.isArray(body) ? body : [body];
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue;
    const { method, params } = message as { method?: unknown; params?: unknown };
    if (method !== 'initialize' || typeof params !== 'object' || params === null) continue;
    const { protocolVersion, capabilities, clientInfo } = params as Record<string, unknown>;
    if (typeof protocolVersion !== 'string') return undefined;
    return {
      protocolVersion,
      capabilities:
        typeof capabilities === 'object' && capabilities !== null
          ? (capabilities as Record<string, unknown>)
          : {},
      clientInfo:
        typeof clientInfo === 'object' && clientInfo !== null
          ? (clientInfo as Record<string, unknown>)
          : {},
    };
  }
  return undefined;
}

/** The level of a `logging/setLevel` request in a message or batch, if any. */
export function setLevelOf(body: unknown): string | undefined {
  const messages = Array.isArray(body) ? body : [body];
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue;
    const { method, params } = message as { method?: unknown; params?: { level?: unknown } };
    if (method === 'logging/setLevel' && typeof params?.level === 'string') return params.level;
  }
  return undefined;
}

const RESTORE_URL = 'http://fedmcp.invalid/session-restore';

async function post(
  transport: WebStandardStreamableHTTPServerTransport,
  sessionId: string | undefined,
  message: Record<string, unknown>,
  authInfo: AuthInfo | undefined,
): Promise<string> {
  const headers = new Headers({
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
  });
  if (sessionId !== undefined) headers.set('mcp-session-id', sessionId);
  const body = { jsonrpc: '2.0', ...message };
  const response = await transport.handleRequest(
    new Request(RESTORE_URL, { method: 'POST', headers, body: JSON.stringify(body) }),
    { parsedBody: body, ...(authInfo ? { authInfo } : {}) },
  );
  const text = await response.text();
  if (response.status >= 300) {
    throw new Error(`restoring a session: ${String(message.method)} answered ${response.status}`);
  }
  return text;
}

/**
 * Rebuilds a session in a fresh SDK transport (created with `sessionIdGenerator: () =>
 * sessionId`) whose server is connected: replays the client's `initialize` and
 * `notifications/initialized`, then `logging/setLevel` when the client changed its level, the
 * way the client sent them, so the server holds the same negotiated state as on the replica
 * that opened the session. The answers go nowhere (the client had them).
 *
 * @throws when the server refuses the replayed `initialize`.
 */
export async function restoreSession(
  transport: WebStandardStreamableHTTPServerTransport,
  sessionId: string,
  state: SessionTokenState,
  options: { logLevel?: string | undefined; authInfo?: AuthInfo | undefined } = {},
): Promise<void> {
  const answer = await post(
    transport,
    undefined,
    { id: 'fedmcp-restore-initialize', method: 'initialize', params: state.initialize },
    options.authInfo,
  );
  if (!answer.includes('"result"')) {
    throw new Error('restoring a session: the server refused the replayed initialize');
  }
  await replayInitialized(transport, sessionId, options.authInfo);
  if (options.logLevel !== undefined) {
    await replayLogLevel(transport, sessionId, options.logLevel, options.authInfo);
  }
}

/**
 * Applies the client's `notifications/initialized` to the copy of a session on the replica that
 * answered its `initialize`, when the notification went to another replica (a load balancer
 * spreads one client's requests): the copy's server then counts the session as initialized, as
 * every restored copy does, and tells it of list changes. Sent once the client's next request
 * reaches this replica: a client sends no request before `notifications/initialized`
 * (MCP 2025-11-25 lifecycle).
 */
export async function replayInitialized(
  transport: WebStandardStreamableHTTPServerTransport,
  sessionId: string,
  authInfo?: AuthInfo,
): Promise<void> {
  await post(transport, sessionId, { method: 'notifications/initialized' }, authInfo);
}

/**
 * Applies a `logging/setLevel` the client sent to another replica to this replica's copy of the
 * session, as the client sent it (the answer goes nowhere).
 */
export async function replayLogLevel(
  transport: WebStandardStreamableHTTPServerTransport,
  sessionId: string,
  level: string,
  authInfo?: AuthInfo,
): Promise<void> {
  await post(
    transport,
    sessionId,
    { id: 'fedmcp-replayed-set-level', method: 'logging/setLevel', params: { level } },
    authInfo,
  );
}

/**
 * Applies a `resources/unsubscribe` the client sent to another replica to this replica's copy of
 * the session (the answer goes nowhere; unsubscribing what the copy does not follow is a no-op).
 */
export async function replayUnsubscribe(
  transport: WebStandardStreamableHTTPServerTransport,
  sessionId: string,
  uri: string,
): Promise<void> {
  await post(
    transport,
    sessionId,
    { id: 'fedmcp-replayed-unsubscribe', method: 'resources/unsubscribe', params: { uri } },
    undefined,
  );
}

/**
 * Applies a `notifications/cancelled` the client sent to another replica to this replica's copy
 * of the session, as the client sent it: a request of the copy with that id is aborted.
 */
export async function replayCancellation(
  transport: WebStandardStreamableHTTPServerTransport,
  sessionId: string,
  cancellation: Cancellation,
): Promise<void> {
  await post(
    transport,
    sessionId,
    { method: 'notifications/cancelled', params: { ...cancellation } },
    undefined,
  );
}
