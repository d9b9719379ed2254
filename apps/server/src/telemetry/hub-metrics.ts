/**
 * The hub's Prometheus metrics (README "Metrics"), in a registry of their own (not prom-client's
 * global one: two servers in one process keep their own counts). They are fed by the hooks the
 * libraries already expose — the access hook (`observeAccess`), the audit trail
 * (`observeAuditEvent`), upstream state changes (`observeUpstreams`), sessions
 * (`sessionOpened`) and the store (`instrumentStore`) — so the libraries carry no metrics code.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { type HistogramSeries, SeriesHistogram } from './series-histogram.js';

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
  readonly requestDuration: SeriesHistogram<'upstream' | 'method' | 'tool'>;
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
  readonly storeDuration: SeriesHistogram<'operation'>;
  /**
   * The per-call series of `requests`, `requestsInFlight` and `requestDuration`, counted in plain
   * numbers (a few Map lookups per call instead of four label hashes in prom-client) and handed
   * to those metrics when they are scraped.
   */
  readonly calls: CallSeries;
}

/** The hot per-call series (see {@link HubMetrics.calls}). */
export interface CallSeries {
  /** A request of `method` to `upstream` was let through the gate. */
  started(upstream: string, method: string): void;
  /** It ended after `seconds` (`tool` is '' unless the tool label is on). */
  ended(upstream: string, method: string, tool: string, seconds: number): void;
}

interface CallRecord {
  labels: { upstream: string; method: string; tool: string };
  requests: number;
  duration: HistogramSeries;
}

interface FlightRecord {
  labels: { upstream: string; method: string };
  value: number;
}

/** `map.get(a).get(b)`, made with `make` when missing. */
function nested<V>(map: Map<string, Map<string, V>>, a: string, b: string, make: () => V): V {
  let inner = map.get(a);
  if (!inner) {
    inner = new Map();
    map.set(a, inner);
  }
  let value = inner.get(b);
  if (value === undefined) {
    value = make();
    inner.set(b, value);
  }
  return value;
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
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name, help, labelNames, registers });
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) => new SeriesHistogram<L>({ name, help, labelNames, buckets, registers });
  // The per-call series, by upstream, method (and tool): see HubMetrics.calls.
  const flights = new Map<string, Map<string, FlightRecord>>();
  const calls = new Map<string, Map<string, Map<string, CallRecord>>>();
  const requests = new Counter<'upstream' | 'method' | 'tool'>({
    name: 'fedmcp_requests_total',
    help: 'Requests forwarded to upstreams that ended (the tool label only for upstreams in telemetry.metrics.toolLabels).',
    labelNames: ['upstream', 'method', 'tool'],
    registers,
    collect() {
      requests.reset();
      for (const byMethod of calls.values()) {
        for (const byTool of byMethod.values()) {
          for (const record of byTool.values()) requests.inc(record.labels, record.requests);
        }
      }
    },
  });
  // Registered in this order (the order of the exposition): requests, errors, duration, in flight.
  const requestErrors = counter(
    'fedmcp_request_errors_total',
    'Forwarded requests that failed, by error code (TOOL_ERROR: the tool answered isError).',
    ['upstream', 'method', 'tool', 'code'],
  );
  const requestDuration = histogram(
    'fedmcp_request_duration_seconds',
    'Time from the gate letting a request through to its answer.',
    ['upstream', 'method', 'tool'],
    LATENCY_BUCKETS,
  );
  const requestsInFlight = new Gauge<'upstream' | 'method'>({
    name: 'fedmcp_requests_in_flight',
    help: 'Requests let through the gate that have not ended.',
    labelNames: ['upstream', 'method'],
    registers,
    collect() {
      for (const byMethod of flights.values()) {
        for (const record of byMethod.values()) requestsInFlight.set(record.labels, record.value);
      }
    },
  });
  const flight = (upstream: string, method: string) =>
    nested(flights, upstream, method, () => ({ labels: { upstream, method }, value: 0 }));
  const callSeries: CallSeries = {
    started(upstream, method) {
      flight(upstream, method).value += 1;
    },
    ended(upstream, method, tool, seconds) {
      flight(upstream, method).value -= 1;
      const byTool = nested(calls, upstream, method, () => new Map<string, CallRecord>());
      let record = byTool.get(tool);
      if (!record) {
        const labels = { upstream, method, tool };
        record = { labels, requests: 0, duration: requestDuration.series(labels) };
        byTool.set(tool, record);
      }
      record.requests += 1;
      record.duration.observe(seconds);
    },
  };
  return {
    registry,
    upstreamState,
    circuitOpen,
    requests,
    requestErrors,
    requestDuration,
    requestsInFlight,
    calls: callSeries,
    refusals: counter(
      'fedmcp_requests_refused_total',
      'Requests refused before they were forwarded (policy, rate limit, consent), by error code.',
      ['upstream', 'method', 'code'],
    ),
    policyDenials: counter('fedmcp_policy_denials_total', 'Requests the policy denied.', [
      'upstream',
      'method',
    ]),
    rateLimitRefusals: counter(
      'fedmcp_rate_limit_refusals_total',
      'Requests refused by a rate limit.',
      ['upstream', 'method'],
    ),
    consent: counter(
      'fedmcp_consent_total',
      'Consent questions asked, and answers granted or denied.',
      ['outcome'],
    ),
    sessionsOpened: counter(
      'fedmcp_sessions_opened_total',
      'Downstream sessions opened (2026-07-28: one per request), by transport and protocol era.',
      ['transport', 'era'],
    ),
    sessionsActive: gauge(
      'fedmcp_sessions_active',
      'Open 2025-era downstream sessions, by transport.',
      ['transport'],
    ),
    upstreamRestarts: counter(
      'fedmcp_upstream_restarts_total',
      'Times an upstream came back (ready again after being down or reconnecting).',
      ['upstream'],
    ),
    peerHops: counter(
      'fedmcp_peer_hops_total',
      'Requests that arrived from a peer hub (in) or were forwarded to one (out).',
      ['direction', 'peer'],
    ),
    peerTokenFailures: counter(
      'fedmcp_peer_token_failures_total',
      'Peer tokens refused (failure) or not verifiable (error: the peer’s keys unreachable).',
      ['outcome'],
    ),
    storeDuration: histogram(
      'fedmcp_store_operation_duration_seconds',
      'Latency of store operations, by operation (kv.get, streams.append, …).',
      ['operation'],
      STORE_BUCKETS,
    ),
  };
}
