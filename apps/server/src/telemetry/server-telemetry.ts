/**
 * The telemetry of one server, from its `telemetry` config: the Prometheus metrics with the
 * hooks that feed them, `/metrics` (on the hub's port with the `admin` scope, or a separate
 * bind), and the OpenTelemetry trace export. `createFedmcpServer` wires it in a few lines.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub, HubAccess, HubSessionContext } from '@fedmcp/federation';
import type { Logger } from '@fedmcp/protocol';
import type { AuditEventInput } from '@fedmcp/proxy-auth';
import type { Store } from '@fedmcp/store';
import type { McpAuthenticate } from '@fedmcp/transports';
import type { Server } from '@modelcontextprotocol/server';
import { createHubMetrics, type HubMetrics } from './hub-metrics.js';
import { instrumentStore } from './instrument-store.js';
import { createMetricsRoute, listenMetrics, type MetricsListener } from './metrics-route.js';
import { observeAccess, observeAuditEvent, observeUpstreamChange } from './observe-access.js';
import type { TelemetryConfig } from './telemetry-config.js';
import { startTracing } from './tracing.js';

/** Options of {@link createServerTelemetry}. */
export interface ServerTelemetryOptions {
  telemetry: TelemetryConfig | undefined;
  env: Readonly<Record<string, string | undefined>>;
  /** The `service.name` of the spans unless `telemetry.traces.serviceName` names one. */
  serviceName: string;
  logger: Logger;
  /** The upstreams now (for `fedmcp_upstream_state`), read at each scrape. */
  upstreams(): ReadonlyArray<{ id: string; state: string }>;
}

/** One server's telemetry (see the file comment). */
export interface ServerTelemetry {
  /** The metrics; `undefined` with `telemetry.metrics.enabled: false`. */
  readonly metrics: HubMetrics | undefined;
  /** The access hook, observed. */
  access(access: HubAccess, isPeer: (upstream: string) => boolean): HubAccess;
  /** Notes an audit event (consent answers, peer token failures). */
  auditEvent(event: AuditEventInput): void;
  /** The store, its operations timed. */
  store(store: Store): Store;
  /** A downstream session's server, counted while open. */
  session(server: Server, context: HubSessionContext): Server;
  /** Follows the hub's upstream state changes; returns the unsubscribe function. */
  follow(hub: Hub): () => void;
  /** The `/metrics` route of the hub's port (`undefined` with a separate bind or metrics off). */
  route(
    authenticate: McpAuthenticate,
  ): ((request: IncomingMessage, response: ServerResponse) => Promise<boolean>) | undefined;
  /** Starts the separate `/metrics` bind, if configured. */
  listen(): Promise<MetricsListener | undefined>;
  /** Flushes and detaches the trace export. */
  close(): Promise<void>;
}

/** Builds a server's telemetry (see the file comment). */
export function createServerTelemetry(options: ServerTelemetryOptions): ServerTelemetry {
  const config = options.telemetry?.metrics;
  const metrics =
    config?.enabled === false ? undefined : createHubMetrics({ upstreams: options.upstreams });
  const toolLabels = new Set(config?.toolLabels ?? []);
  const stopTracing = startTracing({
    telemetry: options.telemetry,
    env: options.env,
    defaultServiceName: options.serviceName,
    logger: options.logger,
  });
  return {
    metrics,
    access: (access, isPeer) =>
      metrics
        ? observeAccess(access, metrics, { toolLabel: (id) => toolLabels.has(id), isPeer })
        : access,
    auditEvent(event) {
      if (metrics) observeAuditEvent(metrics, event);
    },
    store: (store) => (metrics ? instrumentStore(store, metrics) : store),
    session(server, context) {
      if (!metrics) return server;
      const transport = context.transport ?? 'unknown';
      const era = context.era ?? 'legacy';
      metrics.sessionsOpened.inc({ transport, era });
      if (era === 'modern') return server;
      metrics.sessionsActive.inc({ transport });
      const previous = server.onclose;
      server.onclose = () => {
        metrics.sessionsActive.dec({ transport });
        previous?.();
      };
      return server;
    },
    follow(hub) {
      if (!metrics) return () => {};
      const wasReady = new Set<string>();
      for (const upstream of hub.upstreams.list()) {
        if (upstream.state === 'ready' || upstream.state === 'degraded') wasReady.add(upstream.id);
      }
      return hub.onUpstreamStateChange((change) =>
        observeUpstreamChange(metrics, change, wasReady),
      );
    },
    route: (authenticate) =>
      metrics && config?.port === undefined
        ? createMetricsRoute({ registry: metrics.registry, authenticate })
        : undefined,
    async listen() {
      if (!metrics || config?.port === undefined) return undefined;
      const listener = await listenMetrics({
        registry: metrics.registry,
        host: config.host ?? '127.0.0.1',
        port: config.port,
      });
      options.logger.info({ url: listener.url }, 'Prometheus metrics served (no authentication)');
      return listener;
    },
    close: async () => stopTracing?.(),
  };
}
