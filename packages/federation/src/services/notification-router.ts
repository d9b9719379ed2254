/**
 * Notifications the hub sends outside a call's own stream: debounced `tools|prompts|resources list_changed` to every
 * session and listen stream (and per session after a policy reload), upstream log messages to
 * the sessions that asked for that level and may use something of the upstream, and
 * `notifications/elicitation/complete` to the session that started the URL elicitation. Owns
 * each session's `logging/setLevel` level, and applies the most verbose one upstream.
 */
import type { LoggingLevel, ServerEventBus } from '@modelcontextprotocol/server';
import type { Upstream } from '../upstream.js';
import type { UpstreamConnection } from '../upstream-connection.js';
import type { FlowRegistry } from './flow-registry.js';
import type { ListKind } from './hub-catalog.js';
import type { HubSession, SessionRegistry } from './session-registry.js';
import type { SessionViews } from './session-views.js';
import type { UpstreamSet } from './upstream-set.js';

export const LOG_LEVELS: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** Whether a message of `level` passes a `threshold` (undefined: everything passes). */
export function passesLevel(level: unknown, threshold: LoggingLevel | undefined): boolean {
  if (threshold === undefined) return true;
  return LOG_LEVELS.indexOf(level as LoggingLevel) >= LOG_LEVELS.indexOf(threshold);
}

/** The most URL elicitations waiting for completion the router remembers (the oldest go first). */
export const MAX_TRACKED_ELICITATIONS = 10_000;

/** Options of {@link NotificationRouter}. */
export interface NotificationRouterOptions {
  sessions: SessionRegistry;
  views: SessionViews;
  flows: FlowRegistry;
  upstreams: UpstreamSet;
  bus: ServerEventBus;
  debounceMs: number;
}

/** The notification router; see the file comment. */
export class NotificationRouter {
  readonly #options: NotificationRouterOptions;
  readonly #pending = new Set<ListKind>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;
  readonly #logLevels = new Map<HubSession, LoggingLevel>();
  /** `<upstream id>\0<elicitation id>` → the session that started a URL elicitation. */
  readonly #elicitations = new Map<string, HubSession>();

  constructor(options: NotificationRouterOptions) {
    this.#options = options;
  }

  /** Schedules one debounced list_changed per kind to every session and listen stream. */
  listsChanged(kinds: Iterable<ListKind>): void {
    for (const kind of kinds) this.#pending.add(kind);
    if (this.#pending.size > 0 && !this.#timer && !this.#closed) {
      this.#timer = setTimeout(() => this.#flush(), this.#options.debounceMs);
    }
  }

  /**
   * The access hook's decisions may have changed (a policy reload): every session whose view of
   * a list changed gets that list's list_changed; 2026-07-28 listen streams get all three.
   */
  accessChanged(): void {
    const { views, sessions, bus } = this.#options;
    const changes = views.refresh(sessions.reachable());
    if (!views.filtering) return;
    for (const kind of ['tools', 'prompts', 'resources'] as const) {
      bus.publish({ kind: `${kind}_list_changed` });
    }
    for (const [session, kinds] of changes) {
      for (const kind of kinds) sendListChanged(session, kind);
    }
  }

  /** The level a 2025-era session set with `logging/setLevel` (undefined: everything). */
  logLevelOf(session: HubSession): LoggingLevel | undefined {
    return this.#logLevels.get(session);
  }

  /** Records a session's `logging/setLevel` and applies the most verbose level upstream. */
  setLogLevel(session: HubSession, level: LoggingLevel): void {
    this.#logLevels.set(session, level);
    this.applyLogLevel();
  }

  /** The most verbose level any session asked for, applied to upstreams with logging. */
  applyLogLevel(only?: Upstream): void {
    const levels = [...this.#logLevels.values()];
    if (levels.length === 0) return;
    const level = levels.sort((a, b) => LOG_LEVELS.indexOf(a) - LOG_LEVELS.indexOf(b))[0]!;
    for (const upstream of only ? [only] : this.#options.upstreams.list()) {
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

  /**
   * An upstream's `notifications/message`: on a connection a call holds, to that call's client
   * alone; otherwise to every 2025-era session that asked for the level and may use something
   * of the upstream.
   */
  deliverLog(
    upstream: Upstream,
    params: Record<string, unknown>,
    connection: UpstreamConnection | undefined,
  ): void {
    const logger =
      typeof params.logger === 'string' ? `${upstream.id}/${params.logger}` : upstream.id;
    const flow = connection && this.#options.flows.onConnection(connection);
    if (flow) {
      flow.onLog?.({ ...params, logger });
      return;
    }
    const { views, sessions } = this.#options;
    for (const session of sessions.legacy()) {
      if (!passesLevel(params.level, this.#logLevels.get(session))) continue;
      // A caller hears from an upstream only when it may use something of it.
      if (views.filtering && !views.mayUse(session, upstream)) continue;
      session.server
        .notification({ method: 'notifications/message', params: { ...params, logger } })
        .catch(() => {});
    }
  }

  /**
   * Remembers which 2025-era session started a URL-mode elicitation, for its completion. A
   * 2026-07-28 session is not remembered: no completion notification can reach it (its client
   * learns the outcome by retrying), and its per-request session never closes, so an entry for
   * it would stay until the upstream completed the elicitation, which it may never do. At most
   * {@link MAX_TRACKED_ELICITATIONS} are kept (the oldest goes first): an upstream that never
   * completes the elicitations it starts cannot grow the map without bound.
   */
  trackElicitation(upstream: Upstream, params: Record<string, unknown>, session: HubSession): void {
    if (session.era !== 'legacy' || this.#options.sessions.isClosed(session)) return;
    if (params.mode !== 'url' || typeof params.elicitationId !== 'string') return;
    const key = `${upstream.id}\0${params.elicitationId}`;
    this.#elicitations.delete(key); // a repeated id moves to the newest place
    this.#elicitations.set(key, session);
    if (this.#elicitations.size > MAX_TRACKED_ELICITATIONS) {
      const oldest = this.#elicitations.keys().next().value as string;
      this.#elicitations.delete(oldest);
    }
  }

  /** How many URL elicitations wait for their completion (for diagnostics and tests). */
  get trackedElicitations(): number {
    return this.#elicitations.size;
  }

  /** MCP 2025-11-25 client/elicitation: `elicitation/complete` only to the session that started it. */
  deliverElicitationComplete(upstream: Upstream, params: Record<string, unknown>): void {
    const key = `${upstream.id}\0${String(params.elicitationId)}`;
    const session = this.#elicitations.get(key);
    this.#elicitations.delete(key);
    if (session && !this.#options.sessions.isClosed(session) && session.era === 'legacy') {
      session.server
        .notification({ method: 'notifications/elicitation/complete', params })
        .catch(() => {});
    }
  }

  /** Forgets a closed session's level and elicitations. */
  dropSession(session: HubSession): void {
    this.#logLevels.delete(session);
    for (const [key, owner] of this.#elicitations) {
      if (owner === session) this.#elicitations.delete(key);
    }
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #flush(): void {
    this.#timer = undefined;
    const kinds = [...this.#pending];
    this.#pending.clear();
    for (const kind of kinds) {
      this.#options.bus.publish({ kind: `${kind}_list_changed` });
      for (const session of this.#options.sessions.reachable()) sendListChanged(session, kind);
    }
  }
}

function sendListChanged(session: HubSession, kind: ListKind): void {
  const server = session.server;
  const send =
    kind === 'tools'
      ? server.sendToolListChanged()
      : kind === 'prompts'
        ? server.sendPromptListChanged()
        : server.sendResourceListChanged();
  send.catch(() => {});
}
