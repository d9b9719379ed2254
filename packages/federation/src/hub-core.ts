/**
 * The state a hub shares across all its downstream sessions: the upstream registry, the merged
 * catalog, live 2025-era sessions, interactive flows, resource subscriptions and the routing
 * of upstream notifications back to the right clients. `createHub` wraps it in the public API;
 * `hub-session.ts` builds the per-session `Server` on top of it.
 */
import type { Client } from '@modelcontextprotocol/client';
import type {
  ClientCapabilities,
  Implementation,
  LoggingLevel,
  Server,
  ServerContext,
  ServerEventBus,
} from '@modelcontextprotocol/server';
import {
  createRequestStateCodec,
  InMemoryServerEventBus,
  ProtocolError,
  type RequestStateCodec,
} from '@modelcontextprotocol/server';
import { Catalog, type UpstreamLists } from './catalog.js';
import type { CatalogGuard, CatalogReview } from './catalog-guard.js';
import type { Flow, InteractiveMethod } from './flow.js';
import { supportsElicitationMode } from './flow.js';
import type { AccessAsk, AccessRequest, HubAccess, HubListAction } from './hub-access.js';
import { HubError } from './hub-error.js';
import type { Logger } from './logger.js';
import { exposeUri } from './namespacing.js';
import type {
  Upstream,
  UpstreamConnection,
  UpstreamHost,
  UpstreamState,
  UpstreamTimings,
} from './upstream.js';
import type { UpstreamConnectOptions, UpstreamConnector } from './upstream-options.js';

/** One downstream session (2025 era: one per connection; 2026-07-28: one per request). */
export interface HubSession {
  readonly server: Server;
  readonly era: 'legacy' | 'modern';
  readonly sessionId: string | undefined;
  /** Exposed resource URIs this session subscribed to. */
  readonly subscriptions: Set<string>;
  /** The level set with `logging/setLevel`; undefined = everything. */
  logLevel: LoggingLevel | undefined;
  /**
   * A 2026-07-28 session pinned to one connection (stdio, WebSocket): the SDK's entry routes
   * this server's change notifications onto the connection's listen streams.
   */
  pinned: boolean;
  closed: boolean;
  /** The authenticated caller (`HubSessionContext.principal`). */
  principal: unknown;
  /** What this session was last shown of each list, when an access hook filters lists. */
  views: Map<HubListAction, SessionView>;
}

/** A list as one session sees it through the access hook. */
export interface SessionView {
  catalogVersion: number;
  accessVersion: number;
  items: unknown[];
  signature: string;
}

/** A consent (or other) question waiting for the client's answer. */
export interface PendingAsk {
  ask: AccessAsk;
  request: AccessRequest;
  timer: ReturnType<typeof setTimeout>;
}

/** An upstream state change, as reported to `onUpstreamStateChange` listeners. */
export interface UpstreamStateChange {
  id: string;
  state: UpstreamState;
  previous: UpstreamState;
  error?: string;
}

/** How long a call waits for the catalog guard's review of its upstream's lists. */
const REVIEW_WAIT_MS = 10_000;
/** When a failed catalog guard review is tried again. */
const REVIEW_RETRY_MS = 5_000;

export const LOG_LEVELS: LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** The settings the core needs, resolved from `HubOptions`. */
export interface HubCoreSettings {
  serverInfo: Implementation;
  clientInfo: Implementation;
  instructions: string | undefined;
  timings: UpstreamTimings;
  roundTimeoutMs: number;
  pageSize: number;
  listChangedDebounceMs: number;
  failureMode: 'open' | 'closed';
  connector: UpstreamConnector;
  logger: Logger;
  bus: ServerEventBus | undefined;
  requestStateKey: string | Uint8Array | undefined;
  access: HubAccess | undefined;
  guard: CatalogGuard | undefined;
  /** This hub's id in hop trails and origin paths; undefined = no federation `_meta`. */
  hubId: () => string | undefined;
  maxHops: number;
}

/** The capabilities the hub declares upstream: everything it can forward. */
export const UPSTREAM_CLIENT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: true },
};

function randomKey(): Uint8Array {
  const key = new Uint8Array(32);
  crypto.getRandomValues(key);
  return key;
}

/** Shared hub state; see the file comment. */
export class HubCore implements UpstreamHost {
  readonly upstreams = new Map<string, Upstream>();
  readonly catalog = new Catalog();
  readonly sessions = new Set<HubSession>();
  /** Live 2026-07-28 sessions pinned to a connection (see `HubSession.pinned`). */
  readonly pinnedSessions = new Set<HubSession>();
  readonly flows = new Map<string, Flow>();
  /** Questions of the access hook (consent) waiting for the client's answer, by id. */
  readonly asks = new Map<string, PendingAsk>();
  /** Bumped when the access hook's decisions may have changed (policy reload). */
  accessVersion = 0;
  /** Catalog guard verdicts per upstream, for the raw lists they were made on. */
  private readonly reviews = new Map<
    string,
    { tools: unknown; prompts: unknown; review: CatalogReview }
  >();
  private readonly reviewing = new Map<string, Promise<void>>();
  /** Bumped by every catalog guard change; a review from an older generation is not kept. */
  private guardGeneration = 0;
  private stopGuard: (() => void) | undefined;
  readonly bus: ServerEventBus;
  readonly codec: RequestStateCodec<string>;
  readonly logger: Logger;
  readonly timings: UpstreamTimings;
  readonly connector: UpstreamConnector;
  readonly stateListeners = new Set<(change: UpstreamStateChange) => void>();
  /** Era verdicts of upstream first connects (see `UpstreamConnectOptions.verdictCache`). */
  private readonly verdicts = new Map<string, unknown>();
  /** Exposed URI → sessions subscribed to it. */
  private readonly subscribers = new Map<string, Set<HubSession>>();
  /** `<upstream id>\0<upstream uri>` → number of exposed subscriptions behind it. */
  private readonly upstreamSubscriptions = new Map<string, number>();
  /**
   * Exposed task id → the session that created it (MCP 2025-11-25 tasks are bound to their
   * requestor: only it can list, get, await or cancel them).
   */
  readonly taskOwners = new Map<string, HubSession>();
  /** `<upstream id>\0<elicitation id>` → the session that initiated a URL elicitation. */
  private readonly elicitations = new Map<string, HubSession>();
  private readonly pendingListChanged = new Set<'tools' | 'prompts' | 'resources'>();
  private listChangedTimer: ReturnType<typeof setTimeout> | undefined;
  closed = false;

  constructor(readonly settings: HubCoreSettings) {
    this.logger = settings.logger;
    this.timings = settings.timings;
    this.connector = settings.connector;
    const bus = settings.bus ?? new InMemoryServerEventBus();
    // Hosts that see a listen stream open tell the hub through the bus (see `observeListen`).
    this.bus = {
      publish: (event) => bus.publish(event),
      subscribe: (listener) => bus.subscribe(listener),
      observeListen: (listen: Parameters<HubCore['observeListen']>[0]) =>
        this.observeListen(listen),
    } as ServerEventBus;
    this.stopGuard = settings.guard?.onChange?.(() => {
      // Reviews in flight were decided before the change: their verdicts are dropped (see below).
      this.guardGeneration += 1;
      this.reviews.clear();
      this.rebuildCatalog();
    });
    this.codec = createRequestStateCodec<string>({
      key: settings.requestStateKey ?? randomKey(),
      ttlSeconds: Math.ceil(settings.roundTimeoutMs / 1000),
      bind: (ctx) => ctx.mcpReq.method,
    });
  }

  connectOptions(configure: (client: Client) => void): UpstreamConnectOptions {
    return {
      clientInfo: this.settings.clientInfo,
      capabilities: UPSTREAM_CLIENT_CAPABILITIES,
      configure,
      timeoutMs: this.timings.connectTimeoutMs,
      logger: this.logger,
      verdictCache: this.verdicts,
    };
  }

  /** Upstreams in registration order. */
  list(): Upstream[] {
    return [...this.upstreams.values()];
  }

  /** In `failureMode: 'closed'`, refuses requests while a closed-mode upstream is down. */
  assertOpen(): void {
    for (const upstream of this.upstreams.values()) {
      const mode = upstream.options.failureMode ?? this.settings.failureMode;
      if (mode === 'closed' && !upstream.available) throw upstream.unavailable();
    }
  }

  /** The capabilities of the client behind a request, in either era. */
  clientCapabilities(ctx: ServerContext, session: HubSession): ClientCapabilities {
    return (
      ((ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[
        'io.modelcontextprotocol/clientCapabilities'
      ] as ClientCapabilities | undefined) ??
      session.server.getClientCapabilities() ??
      {}
    );
  }

  // ── catalog and list_changed ────────────────────────────────────────────────

  rebuildCatalog(): void {
    const changed = this.catalog.rebuild(this.list(), {
      ...(this.settings.guard ? { lists: (upstream) => this.guardedLists(upstream) } : {}),
      ...(this.settings.hubId() ? { selfId: this.settings.hubId() } : {}),
    });
    for (const collision of this.catalog.collisions) {
      this.logger.warn(collision, 'name collision between upstreams; the first one keeps it');
    }
    for (const kind of changed) this.pendingListChanged.add(kind);
    if (this.pendingListChanged.size > 0 && !this.listChangedTimer && !this.closed) {
      this.listChangedTimer = setTimeout(
        () => this.flushListChanged(),
        this.settings.listChangedDebounceMs,
      );
    }
  }

  /**
   * An upstream's lists as the catalog guard let them through. Fresh lists are reviewed in the
   * background; until then the last reviewed lists stay exposed (nothing at all before the first
   * review), and calls wait for the review (see {@link HubCore.settleReviews}), so nothing
   * unreviewed is ever exposed or called and a refresh does not blink the upstream's tools away.
   */
  private guardedLists(upstream: Upstream): UpstreamLists {
    const reviewed = this.reviews.get(upstream.id);
    if (reviewed && reviewed.tools === upstream.tools && reviewed.prompts === upstream.prompts) {
      return reviewed.review;
    }
    const previous: UpstreamLists = reviewed?.review ?? { tools: [], prompts: [], quarantined: [] };
    if (!this.reviewing.has(upstream.id)) {
      const tools = upstream.tools;
      const prompts = upstream.prompts;
      const generation = this.guardGeneration;
      const review = this.settings
        .guard!.review(upstream.id, { tools, prompts })
        .then(
          (result) => {
            if (generation === this.guardGeneration) {
              this.reviews.set(upstream.id, { tools, prompts, review: result });
            }
          },
          (error: unknown) => {
            // A guard that cannot decide holds everything back (fail closed), says why, and
            // tries again a little later.
            this.logger.error({ upstream: upstream.id, error }, 'catalog guard review failed');
            this.reviews.set(upstream.id, {
              tools,
              prompts,
              review: { tools: [], prompts: [], quarantined: [] },
            });
            const retry = setTimeout(() => {
              if (this.reviews.get(upstream.id)?.tools !== tools || this.closed) return;
              this.reviews.delete(upstream.id);
              this.rebuildCatalog();
            }, REVIEW_RETRY_MS);
            (retry as { unref?: () => void }).unref?.();
          },
        )
        .finally(() => {
          this.reviewing.delete(upstream.id);
          if (!this.closed) this.rebuildCatalog();
        });
      this.reviewing.set(upstream.id, review);
    }
    return previous;
  }

  /** Resolves once every catalog guard review in flight has been applied. */
  async reviewsSettled(): Promise<void> {
    while (this.reviewing.size > 0) await Promise.all(this.reviewing.values());
  }

  /**
   * Waits for the catalog guard review of one upstream's lists, if one is in flight, so a call
   * is decided on the verdict of the lists it is routed by.
   * @throws HubError UPSTREAM_UNAVAILABLE when the review takes longer than 10 s; the abort
   * reason of `signal` when the caller gives up.
   */
  async settleReview(upstreamId: string, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + REVIEW_WAIT_MS;
    for (
      let pending = this.reviewing.get(upstreamId);
      pending;
      pending = this.reviewing.get(upstreamId)
    ) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new HubError(
          'UPSTREAM_UNAVAILABLE',
          `The tool list of upstream "${upstreamId}" is still being reviewed; retry shortly.`,
          { upstream: upstreamId },
        );
      }
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(timer);
          reject(signal?.reason);
        };
        const timer = setTimeout(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, left);
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        void pending!.finally(() => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** Whether any catalog guard review is in flight. */
  get reviewsInFlight(): boolean {
    return this.reviewing.size > 0;
  }

  /** Whether a catalog guard review of this upstream's lists is in flight. */
  reviewPending(upstreamId: string): boolean {
    return this.reviewing.has(upstreamId);
  }

  /**
   * The access hook's decisions may have changed (a policy reload): every session whose view of a
   * list changed gets that list's list_changed; 2026-07-28 listen streams get all three.
   */
  refreshAccess(): void {
    this.accessVersion += 1;
    if (!this.settings.access?.visible) return;
    for (const kind of ['tools', 'prompts', 'resources'] as const) {
      this.bus.publish({ kind: `${kind}_list_changed` as 'tools_list_changed' });
    }
    for (const session of [...this.sessions, ...this.pinnedSessions]) {
      const changed = new Set<'tools' | 'prompts' | 'resources'>();
      for (const [action, previous] of session.views) {
        const current = this.view(session, action);
        if (current.signature !== previous.signature) {
          changed.add(
            action === 'tools/list' ? 'tools' : action === 'prompts/list' ? 'prompts' : 'resources',
          );
        }
      }
      for (const kind of changed) this.sendListChanged(session, kind);
    }
  }

  /** A list as a session may see it (cached per catalog and access version). */
  view(session: HubSession, action: HubListAction): SessionView {
    const cached = session.views.get(action);
    if (
      cached &&
      cached.catalogVersion === this.catalog.version &&
      cached.accessVersion === this.accessVersion
    ) {
      return cached;
    }
    const { section, key } = this.listSection(action);
    const visible = this.settings.access?.visible;
    const items: unknown[] = [];
    const names: string[] = [];
    for (const item of section.list as Array<Record<string, unknown>>) {
      const exposed = item[key] as string;
      const route = section.byName.get(exposed);
      if (!route) continue;
      const annotations = (route.item as { annotations?: Record<string, unknown> }).annotations;
      if (
        visible &&
        !visible.call(this.settings.access, session.principal, action, exposed, {
          upstream: route.upstream.id,
          ...(annotations ? { annotations } : {}),
        })
      ) {
        continue;
      }
      items.push(item);
      names.push(exposed);
    }
    const view: SessionView = {
      catalogVersion: this.catalog.version,
      accessVersion: this.accessVersion,
      items,
      signature: names.join('\n'),
    };
    session.views.set(action, view);
    return view;
  }

  /** A list's catalog section, and the key its items are exposed under. */
  private listSection(action: HubListAction): {
    section: { list: unknown[]; byName: Map<string, { upstream: Upstream; item: unknown }> };
    key: 'name' | 'uri' | 'uriTemplate';
  } {
    switch (action) {
      case 'tools/list':
        return { section: this.catalog.tools, key: 'name' };
      case 'prompts/list':
        return { section: this.catalog.prompts, key: 'name' };
      case 'resources/list':
        return { section: this.catalog.resources, key: 'uri' };
      default:
        return { section: this.catalog.templates, key: 'uriTemplate' };
    }
  }

  /** Whether a session's filtered lists hold anything of `upstream`. */
  private mayUse(session: HubSession, upstream: Upstream): boolean {
    for (const action of ['tools/list', 'prompts/list', 'resources/list'] as const) {
      const { section, key } = this.listSection(action);
      for (const item of this.view(session, action).items as Array<Record<string, unknown>>) {
        if (section.byName.get(item[key] as string)?.upstream === upstream) return true;
      }
    }
    return false;
  }

  private sendListChanged(session: HubSession, kind: 'tools' | 'prompts' | 'resources'): void {
    const server = session.server;
    const send =
      kind === 'tools'
        ? server.sendToolListChanged()
        : kind === 'prompts'
          ? server.sendPromptListChanged()
          : server.sendResourceListChanged();
    send.catch(() => {});
  }

  /** Emits one debounced list_changed per kind to every session and listen stream. */
  private flushListChanged(): void {
    this.listChangedTimer = undefined;
    const kinds = [...this.pendingListChanged];
    this.pendingListChanged.clear();
    for (const kind of kinds) {
      this.bus.publish({ kind: `${kind}_list_changed` as 'tools_list_changed' });
      for (const session of [...this.sessions, ...this.pinnedSessions]) {
        this.sendListChanged(session, kind);
      }
    }
  }

  onCatalogChange(_upstream: Upstream): void {
    this.rebuildCatalog();
  }

  onStateChange(upstream: Upstream, previous: UpstreamState): void {
    const change: UpstreamStateChange = { id: upstream.id, state: upstream.state, previous };
    if (upstream.lastError && !upstream.available) change.error = upstream.lastError;
    this.logger.info(change, 'upstream state');
    for (const listener of this.stateListeners) {
      try {
        listener(change);
      } catch (error) {
        this.logger.error({ error }, 'onUpstreamStateChange listener threw');
      }
    }
    const wasAvailable = previous === 'ready' || previous === 'degraded';
    if (wasAvailable !== upstream.available) this.rebuildCatalog();
  }

  onReconnect(upstream: Upstream): void {
    // Re-establish upstream subscriptions and the log level on the fresh connection.
    for (const key of this.upstreamSubscriptions.keys()) {
      const [id, uri] = key.split('\0') as [string, string];
      if (id !== upstream.id) continue;
      this.subscribeUpstream(upstream, uri).catch((error: unknown) =>
        this.logger.warn({ upstream: id, uri, error }, 'resubscribe failed'),
      );
    }
    this.applyLogLevel(upstream);
  }

  // ── upstream → downstream notifications ─────────────────────────────────────

  onNotification(
    upstream: Upstream,
    method: string,
    params: Record<string, unknown>,
    connection?: UpstreamConnection,
  ): void {
    if (method === 'notifications/resources/updated' && typeof params.uri === 'string') {
      const uri = exposeUri(upstream.prefix, params.uri);
      const mapped = { ...params, uri };
      this.bus.publish({ kind: 'resource_updated', uri, params: mapped });
      for (const session of this.subscribers.get(uri) ?? []) {
        session.server.sendResourceUpdated(mapped as { uri: string }).catch(() => {});
      }
      // The SDK's entry delivers it only to listen streams subscribed to the URI.
      for (const session of this.pinnedSessions) {
        session.server.sendResourceUpdated(mapped as { uri: string }).catch(() => {});
      }
      return;
    }
    if (method === 'notifications/message') {
      const level = params.level as LoggingLevel;
      const logger =
        typeof params.logger === 'string' ? `${upstream.id}/${params.logger}` : upstream.id;
      // On a leased connection the message belongs to the call holding it: only its client.
      const flow = connection?.flow;
      if (flow && !flow.done) {
        flow.onLog?.({ ...params, logger });
        return;
      }
      for (const session of this.sessions) {
        if (session.logLevel && LOG_LEVELS.indexOf(level) < LOG_LEVELS.indexOf(session.logLevel))
          continue;
        // A caller hears from an upstream only when it may use something of it.
        if (this.settings.access?.visible && !this.mayUse(session, upstream)) continue;
        session.server
          .notification({ method: 'notifications/message', params: { ...params, logger } })
          .catch(() => {});
      }
      return;
    }
    if (
      method === 'notifications/elicitation/complete' &&
      typeof params.elicitationId === 'string'
    ) {
      // MCP 2025-11-25 client/elicitation: only to the client that initiated the elicitation.
      const key = `${upstream.id}\0${params.elicitationId}`;
      const session = this.elicitations.get(key);
      this.elicitations.delete(key);
      if (session && !session.closed && session.era === 'legacy') {
        session.server.notification({ method, params }).catch(() => {});
      }
    }
  }

  /** Remembers which session initiated a URL-mode elicitation. */
  trackElicitation(upstream: Upstream, params: Record<string, unknown>, session: HubSession): void {
    if (params.mode === 'url' && typeof params.elicitationId === 'string') {
      this.elicitations.set(`${upstream.id}\0${params.elicitationId}`, session);
    }
  }

  /**
   * A server→client request arriving outside any interactive call. On a connection owned by a
   * 2025-era session (per-session isolation) it goes to that session; otherwise `roots/list` is
   * answered locally with no roots and sampling/elicitation are refused — never routed into an
   * unrelated client's call.
   */
  async onUnsolicitedRequest(
    connection: UpstreamConnection,
    method: InteractiveMethod,
    params: Record<string, unknown>,
  ): Promise<unknown> {
    const session = connection.owner as HubSession | undefined;
    if (session && !session.closed && session.era === 'legacy') {
      const capabilities = session.server.getClientCapabilities() ?? {};
      if (method === 'roots/list') {
        return capabilities.roots ? session.server.listRoots(params as never) : { roots: [] };
      }
      if (method === 'sampling/createMessage' && capabilities.sampling) {
        return session.server.createMessage(params as never);
      }
      if (
        method === 'elicitation/create' &&
        supportsElicitationMode(capabilities, params.mode === 'url' ? 'url' : 'form')
      ) {
        this.trackElicitation(connection.upstream, params, session);
        return session.server.elicitInput(params as never);
      }
    }
    if (method === 'roots/list') return { roots: [] };
    throw new ProtocolError(
      -32600,
      `fedmcp refuses ${method} outside a tool call: no client to ask (only requests made while serving a client's call reach that client).`,
    );
  }

  // ── resource subscriptions ──────────────────────────────────────────────────

  async subscribe(session: HubSession, exposedUri: string): Promise<void> {
    if (session.subscriptions.has(exposedUri)) return;
    await this.retainSubscription(exposedUri);
    session.subscriptions.add(exposedUri);
    let set = this.subscribers.get(exposedUri);
    if (!set) {
      set = new Set();
      this.subscribers.set(exposedUri, set);
    }
    set.add(session);
  }

  async unsubscribe(session: HubSession, exposedUri: string): Promise<void> {
    if (!session.subscriptions.delete(exposedUri)) return;
    this.subscribers.get(exposedUri)?.delete(session);
    if (this.subscribers.get(exposedUri)?.size === 0) this.subscribers.delete(exposedUri);
    await this.releaseSubscription(exposedUri);
  }

  /**
   * A 2026-07-28 client opened a `subscriptions/listen` stream (the host calls this through
   * `bus.observeListen` before acknowledging it): its resource subscriptions count as
   * subscribers upstream until `signal` aborts (the stream closed). Unknown URIs are skipped.
   */
  async observeListen(listen: {
    filter: { resourceSubscriptions?: string[] } | undefined;
    signal: AbortSignal;
  }): Promise<void> {
    const uris = [...new Set(listen.filter?.resourceSubscriptions ?? [])];
    if (uris.length === 0 || listen.signal.aborted) return;
    const retained: string[] = [];
    await Promise.all(
      uris.map(async (uri) => {
        try {
          await this.retainSubscription(uri);
          retained.push(uri);
        } catch (error) {
          this.logger.debug({ uri, error }, 'listen stream subscription not routed upstream');
        }
      }),
    );
    const release = () => {
      for (const uri of retained) {
        this.releaseSubscription(uri).catch((error: unknown) =>
          this.logger.debug({ uri, error }, 'unsubscribe after a listen stream failed'),
        );
      }
    };
    if (listen.signal.aborted) release();
    else listen.signal.addEventListener('abort', release, { once: true });
  }

  /** Counts one more subscriber of an exposed URI; subscribes upstream on the first. */
  private async retainSubscription(exposedUri: string): Promise<void> {
    const { upstream, uri } = this.catalog.routeUri(exposedUri, this.list());
    const key = `${upstream.id}\0${uri}`;
    const count = this.upstreamSubscriptions.get(key) ?? 0;
    this.upstreamSubscriptions.set(key, count + 1);
    if (count > 0) return;
    try {
      await this.subscribeUpstream(upstream, uri);
    } catch (error) {
      const now = (this.upstreamSubscriptions.get(key) ?? 1) - 1;
      if (now > 0) this.upstreamSubscriptions.set(key, now);
      else this.upstreamSubscriptions.delete(key);
      throw error;
    }
  }

  /** Counts one subscriber of an exposed URI less; unsubscribes upstream on the last. */
  private async releaseSubscription(exposedUri: string): Promise<void> {
    let route: { upstream: Upstream; uri: string };
    try {
      route = this.catalog.routeUri(exposedUri, this.list());
    } catch {
      return;
    }
    const key = `${route.upstream.id}\0${route.uri}`;
    const count = (this.upstreamSubscriptions.get(key) ?? 1) - 1;
    if (count > 0) {
      this.upstreamSubscriptions.set(key, count);
      return;
    }
    this.upstreamSubscriptions.delete(key);
    if (route.upstream.era === 'modern') {
      await route.upstream.setListenedUri(route.uri, false);
      return;
    }
    if (route.upstream.available) {
      await route.upstream
        .primary()
        .client?.unsubscribeResource({ uri: route.uri }, { timeout: route.upstream.timeoutMs })
        .catch(() => {});
    }
  }

  private async subscribeUpstream(upstream: Upstream, uri: string): Promise<void> {
    if (upstream.era === 'modern') {
      // 2026-07-28: updates ride the upstream's subscriptions/listen stream.
      await upstream.setListenedUri(uri, true);
      return;
    }
    if (!upstream.serverCapabilities.resources?.subscribe) return;
    await upstream.primary().client?.subscribeResource({ uri }, { timeout: upstream.timeoutMs });
  }

  // ── logging ─────────────────────────────────────────────────────────────────

  /** The most verbose level any session asked for, applied to every upstream with logging. */
  applyLogLevel(only?: Upstream): void {
    const levels = [...this.sessions].map((session) => session.logLevel).filter((level) => level);
    if (levels.length === 0) return;
    const level = levels.sort(
      (a, b) => LOG_LEVELS.indexOf(a as LoggingLevel) - LOG_LEVELS.indexOf(b as LoggingLevel),
    )[0] as LoggingLevel;
    for (const upstream of only ? [only] : this.list()) {
      if (
        !upstream.available ||
        !upstream.serverCapabilities.logging ||
        upstream.era === 'modern'
      ) {
        continue;
      }
      upstream
        .primary()
        .client?.setLoggingLevel(level, { timeout: upstream.timeoutMs })
        .catch(() => {});
    }
  }

  // ── sessions ────────────────────────────────────────────────────────────────

  addSession(session: HubSession): void {
    if (session.era === 'legacy') this.sessions.add(session);
    else if (session.pinned) this.pinnedSessions.add(session);
  }

  async removeSession(session: HubSession): Promise<void> {
    if (session.closed) return;
    session.closed = true;
    this.sessions.delete(session);
    this.pinnedSessions.delete(session);
    for (const [taskId, owner] of this.taskOwners) {
      if (owner === session) this.taskOwners.delete(taskId);
    }
    for (const flow of this.flows.values()) {
      if ((flow as Flow & { session?: HubSession }).session === session) {
        flow.cancel(new HubError('CANCELED', 'The client session closed.'));
      }
    }
    await Promise.allSettled([
      ...[...session.subscriptions].map((uri) => this.unsubscribe(session, uri)),
      ...this.list()
        .filter((upstream) => upstream.options.isolation === 'per-session')
        .map((upstream) => upstream.releaseOwner(session)),
    ]);
  }

  /** Tells upstreams bound to a session that its roots changed. */
  forwardRootsListChanged(session: HubSession): void {
    for (const upstream of this.list()) {
      for (const connection of upstream.connections) {
        const flowSession = (connection.flow as (Flow & { session?: HubSession }) | undefined)
          ?.session;
        if (connection.owner === session || flowSession === session) {
          connection.client?.sendRootsListChanged().catch(() => {});
        }
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopGuard?.();
    for (const pending of this.asks.values()) clearTimeout(pending.timer);
    this.asks.clear();
    if (this.listChangedTimer) clearTimeout(this.listChangedTimer);
    for (const flow of this.flows.values())
      flow.cancel(new HubError('CANCELED', 'The hub is shutting down.'));
    await Promise.allSettled(this.list().map((upstream) => upstream.close()));
  }
}
