/**
 * The 2026-07-28 fast path: a stateless tools/call of a 2026-07-28 client that can answer no
 * questions is relayed upstream as it is, without building a server for the request, and answered
 * with the same bytes the SDK path sends; errors (upstream, policy, timeout) and cancellation keep
 * their meaning; progress and unknown tools take the SDK path (interactive clients:
 * modern-interactive-fast-path.test.ts).
 */
import { type AuditEvent, createAuditLog, createPolicy } from '@fedmcp/proxy-auth';
import { Client } from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import { startModernHost } from '../../test/fixtures/modern-host.js';
import { observedUpstream } from '../../test/fixtures/observed-upstream.js';
import type { TestUpstreamState } from '../../test/fixtures/test-upstream.js';
import { memoryConnector, textOf } from '../../test/helpers.js';
import { createPolicyAccess } from '../index.js';
import { createHub } from './index.js';

const modern = { versionNegotiation: { mode: { pin: '2026-07-28' as const } } };

/** A hub over the test upstream, on a host with (or without) the 2026-07-28 fast path. */
async function startHub(options: { fast: boolean; state?: TestUpstreamState }) {
  const arrived: string[] = [];
  const events: AuditEvent[] = [];
  const audit = createAuditLog({ sinks: [{ write: (event) => void events.push(event) }] });
  const policy = createPolicy([
    {
      id: 'no-pid',
      effect: 'deny',
      subjects: ['*'],
      actions: ['tools/call'],
      targets: ['up__pid'],
    },
    { id: 'rest', effect: 'allow', subjects: ['*'], actions: ['*'] },
  ]);
  const hub = createHub({
    connect: memoryConnector({
      up: () => observedUpstream(options.state, arrived),
    }),
    upstreams: { up: { url: 'memory://up', timeoutMs: 500 } },
    healthIntervalMs: 0,
    failureThreshold: 100,
    access: createPolicyAccess({ policy, audit }),
  });
  await hub.start();
  const host = await startModernHost(hub, options.fast);
  return {
    hub,
    events,
    arrived,
    built: host.built,
    bodies: host.bodies,
    connect: host.connect,
    async [Symbol.asyncDispose]() {
      await host.close();
      await hub.close();
    },
  };
}

describe('the 2026-07-28 tools/call fast path', () => {
  it('answers plain calls with the bytes of the SDK path, without building a server per request', async () => {
    await using fast = await startHub({ fast: true });
    await using sdk = await startHub({ fast: false });
    const fastClient = await fast.connect(new Client({ name: 'plain', version: '1.0.0' }, modern));
    const sdkClient = await sdk.connect(new Client({ name: 'plain', version: '1.0.0' }, modern));
    try {
      for (const client of [fastClient, sdkClient]) {
        expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text: 'x' } }))).toBe(
          'up:x',
        );
        const linked = await client.callTool({ name: 'up__link', arguments: {} });
        expect(linked.content).toMatchObject([
          { type: 'resource_link', uri: 'fedmcp://up/test://item/1' },
          { type: 'resource', resource: { uri: 'fedmcp://up/test://item/2' } },
        ]);
      }
      expect(fast.built).toEqual([]);
      expect(sdk.built.length).toBeGreaterThanOrEqual(2);
      // The same JSON answers, byte for byte (same request ids on both sides).
      expect(fast.bodies).toEqual(sdk.bodies);
      expect(JSON.parse(fast.bodies[0] ?? '{}')).toMatchObject({
        result: { resultType: 'complete', _meta: { 'io.modelcontextprotocol/serverInfo': {} } },
      });
    } finally {
      await fastClient.close();
      await sdkClient.close();
    }
  });

  it('keeps upstream errors, policy refusals, timeouts, cancellation and audit', async () => {
    const state: TestUpstreamState = {
      cancelled: 0,
      subscribed: [],
      unsolicitedRoots: undefined,
      logLevel: undefined,
    };
    await using fast = await startHub({ fast: true, state });
    const client = await fast.connect(new Client({ name: 'plain', version: '1.0.0' }, modern));
    try {
      await expect(client.callTool({ name: 'up__fail', arguments: {} })).rejects.toMatchObject({
        code: -32050,
        data: { reason: 'test', detail: 42 },
      });
      await expect(client.callTool({ name: 'up__pid', arguments: {} })).rejects.toMatchObject({
        code: -32062,
        data: { rule: 'no-pid' },
      });
      await expect(client.callTool({ name: 'up__hang', arguments: {} })).rejects.toMatchObject({
        code: -32061,
      });
      // MCP 2026-07-28: a request is cancelled on HTTP by closing its response stream.
      const controller = new AbortController();
      const slow = client.callTool(
        { name: 'up__slow', arguments: { ms: 10_000 } },
        { signal: controller.signal, timeout: 30_000 },
      );
      await vi.waitFor(() => expect(fast.arrived).toContain('slow'), { timeout: 10_000 });
      controller.abort('stop');
      await expect(slow).rejects.toThrow();
      await vi.waitFor(() => expect(state.cancelled).toBe(1), { timeout: 10_000 });
      expect(fast.built).toEqual([]);
      const calls = fast.events.filter((event) => event.type === 'call');
      expect(calls.map((event) => [event.target, event.outcome])).toEqual(
        expect.arrayContaining([
          ['up__fail', 'error'],
          ['up__hang', 'error'],
        ]),
      );
      expect(fast.events).toContainEqual(
        expect.objectContaining({ type: 'policy', outcome: 'denied', rule: 'no-pid' }),
      );
    } finally {
      await client.close();
    }
  });

  it('leaves progress and unknown tools to the SDK path', async () => {
    await using fast = await startHub({ fast: true });
    const plain = await fast.connect(new Client({ name: 'plain', version: '1.0.0' }, modern));
    try {
      const progress: number[] = [];
      const stepped = await plain.callTool(
        { name: 'up__progress', arguments: { steps: 3 } },
        { onprogress: (update) => void progress.push(update.progress) },
      );
      expect(stepped.isError).not.toBe(true);
      expect(progress).toEqual([1, 2, 3]);
      expect(fast.built).toHaveLength(1);

      await expect(plain.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({
        code: -32602,
      });
      expect(fast.built).toHaveLength(2);
    } finally {
      await plain.close();
    }
  });
});
