import type { AccessRequest, AccessVerdict, HubAccess } from '@fedmcp/federation';
import { describe, expect, it } from 'vitest';
import { createHubMetrics, type HubMetrics } from './hub-metrics.js';
import { observeAccess, observeAuditEvent, observeUpstreamChange } from './observe-access.js';

function request(extra: Partial<AccessRequest> = {}): AccessRequest {
  return {
    principal: { subject: 'alice', authMethod: 'api-key' },
    action: 'tools/call',
    target: 'b__echo',
    upstream: 'b',
    upstreamTarget: 'echo',
    canElicit: true,
    ...extra,
  };
}

async function value(metrics: HubMetrics, name: string, labels: Record<string, string>) {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const sample = metric?.values.find((entry) =>
    Object.entries(labels).every(([key, expected]) => entry.labels[key] === expected),
  );
  return sample?.value ?? 0;
}

describe('observeAccess', () => {
  it('counts a consent question, and the answer it got', async () => {
    const metrics = createHubMetrics({ upstreams: () => [] });
    const answers: AccessVerdict[] = [
      { kind: 'allow' },
      { kind: 'deny', error: Object.assign(new Error('no'), { code: 'CONSENT_REQUIRED' }) },
    ];
    const access: HubAccess = {
      check: () => ({
        kind: 'ask',
        elicitation: {
          mode: 'form',
          message: 'May I?',
          requestedSchema: { type: 'object', properties: {} },
        },
        answer: () => answers.shift() as AccessVerdict,
      }),
    };
    const observed = observeAccess(access, metrics, {
      toolLabel: () => false,
      isPeer: () => false,
    });
    for (let round = 0; round < 2; round += 1) {
      const verdict = await observed.check?.(request());
      expect(verdict?.kind).toBe('ask');
      if (verdict?.kind === 'ask') await verdict.answer({ action: 'accept', content: {} });
    }
    expect(await value(metrics, 'fedmcp_consent_total', { outcome: 'asked' })).toBe(2);
    // The granted one is in flight until it completes; the denied one never started.
    expect(
      await value(metrics, 'fedmcp_requests_in_flight', { upstream: 'b', method: 'tools/call' }),
    ).toBe(1);
  });

  it('counts hops in from a peer hub and out to one, and rate-limit refusals', async () => {
    const metrics = createHubMetrics({ upstreams: () => [] });
    const observed = observeAccess({}, metrics, {
      toolLabel: () => false,
      isPeer: (upstream) => upstream === 'b',
    });
    const fromPeer = request({ principal: { subject: 'alice', authMethod: 'peer', issuer: 'a' } });
    await observed.check?.(fromPeer);
    await observed.completed?.(fromPeer, { ok: true, result: {}, latencyMs: 3 });
    const limited = Object.assign(new Error('slow down'), { code: 'RATE_LIMITED' });
    await observed.refused?.(request(), limited);
    expect(await value(metrics, 'fedmcp_peer_hops_total', { direction: 'in', peer: 'a' })).toBe(1);
    expect(await value(metrics, 'fedmcp_peer_hops_total', { direction: 'out', peer: 'b' })).toBe(1);
    expect(
      await value(metrics, 'fedmcp_rate_limit_refusals_total', {
        upstream: 'b',
        method: 'tools/call',
      }),
    ).toBe(1);
    expect(await value(metrics, 'fedmcp_policy_denials_total', { upstream: 'b' })).toBe(0);
    expect(
      await value(metrics, 'fedmcp_requests_in_flight', { upstream: 'b', method: 'tools/call' }),
    ).toBe(0);
  });
});

describe('observeAuditEvent', () => {
  it('counts consent answers and peer token failures, nothing else', async () => {
    const metrics = createHubMetrics({ upstreams: () => [] });
    observeAuditEvent(metrics, { type: 'consent', outcome: 'granted', action: 'consent/answer' });
    observeAuditEvent(metrics, { type: 'consent', outcome: 'denied', action: 'consent/record' });
    observeAuditEvent(metrics, { type: 'consent', outcome: 'used', action: 'tools/call' });
    observeAuditEvent(metrics, {
      type: 'auth',
      outcome: 'failure',
      action: 'POST /mcp',
      details: { method: 'peer', status: 401 },
    });
    observeAuditEvent(metrics, { type: 'auth', outcome: 'failure', action: 'POST /mcp' });
    expect(await value(metrics, 'fedmcp_consent_total', { outcome: 'granted' })).toBe(1);
    expect(await value(metrics, 'fedmcp_consent_total', { outcome: 'denied' })).toBe(1);
    expect(await value(metrics, 'fedmcp_peer_token_failures_total', { outcome: 'failure' })).toBe(
      1,
    );
  });
});

describe('observeUpstreamChange', () => {
  it('counts a restart when an upstream that was ready is ready again', async () => {
    const metrics = createHubMetrics({ upstreams: () => [] });
    const wasReady = new Set<string>();
    const change = (state: string, previous: string) =>
      observeUpstreamChange(metrics, { id: 'x', state, previous }, wasReady);
    change('ready', 'connecting');
    change('degraded', 'ready');
    change('ready', 'degraded');
    change('down', 'ready');
    change('connecting', 'down');
    change('ready', 'connecting');
    expect(await value(metrics, 'fedmcp_upstream_restarts_total', { upstream: 'x' })).toBe(1);
  });
});
