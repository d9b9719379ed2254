/**
 * Resource subscriptions: which sessions and 2026-07-28 listen streams follow which exposed
 * URIs, one upstream subscription per (upstream, URI) however many follow it (reference
 * counted, released with the last), re-established when an upstream reconnects, and
 * `notifications/resources/updated` delivered to the sessions that follow the URI.
 */
import type { Logger } from '@fedmcp/protocol';
import type { ServerEventBus } from '@modelcontextprotocol/server';
import type { Catalog } from '../catalog.js';
import { exposeUri } from '../namespacing.js';
import type { Upstream } from '../upstream.js';
import type { HubSession, SessionRegistry } from './session-registry.js';
import type { UpstreamSet } from './upstream-set.js';

/** A listen stream a 2026-07-28 client opened (the host reports it through `bus.observeListen`). */
export interface ObservedListen {
  filter: { resourceSubscriptions?: string[] } | undefined;
  signal: AbortSignal;
}

/** The subscription router; see the file comment. */
export class SubscriptionRouter {
  /** Exposed URI → sessions subscribed to it. */
  readonly #subscribers = new Map<string, Set<HubSession>>();
  /** Session → exposed URIs it subscribed to. */
  readonly #bySession = new Map<HubSession, Set<string>>();
  /** `<upstream id>\0<upstream uri>` → number of exposed subscriptions behind it. */
  readonly #upstreamCounts = new Map<string, number>();

  constructor(
    private readonly upstreams: UpstreamSet,
    private readonly catalog: () => Catalog,
    private readonly sessions: SessionRegistry,
    private readonly bus: ServerEventBus,
    private readonly logger: Logger,
  ) {}

  async subscribe(session: HubSession, exposedUri: string): Promise<void> {
    let uris = this.#bySession.get(session);
    if (uris?.has(exposedUri)) return;
    await this.#retain(exposedUri);
    if (!uris) {
      uris = new Set();
      this.#bySession.set(session, uris);
    }
    uris.add(exposedUri);
    let set = this.#subscribers.get(exposedUri);
    if (!set) {
      set = new Set();
      this.#subscribers.set(exposedUri, set);
    }
    set.add(session);
  }

  async unsubscribe(session: HubSession, exposedUri: string): Promise<void> {
    const uris = this.#bySession.get(session);
    if (!uris?.delete(exposedUri)) return;
    if (uris.size === 0) this.#bySession.delete(session);
    const set = this.#subscribers.get(exposedUri);
    set?.delete(session);
    if (set?.size === 0) this.#subscribers.delete(exposedUri);
    await this.#release(exposedUri);
  }

  /** Drops every subscription of a closed session. */
  async dropSession(session: HubSession): Promise<void> {
    const uris = [...(this.#bySession.get(session) ?? [])];
    await Promise.allSettled(uris.map((uri) => this.unsubscribe(session, uri)));
  }

  /**
   * A 2026-07-28 client opened a `subscriptions/listen` stream: its resource subscriptions count
   * as subscribers upstream until `signal` aborts (the stream closed). Unknown URIs are skipped.
   */
  async observeListen(listen: ObservedListen): Promise<void> {
    const uris = [...new Set(listen.filter?.resourceSubscriptions ?? [])];
    if (uris.length === 0 || listen.signal.aborted) return;
    const retained: string[] = [];
    await Promise.all(
      uris.map(async (uri) => {
        try {
          await this.#retain(uri);
          retained.push(uri);
        } catch (error) {
          this.logger.debug({ uri, error }, 'listen stream subscription not routed upstream');
        }
      }),
    );
    const release = () => {
      for (const uri of retained) {
        this.#release(uri).catch((error: unknown) =>
          this.logger.debug({ uri, error }, 'unsubscribe after a listen stream failed'),
        );
      }
    };
    if (listen.signal.aborted) release();
    else listen.signal.addEventListener('abort', release, { once: true });
  }

  /** An upstream's `notifications/resources/updated`: to every follower of the exposed URI. */
  deliverUpdated(upstream: Upstream, params: Record<string, unknown>): void {
    const uri = exposeUri(upstream.prefix, String(params.uri));
    const mapped = { ...params, uri };
    this.bus.publish({ kind: 'resource_updated', uri, params: mapped });
    for (const session of this.#subscribers.get(uri) ?? []) {
      session.server.sendResourceUpdated(mapped).catch(() => {});
    }
    // The SDK's entry delivers it only to listen streams subscribed to the URI.
    for (const session of this.sessions.pinned()) {
      session.server.sendResourceUpdated(mapped).catch(() => {});
    }
  }

  /** Re-establishes an upstream's subscriptions on its fresh connection. */
  resubscribe(upstream: Upstream): void {
    for (const key of this.#upstreamCounts.keys()) {
      const [id, uri] = key.split('\0') as [string, string];
      if (id !== upstream.id) continue;
      subscribeUpstream(upstream, uri).catch((error: unknown) =>
        this.logger.warn({ upstream: id, uri, error }, 'resubscribe failed'),
      );
    }
  }

  /** Counts one more subscriber of an exposed URI; subscribes upstream on the first. */
  async #retain(exposedUri: string): Promise<void> {
    const { upstream, uri } = this.catalog().routeUri(exposedUri, this.upstreams.list());
    const key = `${upstream.id}\0${uri}`;
    const count = this.#upstreamCounts.get(key) ?? 0;
    this.#upstreamCounts.set(key, count + 1);
    if (count > 0) return;
    try {
      await subscribeUpstream(upstream, uri);
    } catch (error) {
      const now = (this.#upstreamCounts.get(key) ?? 1) - 1;
      if (now > 0) this.#upstreamCounts.set(key, now);
      else this.#upstreamCounts.delete(key);
      throw error;
    }
  }

  /** Counts one subscriber of an exposed URI less; unsubscribes upstream on the last. */
  async #release(exposedUri: string): Promise<void> {
    let route: { upstream: Upstream; uri: string };
    try {
      route = this.catalog().routeUri(exposedUri, this.upstreams.list());
    } catch {
      return;
    }
    const key = `${route.upstream.id}\0${route.uri}`;
    const count = (this.#upstreamCounts.get(key) ?? 1) - 1;
    if (count > 0) {
      this.#upstreamCounts.set(key, count);
      return;
    }
    this.#upstreamCounts.delete(key);
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
}

async function subscribeUpstream(upstream: Upstream, uri: string): Promise<void> {
  if (upstream.era === 'modern') {
    // 2026-07-28: updates ride the upstream's subscriptions/listen stream.
    await upstream.setListenedUri(uri, true);
    return;
  }
  if (!upstream.serverCapabilities.resources?.subscribe) return;
  await upstream.primary().client?.subscribeResource({ uri }, { timeout: upstream.timeoutMs });
}
