/**
 * 2026-07-28 clients that declare sampling, elicitation or roots (as hosts do) on the 2026-07-28
 * fast path (issue #18): a call's first round runs without a server built for the request and is
 * answered as the SDK path answers it — as JSON when the upstream asks nothing, as
 * `input_required` when it asks, and the retry carrying the answers resumes that very call (on
 * the SDK path); a quiet tool's calls share the stdio process; a consent question, cancellation
 * before and between rounds, and the audit record keep their meaning.
 */
import {
  type AuditEvent,
  createAuditLog,
  createConsentLedger,
  createPolicy,
  type Policy,
} from '@fedmcp/proxy-auth';
import { createMemoryStore } from '@fedmcp/store';
import { Client } from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import { startModernHost } from '../../test/fixtures/modern-host.js';
import { observedUpstream } from '../../test/fixtures/observed-upstream.js';
import { expectQuietCallsShareOneProcess } from '../../test/fixtures/quiet-sharing.js';
import type { TestUpstreamState } from '../../test/fixtures/test-upstream.js';
import { CONSENT_ON_ECHO, INTERACTIVE, memoryConnector, textOf } from '../../test/helpers.js';
import { stdioFixture } from '../../test/node-helpers.js';
import { createConsentStep, createPolicyAccess, type HubOptions } from '../index.js';
import { createHub } from './index.js';

const modern = { versionNegotiation: { mode: { pin: '2026-07-28' as const } } };
const everyone: Policy = createPolicy([
  { id: 'everyone', effect: 'allow', subjects: ['*'], actions: ['*'] },
]);

interface HubSetup {
  /** `stdio`: the `up` fixture as a child process; `memory`: in this process, observed. */
  upstream: 'stdio' | 'memory';
  fast: boolean;
  state?: TestUpstreamState;
  policy?: Policy;
  roundTimeoutMs?: number;
}

/** A hub on a host with (or without) the 2026-07-28 fast path, auditing every call. */
async function startHub(setup: HubSetup) {
  const events: AuditEvent[] = [];
  const audit = createAuditLog({ sinks: [{ write: (event) => void events.push(event) }] });
  const store = createMemoryStore();
  const ledger = createConsentLedger({ kv: store.kv, audit });
  /** The tools called on the memory upstream, as they arrive there. */
  const arrived: string[] = [];
  const options: HubOptions =
    setup.upstream === 'stdio'
      ? { upstreams: { up: { ...stdioFixture('up'), timeoutMs: 30_000 } } }
      : {
          connect: memoryConnector({
            up: () => observedUpstream(setup.state, arrived),
          }),
          upstreams: { up: { url: 'memory://up', timeoutMs: 30_000 } },
        };
  const hub = createHub({
    ...options,
    healthIntervalMs: 0,
    ...(setup.roundTimeoutMs ? { roundTimeoutMs: setup.roundTimeoutMs } : {}),
    access: createPolicyAccess({
      policy: setup.policy ?? everyone,
      audit,
      consent: createConsentStep({ ledger }),
    }),
  });
  await hub.start();
  const host = await startModernHost(hub, setup.fast);
  return {
    events,
    arrived,
    bodies: host.bodies,
    connect: host.connect,
    built: () => host.built.length,
    calls: (target: string) =>
      events.filter((event) => event.type === 'call' && event.target === target),
    async [Symbol.asyncDispose]() {
      await host.close();
      await hub.close();
      await store.close();
    },
  };
}

/** An interactive 2026-07-28 client: its sampling answers name it, its roots are empty. */
function interactiveClient(name: string, sampled: string[] = []): Client {
  const client = new Client({ name, version: '1.0.0' }, { ...modern, capabilities: INTERACTIVE });
  client.setRequestHandler('roots/list', async () => ({ roots: [] }));
  client.setRequestHandler('sampling/createMessage', async (request) => {
    const first = request.params.messages[0]?.content as { text?: string } | undefined;
    sampled.push(String(first?.text));
    return {
      model: 'test-model',
      role: 'assistant' as const,
      content: { type: 'text' as const, text: `${name}-answer` },
    };
  });
  return client;
}

/** The answer's JSON with its `requestState` (sealed afresh each time) masked. */
const masked = (body: string | undefined) =>
  JSON.parse(body ?? '{}', (key, value) => (key === 'requestState' ? '<state>' : value));

describe('interactive 2026-07-28 clients on the fast path', () => {
  it("answers a call's first round without a server per request, and resumes a question's call on its retry", async () => {
    await using hub = await startHub({ upstream: 'stdio', fast: true });
    const sampled: string[] = [];
    const client = await hub.connect(interactiveClient('alice', sampled));
    try {
      const call = async (name: string, args: Record<string, unknown> = {}) =>
        textOf(await client.callTool({ name: `up__${name}`, arguments: args }));
      expect(await call('echo', { text: 'x' })).toBe('up:x');
      // Probation, then a quiet tool's concurrent calls on the one shared process.
      const pid = await expectQuietCallsShareOneProcess(call);
      expect(hub.built()).toBe(0);

      // The upstream asks mid-call: the first round's answer is input_required, the client
      // answers, and its retry (the SDK path: one server) resumes the same upstream call.
      hub.bodies.length = 0;
      expect(await call('sample', { prompt: 'p1' })).toBe('sampled:alice-answer');
      expect(sampled).toEqual(['p1']);
      expect(hub.bodies).toHaveLength(2);
      const round = JSON.parse(hub.bodies[0] ?? '{}').result;
      expect(round).toMatchObject({
        resultType: 'input_required',
        requestState: expect.any(String),
        _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'fedmcp' } },
      });
      expect(Object.values(round.inputRequests)).toEqual([
        expect.objectContaining({
          method: 'sampling/createMessage',
          params: expect.objectContaining({
            messages: [expect.objectContaining({ role: 'user' })],
          }),
        }),
      ]);
      expect(JSON.parse(hub.bodies[1] ?? '{}')).toMatchObject({
        result: { resultType: 'complete', content: [{ text: 'sampled:alice-answer' }] },
      });
      expect(hub.built()).toBe(1);
      // One audit record for the call, written when it ended (on the retry).
      expect(hub.calls('up__sample').map((event) => event.outcome)).toEqual(['success']);
      expect(await call('pid')).toBe(pid);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('answers as the SDK path does, input_required rounds included', async () => {
    const answers = async (fast: boolean) => {
      await using hub = await startHub({ upstream: 'memory', fast });
      const client = await hub.connect(interactiveClient('alice'));
      try {
        expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text: 'x' } }))).toBe(
          'up:x',
        );
        const sampled = await client.callTool({ name: 'up__sample', arguments: { prompt: 'p' } });
        expect(textOf(sampled)).toBe('sampled:alice-answer');
        await expect(client.callTool({ name: 'up__fail', arguments: {} })).rejects.toMatchObject({
          code: -32050,
          data: { reason: 'test', detail: 42 },
        });
        return { bodies: [...hub.bodies], built: hub.built() };
      } finally {
        await client.close();
      }
    };
    const fast = await answers(true);
    const sdk = await answers(false);
    expect(fast.bodies.map(masked)).toEqual(sdk.bodies.map(masked));
    // echo, sample's first round, and fail; the SDK path built one per request.
    expect(fast.built).toBe(1);
    expect(sdk.built).toBe(fast.bodies.length);
    expect(fast.bodies).toHaveLength(4);
    // The upstream's SDK put its own `_meta.progressToken` on the sampling request it sent the hub
    // (its leg's); the hub relays no progress on a question back upstream, so the client's
    // inputRequests do not carry it, on either path.
    const question = (body: string) =>
      (JSON.parse(body) as { result: { inputRequests: Record<string, { params: object }> } }).result
        .inputRequests;
    for (const body of [fast.bodies[1], sdk.bodies[1]]) {
      expect(question(body as string)['input-1']?.params).not.toHaveProperty('_meta.progressToken');
      expect(question(body as string)['input-1']?.params).toHaveProperty('maxTokens', 10);
    }
  });

  it('cancels the upstream call when the client goes away, before and between rounds', async () => {
    const state: TestUpstreamState = {
      cancelled: 0,
      subscribed: [],
      unsolicitedRoots: undefined,
      logLevel: undefined,
    };
    await using hub = await startHub({
      upstream: 'memory',
      fast: true,
      state,
      roundTimeoutMs: 500,
    });
    const client = await hub.connect(interactiveClient('alice'));
    // A sampling question this client's user dismisses: the client does not retry.
    let asked: () => void = () => {};
    const question = new Promise<void>((resolve) => {
      asked = resolve;
    });
    let dismiss: () => void = () => {};
    const dismissed = new Promise<void>((resolve) => {
      dismiss = resolve;
    });
    client.setRequestHandler('sampling/createMessage', async () => {
      asked();
      await dismissed;
      throw new Error('dismissed by the user');
    });
    try {
      // Before any answer: the request's stream closes, the hub cancels upstream.
      const before = new AbortController();
      const slow = client.callTool(
        { name: 'up__slow', arguments: { ms: 20_000 } },
        { signal: before.signal, timeout: 30_000 },
      );
      await vi.waitFor(() => expect(hub.arrived).toContain('slow'), { timeout: 10_000 });
      before.abort('stop');
      await expect(slow).rejects.toThrow();
      await vi.waitFor(() => expect(state.cancelled).toBe(1), { timeout: 10_000 });

      // Between rounds: the question was sent as input_required and no retry comes; when the
      // round's time is up the hub cancels the upstream call and records how it ended.
      const sample = client.callTool({ name: 'up__sample', arguments: { prompt: 'p' } });
      await question;
      dismiss();
      await expect(sample).rejects.toThrow('dismissed by the user');
      await vi.waitFor(() => expect(hub.calls('up__sample')).toHaveLength(1), { timeout: 10_000 });
      expect(hub.calls('up__sample')[0]).toMatchObject({
        outcome: 'error',
        reason: expect.stringContaining('did not answer in time'),
      });
      // Both upstream calls were cancelled there (a notifications/cancelled each).
      await vi.waitFor(() =>
        expect(hub.arrived.filter((arrival) => arrival === 'cancelled')).toHaveLength(2),
      );
      expect(hub.calls('up__slow')).toHaveLength(1);
      expect(hub.built()).toBe(0);
    } finally {
      await client.close();
    }
  });

  it("leaves the access hook's consent question to the SDK path", async () => {
    const policy = createPolicy(CONSENT_ON_ECHO);
    await using hub = await startHub({ upstream: 'memory', fast: true, policy });
    const client = interactiveClient('alice');
    const consents: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      consents.push(String(request.params.message));
      return { action: 'accept' as const, content: { decision: 'allow_once' } };
    });
    await hub.connect(client);
    try {
      expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text: 'y' } }))).toBe(
        'up:y',
      );
      expect(consents).toHaveLength(1);
      expect(consents[0]).toContain('up__echo');
      // The question's round and its retry on the SDK path; nothing was asked twice.
      expect(hub.built()).toBe(2);
      expect(hub.calls('up__echo').map((event) => event.outcome)).toEqual(['success']);
    } finally {
      await client.close();
    }
  });
});
