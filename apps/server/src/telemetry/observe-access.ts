/**
 * Feeds the hub's metrics from the hooks the libraries expose: the access hook (every request the
 * gate decides, and how each forwarded one ended), the audit trail (consent answers, peer token
 * failures) and upstream state changes (restarts).
 */
import type { AccessRequest, AccessVerdict, HubAccess } from '@fedmcp/federation';
import type { AuditEventInput } from '@fedmcp/proxy-auth';
import type { HubMetrics } from './hub-metrics.js';

/** What the access observer needs to know beyond the metrics. */
export interface ObserveAccessOptions {
  /** Whether an upstream's call metrics carry the tool label. */
  toolLabel(upstream: string): boolean;
  /** Whether an upstream is a peer hub (its requests count as outgoing hops). */
  isPeer(upstream: string): boolean;
}

const ALLOW: AccessVerdict = Object.freeze({ kind: 'allow' });

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'INTERNAL';
}

/**
 * The access hook `access`, observed: its decisions and outcomes are counted in `metrics`, and
 * passed on unchanged.
 */
export function observeAccess(
  access: HubAccess,
  metrics: HubMetrics,
  options: ObserveAccessOptions,
): HubAccess {
  const toolOf = (request: AccessRequest) =>
    request.action === 'tools/call' && options.toolLabel(request.upstream)
      ? request.upstreamTarget
      : '';
  const started = (request: AccessRequest) => {
    metrics.calls.started(request.upstream, request.action);
    const principal = request.principal as { authMethod?: unknown; issuer?: unknown } | undefined;
    if (principal?.authMethod === 'peer') {
      metrics.peerHops.inc({ direction: 'in', peer: String(principal.issuer ?? '') });
    }
    if (options.isPeer(request.upstream)) {
      metrics.peerHops.inc({ direction: 'out', peer: request.upstream });
    }
  };
  // An allowed verdict starts the request; a question is counted, and its answer decides.
  const observed = (request: AccessRequest, verdict: AccessVerdict): AccessVerdict => {
    if (verdict.kind === 'allow') started(request);
    if (verdict.kind !== 'ask') return verdict;
    // A client that cannot answer is refused by the gate, not asked.
    if (request.canElicit) metrics.consent.inc({ outcome: 'asked' });
    return {
      ...verdict,
      answer: async (result) => observed(request, await verdict.answer(result)),
    };
  };
  return {
    ...(access.visible ? { visible: access.visible.bind(access) } : {}),
    check(request) {
      // No async frame of its own: a verdict the hook gives at once is observed at once.
      const verdict = access.check ? access.check(request) : ALLOW;
      return typeof (verdict as Partial<PromiseLike<AccessVerdict>>).then === 'function'
        ? Promise.resolve(verdict).then((decided) => observed(request, decided))
        : observed(request, verdict as AccessVerdict);
    },
    completed(request, outcome) {
      const tool = toolOf(request);
      metrics.calls.ended(request.upstream, request.action, tool, outcome.latencyMs / 1000);
      const toolError =
        outcome.ok && (outcome.result as { isError?: unknown } | undefined)?.isError === true;
      if (!outcome.ok || toolError) {
        metrics.requestErrors.inc({
          upstream: request.upstream,
          method: request.action,
          tool,
          code: toolError ? 'TOOL_ERROR' : errorCode(outcome.error),
        });
      }
      return access.completed?.(request, outcome);
    },
    refused(request, error) {
      const code = errorCode(error);
      const labels = { upstream: request.upstream, method: request.action };
      metrics.refusals.inc({ ...labels, code });
      if (code === 'POLICY_DENIED') metrics.policyDenials.inc(labels);
      if (code === 'RATE_LIMITED') metrics.rateLimitRefusals.inc(labels);
      return access.refused?.(request, error);
    },
  };
}

/** Counts what only the audit trail sees: consent answers and peer token failures. */
export function observeAuditEvent(metrics: HubMetrics, event: AuditEventInput): void {
  if (
    event.type === 'consent' &&
    (event.action === 'consent/answer' || event.action === 'consent/record')
  ) {
    if (event.outcome === 'granted' || event.outcome === 'denied') {
      metrics.consent.inc({ outcome: event.outcome });
    }
  } else if (
    event.type === 'auth' &&
    (event.outcome === 'failure' || event.outcome === 'error') &&
    event.details?.method === 'peer'
  ) {
    metrics.peerTokenFailures.inc({ outcome: event.outcome });
  }
}

/** Counts upstream restarts: an upstream ready again after it was down or reconnecting. */
export function observeUpstreamChange(
  metrics: HubMetrics,
  change: { id: string; state: string; previous: string },
  wasReady: Set<string>,
): void {
  if (change.state !== 'ready' || change.previous === 'degraded') return;
  if (wasReady.has(change.id)) metrics.upstreamRestarts.inc({ upstream: change.id });
  wasReady.add(change.id);
}
