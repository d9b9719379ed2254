/**
 * What the hub does when something happens upstream (the `UpstreamHost` every `Upstream`
 * reports to): state changes reach listeners and the catalog, list refreshes rebuild it,
 * notifications go to the notification and subscription routers, server→client requests go to
 * the call holding the connection (or the session owning it), and a reconnect re-establishes
 * subscriptions and the log level.
 */
import type { Logger } from '@fedmcp/protocol';
import { upstreamCacheKey } from '@fedmcp/transports';
import type { Client } from '@modelcontextprotocol/client';
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/server';
import type { DiscoverCache } from '../discover/discover-cache.js';
import { hubError } from '../errors.js';
import { supportsElicitationMode } from '../flow.js';
import { askAttributedCall } from '../pipeline/attributed-questions.js';
import { withoutQuestionProgressToken } from '../pipeline/meta.js';
import { pushToClient, type ServerRequestMethod } from '../sdk-seams.js';
import type { Upstream, UpstreamHost, UpstreamState, UpstreamTimings } from '../upstream.js';
import type { UpstreamConnection } from '../upstream-connection.js';
import type {
  UpstreamConnectOptions,
  UpstreamConnector,
  UpstreamSpec,
} from '../upstream-options.js';
import type { FlowRegistry } from './flow-registry.js';
import type { HubCatalog } from './hub-catalog.js';
import type { NotificationRouter } from './notification-router.js';
import { PrincipalOwner } from './principal-owners.js';
import type { HubSession, SessionRegistry } from './session-registry.js';
import type { SubscriptionRouter } from './subscription-router.js';

/** An upstream state change, as reported to `onUpstreamStateChange` listeners. */
export interface UpstreamStateChange {
  id: string;
  state: UpstreamState;
  previous: UpstreamState;
  error?: string;
}

/** The capabilities the hub declares upstream: everything it can forward. */
export const UPSTREAM_CLIENT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

/**
 * The spec's answer to a server→client request the client cannot take (MCP 2025-11-25: servers
 * MUST NOT send requests for capabilities the client did not declare), worded as the flows word
 * it (`flow.ts`).
 */
function missingCapability(method: ServerRequestMethod, params: Record<string, unknown>) {
  if (method === 'elicitation/create') {
    const mode = params.mode === 'url' ? 'url' : 'form';
    return hubError('INVALID_PARAMS', `The client does not support ${mode} mode elicitation.`);
  }
  return hubError(
    'INVALID_PARAMS',
    'The client does not support sampling (no sampling capability).',
  );
}

/** Options of {@link UpstreamEvents}. */
export interface UpstreamEventsOptions {
  logger: Logger;
  timings: UpstreamTimings;
  connector: UpstreamConnector;
  clientInfo: Implementation;
  catalog: HubCatalog;
  sessions: SessionRegistry;
  flows: FlowRegistry;
  notifications: NotificationRouter;
  subscriptions: SubscriptionRouter;
  /** Era verdicts and discover results of upstream connects (`HubOptions.discoverCache`). */
  discoverCache: DiscoverCache;
}

/** The hub's `UpstreamHost`; see the file comment. */
export class UpstreamEvents implements UpstreamHost {
  readonly logger: Logger;
  readonly timings: UpstreamTimings;
  readonly connector: UpstreamConnector;
  readonly #options: UpstreamEventsOptions;
  readonly #listeners = new Set<(change: UpstreamStateChange) => void>();
  /** Era verdicts and discover results of upstream connects (`UpstreamConnectOptions.verdictCache`). */
  readonly #verdicts: DiscoverCache;

  constructor(options: UpstreamEventsOptions) {
    this.#options = options;
    this.logger = options.logger;
    this.timings = options.timings;
    this.connector = options.connector;
    this.#verdicts = options.discoverCache;
  }

  /** Subscribes to upstream state changes; returns the unsubscribe function. */
  onUpstreamStateChange(listener: (change: UpstreamStateChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  connectOptions(configure: (client: Client) => void): UpstreamConnectOptions {
    return {
      clientInfo: this.#options.clientInfo,
      capabilities: UPSTREAM_CLIENT_CAPABILITIES,
      configure,
      timeoutMs: this.timings.connectTimeoutMs,
      logger: this.logger,
      verdictCache: this.#verdicts,
    };
  }

  onStateChange(upstream: Upstream, previous: UpstreamState): void {
    // Down (or removed): its discover results go, so the reconnect asks `server/discover` again.
    if (upstream.state === 'down' || upstream.state === 'closed') {
      this.#verdicts.invalidate(upstreamCacheKey(upstream.spec));
    }
    const change: UpstreamStateChange = { id: upstream.id, state: upstream.state, previous };
    if (upstream.lastError && !upstream.available) change.error = upstream.lastError;
    // Retries (connecting, and down again after a failed attempt) are at debug: the failed
    // attempts themselves are logged with backoff by the upstream.
    const retrying =
      upstream.state === 'connecting' || (upstream.state === 'down' && previous === 'connecting');
    this.logger[retrying ? 'debug' : 'info'](change, 'upstream state');
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.logger.error({ error }, 'onUpstreamStateChange listener threw');
      }
    }
    const wasAvailable = previous === 'ready' || previous === 'degraded';
    if (wasAvailable !== upstream.available) this.#options.catalog.rebuild();
  }

  onCatalogChange(upstream: Upstream): void {
    // It said its lists changed: what it told at discover may have changed too.
    this.#verdicts.invalidate(upstreamCacheKey(upstream.spec));
    this.#options.catalog.rebuild();
  }

  onReconnect(upstream: Upstream): void {
    this.#options.subscriptions.resubscribe(upstream);
    this.#options.notifications.applyLogLevel(upstream);
  }

  onNotification(
    upstream: Upstream,
    method: string,
    params: Record<string, unknown>,
    connection?: UpstreamConnection,
  ): void {
    if (method === 'notifications/resources/updated' && typeof params.uri === 'string') {
      this.#options.subscriptions.deliverUpdated(upstream, params);
    } else if (method === 'notifications/message') {
      this.#options.notifications.deliverLog(upstream, params, connection);
    } else if (
      method === 'notifications/elicitation/complete' &&
      typeof params.elicitationId === 'string'
    ) {
      this.#options.notifications.deliverElicitationComplete(upstream, params);
    }
  }

  async specFor(upstream: Upstream, owner: object): Promise<UpstreamSpec> {
    const credentials = upstream.options.credentials;
    if (!(owner instanceof PrincipalOwner) || !credentials) return upstream.spec;
    const own = await credentials(owner.principal, upstream.id);
    const spec = upstream.spec;
    if ('command' in spec) return { ...spec, env: { ...spec.env, ...own.env } };
    return { ...spec, headers: { ...spec.headers, ...own.headers } };
  }

  reapsIdle(owner: object): boolean {
    return owner instanceof PrincipalOwner;
  }

  onConnectionClosed(
    connection: UpstreamConnection,
    error: ReturnType<Upstream['unavailable']>,
  ): void {
    this.#options.flows.cancelOnConnection(connection, error);
  }

  /**
   * A server→client request: to the interactive call holding the connection; else, on a
   * connection owned by a 2025-era session (per-session isolation), to that session; otherwise
   * `roots/list` is answered locally with no roots and sampling/elicitation are refused — never
   * routed into an unrelated client's call. A question a client cannot take (no capability, or
   * asked while plain calls of clients that can answer none are in flight on a shared connection)
   * gets the spec's -32602 for a missing capability; "outside a tool call" is kept for questions
   * arriving while nothing is in flight. The upstream's own progress token is not relayed
   * ({@link withoutQuestionProgressToken}).
   */
  async onServerRequest(
    connection: UpstreamConnection,
    method: ServerRequestMethod,
    upstreamParams: Record<string, unknown>,
  ): Promise<unknown> {
    const params = withoutQuestionProgressToken(upstreamParams);
    const flow = this.#options.flows.onConnection(connection);
    if (flow) return flow.ask(method, params);
    // A fast-path call of an interactive client, when the question can only be its (issue #18).
    const attributed = askAttributedCall(connection, method, params);
    if (attributed) return attributed;
    const owner = connection.owner;
    // A caller's own connection asks one of that caller's 2025-era sessions (the newest).
    const session =
      owner instanceof PrincipalOwner
        ? this.#options.sessions.newestLegacyOf(owner.key)
        : (owner as HubSession | undefined);
    if (session && !this.#options.sessions.isClosed(session) && session.era === 'legacy') {
      const capabilities = session.server.getClientCapabilities() ?? {};
      if (method === 'roots/list') {
        return capabilities.roots ? pushToClient(session.server, method, params) : { roots: [] };
      }
      if (method === 'sampling/createMessage' && capabilities.sampling) {
        return pushToClient(session.server, method, params);
      }
      if (
        method === 'elicitation/create' &&
        supportsElicitationMode(capabilities, params.mode === 'url' ? 'url' : 'form')
      ) {
        this.#options.notifications.trackElicitation(connection.upstream, params, session);
        return pushToClient(session.server, method, params);
      }
      throw missingCapability(method, params);
    }
    if (method === 'roots/list') return { roots: [] };
    // Plain calls in flight on a shared connection: the request belongs to one of them, and a
    // client that could answer would hold an exclusive lease, so its client cannot.
    if (connection.plainCalls > 0) throw missingCapability(method, params);
    throw hubError(
      'INVALID_REQUEST',
      `fedmcp refuses ${method} outside a tool call: no client to ask (only requests made while serving a client's call reach that client).`,
    );
  }
}
