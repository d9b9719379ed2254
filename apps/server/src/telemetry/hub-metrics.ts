/**
 * The hub's Prometheus metrics (README "Metrics"), in a registry of their own (not prom-client's
 * global one: two servers in one process keep their own counts). They are fed by the hooks the
 * libraries already expose — the access hook (`observeAccess`), the audit trail
 * (`observeAuditEvent`), upstream state changes (`observeUpstreams`), sessions
 * (`sessionOpened`) and the store (`instrumentStore`) — so the libraries carry no metrics code.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Seconds: from a cached in-process answer (1 ms) to an upstream's timeout (60 s and beyond). */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Seconds: store operations (in-memory and sqlite in microseconds, Redis/Postgres in ms). */
const STORE_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** The upstream states reported by `fedmcp_upstream_state` (one series each, 1 for the current). */
export const UPSTREAM_STATES = ['connecting', 'ready', 'degraded', 'down', 'closed'] as const;

/** The hub's metrics and their registry. */
export interface HubMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'upstream' | 'method' | 'tool'>;
  readonly requestErrors: Counter<'upstream' | 'method' | 'tool' | 'code'>;
  readonly requestDuration: Histogram<'upstream' | 'method' | 'tool'>;
  readonly requestsInFlight: Gauge<'upstream' | 'method'>;
  readonly refusals: Counter<'upstream' | 'method' | 'code'>;
  readonly policyDenials: Counter<'upstream' | 'method'>;
  readonly rateLimitRefusals: Counter<'upstream' | 'method'>;
  readonly consent: Counter<'outcome'>;
  readonly sessionsOpened: Counter<'transport' | 'era'>;
  readonly sessionsActive: Gauge<'transport'>;
  readonly upstreamState: Gauge<'upstream' | 'state'>;
  readonly circuitOpen: Gauge<'upstream'>;
  readonly upstreamRestarts: Counter<'upstream'>;
  readonly peerHops: Counter<'direction' | 'peer'>;
  readonly peerTokenFailures: Counter<'outcome'>;
  readonly storeDuration: Histogram<'operation'>;
}

/** Options of {@link createHubMetrics}. */
export interface HubMetricsOptions {
  /** The upstreams now, with their states (read at each scrape). */
  upstreams(): ReadonlyArray<{ id: string; state: string }>;
}

/** Creates the metrics of one hub (see the file comment). */
export function createHubMetrics(options: HubMetricsOptions): HubMetrics {
  const registry = new Registry();
  const registers = [registry];
  const upstreamState = new Gauge({
    name: 'fedmcp_upstream_state',
    help: 'Whether an upstream is in a state (1) or not (0).',
    labelNames: ['upstream', 'state'] as const,
    registers,
    collect() {
      upstreamState.reset();
      circuitOpen.reset();
      for (const { id, state } of options.upstreams()) {
        for (const known of UPSTREAM_STATES) {
          upstreamState.set({ upstream: id, state: known }, known === state ? 1 : 0);
        }
        // The breaker opens by taking the upstream down until a reconnect succeeds.
        circuitOpen.set({ upstream: id }, state === 'down' ? 1 : 0);
      }
    },
  });
  const circuitOpen = new Gauge({
    name: 'fedmcp_upstream_circuit_open',
    help: 'Whether an upstream’s circuit breaker is open (1): its requests fail fast until a reconnect.',
    labelNames: ['upstream'] as const,
    registers,
  });
  return {
    registry,
    upstreamState,
    circuitOpen,
    requests: new Counter({
      name: 'fedmcp_requests_total',
      help: 'Requests forwarded to upstreams that ended (the tool label only for upstreams in telemetry.metrics.toolLabels).',
      labelNames: ['upstream', 'method', 'tool'] as const,
      registers,
    }),
    requestErrors: new Counter({
      name: 'fedmcp_request_errors_total',
      help: 'Forwarded requests that failed, by error code (TOOL_ERROR: the tool answered isError).',
      labelNames: ['upstream', 'method', 'tool', 'code'] as const,
      registers,
    }),
    requestDuration: new Histogram({
      name: 'fedmcp_request_duration_seconds',
      help: 'Time from the gate letting a request through to its answer.',
      labelNames: ['upstream', 'method', 'tool'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    requestsInFlight: new Gauge({
      name: 'fedmcp_requests_in_flight',
      help: 'Requests let through the gate that have not ended.',
      labelNames: ['upstream', 'method'] as const,
      registers,
    }),
    refusals: new Counter({
      name: 'fedmcp_requests_refused_total',
      help: 'Requests refused before they were forwarded (policy, rate limit, consent), by error code.',
      labelNames: ['upstream', 'method', 'code'] as const,
      registers,
    }),
    policyDenials: new Counter({
      name: 'fedmcp_policy_denials_total',
      help: 'Requests the policy denied.',
      labelNames: ['upstream', 'method'] as const,
      registers,
    }),
    rateLimitRefusals: new Counter({
      name: 'fedmcp_rate_limit_refusals_total',
      help: 'Requests refused by a rate limit.',
      labelNames: ['upstream', 'method'] as const,
      registers,
    }),
    consent: new Counter({
      name: 'fedmcp_consent_total',
      help: 'Consent questions asked, and answers granted or denied.',
      labelNames: ['outcome'] as const,
      registers,
    }),
    sessionsOpened: new Counter({
      name: 'fedmcp_sessions_opened_total',
      help: 'Downstream sessions opened (2026-07-28: one per request), by transport and protocol era.',
      labelNames: ['transport', 'era'] as const,
      registers,
    }),
    sessionsActive: new Gauge({
      name: 'fedmcp_sessions_active',
      help: 'Open 2025-era downstream sessions, by transport.',
      labelNames: ['transport'] as const,
      registers,
    }),
    upstreamRestarts: new Counter({
      name: 'fedmcp_upstream_restarts_total',
      help: 'Times an upstream came back (ready again after being down or reconnecting).',
      labelNames: ['upstream'] as const,
      registers,
    }),
    peerHops: new Counter({
      name: 'fedmcp_peer_hops_total',
      help: 'Requests that arrived from a peer hub (in) or were forwarded to one (out).',
      labelNames: ['direction', 'peer'] as const,
      registers,
    }),
    peerTokenFailures: new Counter({
      name: 'fedmcp_peer_token_failures_total',
      help: 'Peer tokens refused (failure) or not verifiable (error: the peer’s keys unreachable).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    storeDuration: new Histogram({
      name: 'fedmcp_store_operation_duration_seconds',
      help: 'Latency of store operations, by operation (kv.get, streams.append, …).',
      labelNames: ['operation'] as const,
      buckets: STORE_BUCKETS,
      registers,
    }),
  };
}
