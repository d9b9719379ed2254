/**
 * Interactive clients (they declare sampling, elicitation, roots) on the fast path (issue #18):
 * a call is answered as JSON with no lease on a shared stdio upstream, and becomes an SSE stream
 * only when the upstream asks a question that can only be that call's; cancellation before and
 * after the upgrade; two sessions on one shared upstream (the question reaches the right client
 * only: a tool that may ask runs on a connection only its session uses, waiting for one if need be).
 */
import { createAuditLog, createConsentLedger, createPolicy } from '@fedmcp/proxy-auth';
import { createMemoryStore } from '@fedmcp/store';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import {
  Client,
  type ClientCapabilities,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import { expectQuietCallsShareOneProcess } from '../../test/fixtures/quiet-sharing.js';
import { CONSENT_ON_ECHO, INTERACTIVE, textOf } from '../../test/helpers.js';
import { stdioFixture } from '../../test/node-helpers.js';
import { createConsentStep, createPolicyAccess, type HubOptions } from '../index.js';
import { createHub } from './index.js';

interface Seen {
  /** The content type of each tools/call answer, in order. */
  contentTypes: string[];
  /** The prompts of the sampling requests this client was asked. */
  sampled: string[];
  /** Resolves when a tools/call POST of this client has been sent. */
  sent(): Promise<void>;
  /** Each tools/call POST's body, and the whole answer it got (a copy read to its end). */
  answers: Array<{ body: string; text: Promise<string> }>;
}

async function startHub(maxConnections?: number, access?: HubOptions['access']) {
  const hub = createHub({
    ...(access ? { access } : {}),
    upstreams: {
      up: {
        ...stdioFixture('up'),
        timeoutMs: 30_000,
        ...(maxConnections ? { maxConnections } : {}),
      },
    },
    healthIntervalMs: 0,
  });
  await hub.start();
  const host = createMcpHttpHost({
    createServer: hub.createServer,
    fastRequest: hub.fastRequest,
    port: 0,
    bus: hub.bus,
  });
  const { url } = await host.listen();
  return {
    url,
    async [Symbol.asyncDispose]() {
      await host.close();
      await hub.close();
    },
  };
}

/** An interactive client; `answer` answers its sampling requests (it may never settle). */
async function connect(
  url: string,
  name: string,
  answer: (prompt: string) => Promise<string> = async () => `${name}-answer`,
  capabilities: ClientCapabilities = INTERACTIVE,
) {
  const seen: Seen = {
    contentTypes: [],
    sampled: [],
    sent: () => Promise.resolve(),
    answers: [],
  };
  let onSent: () => void = () => {};
  seen.sent = () =>
    new Promise<void>((resolve) => {
      onSent = resolve;
    });
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  if (capabilities.sampling) answerSampling(client, seen, answer);
  if (capabilities.roots) client.setRequestHandler('roots/list', async () => ({ roots: [] }));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      fetch: async (input, init) => {
        const body = typeof init?.body === 'string' ? init.body : '';
        const isCall = body.includes('"tools/call"');
        const pending = fetch(input, init);
        if (isCall) onSent();
        const response = await pending;
        if (isCall) {
          seen.contentTypes.push(response.headers.get('content-type') ?? '');
          seen.answers.push({ body, text: response.clone().text() });
        }
        return response;
      },
    }),
  );
  return { client, seen };
}

/** Calls the `up` fixture's tool `name` as `client`, resolving with its answer's text. */
function textCaller(client: Client) {
  return async (name: string, args: Record<string, unknown> = {}) =>
    textOf(await client.callTool({ name: `up__${name}`, arguments: args }));
}

function answerSampling(client: Client, seen: Seen, answer: (prompt: string) => Promise<string>) {
  client.setRequestHandler('sampling/createMessage', async (request) => {
    const content = request.params.messages[0]?.content as { text?: string } | undefined;
    const prompt = String(content?.text);
    seen.sampled.push(prompt);
    return {
      model: 'test-model',
      role: 'assistant' as const,
      content: { type: 'text' as const, text: await answer(prompt) },
    };
  });
}

describe('interactive clients on the fast path', () => {
  it('answers as JSON, upgrades to SSE when the upstream asks mid-call, and cancels before and after the upgrade', async () => {
    await using hub = await startHub();
    const { client, seen } = await connect(hub.url, 'alice');
    try {
      expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text: 'hi' } }))).toBe(
        'up:hi',
      );
      expect(seen.contentTypes).toEqual([expect.stringMatching(/^application\/json/)]);

      // A question mid-call: the answer turns into an SSE stream that carries it.
      const sampled = await client.callTool({ name: 'up__sample', arguments: { prompt: 'p1' } });
      expect(textOf(sampled)).toBe('sampled:alice-answer');
      expect(seen.sampled).toEqual(['p1']);
      expect(seen.contentTypes.at(-1)).toMatch(/^text\/event-stream/);

      // Cancelled before any upstream message: the upstream hears of it.
      const before = new AbortController();
      const sent = seen.sent();
      const slow = client
        .callTool(
          { name: 'up__slow', arguments: { ms: 60_000 } },
          { signal: before.signal, timeout: 60_000 },
        )
        .then(
          () => 'answered',
          () => 'rejected',
        );
      await sent;
      await vi.waitFor(
        async () => {
          // Cancel once the call is running upstream (the request was sent; retry until counted).
          before.abort('stop');
          const observed = JSON.parse(
            textOf(await client.callTool({ name: 'up__observed', arguments: {} })),
          ) as { cancelled: number };
          expect(observed.cancelled).toBe(1);
        },
        { timeout: 20_000, interval: 50 },
      );
      expect(await slow).toBe('rejected');

      // Still answering as JSON: a call that asks nothing never leaves the fast path.
      expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text: 'x' } }))).toBe(
        'up:x',
      );
      expect(seen.contentTypes.at(-1)).toMatch(/^application\/json/);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('relays upstream progress on the upgraded stream with the token of the client, for every client', async () => {
    await using hub = await startHub();
    const { client, seen } = await connect(hub.url, 'carol');
    const plain = await connect(hub.url, 'dave', undefined, {});
    try {
      for (const { client: caller, seen: seenBy } of [{ client, seen }, plain]) {
        const progress: unknown[] = [];
        const result = await caller.callTool(
          { name: 'up__progress', arguments: { steps: 3 } },
          { onprogress: (update) => progress.push(update.progress), timeout: 30_000 },
        );
        expect(textOf(result)).toBe('done 3');
        expect(progress).toEqual([1, 2, 3]);
        expect(seenBy.contentTypes.at(-1)).toMatch(/^text\/event-stream/);
      }
    } finally {
      await client.close();
      await plain.client.close();
    }
  }, 60_000);

  it('cancels a call after its upgrade (a question in flight): the call ends, the session goes on', async () => {
    await using hub = await startHub();
    let asked: () => void = () => {};
    const question = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const { client, seen } = await connect(hub.url, 'bob', () => {
      asked();
      return new Promise<string>(() => {}); // never answers: the call is cancelled meanwhile
    });
    try {
      const controller = new AbortController();
      const call = client.callTool(
        { name: 'up__sample', arguments: { prompt: 'never' } },
        { signal: controller.signal, timeout: 60_000 },
      );
      await question;
      expect(seen.contentTypes.at(-1)).toMatch(/^text\/event-stream/);
      controller.abort('changed my mind');
      await expect(call).rejects.toThrow();
      expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text: 'on' } }))).toBe(
        'up:on',
      );
      expect(seen.contentTypes.at(-1)).toMatch(/^application\/json/);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('two sessions on one shared stdio upstream: the question reaches the client whose call asked, only', async () => {
    await using hub = await startHub();
    const alice = await connect(hub.url, 'alice');
    const bob = await connect(hub.url, 'bob');
    try {
      const controller = new AbortController();
      const sent = bob.seen.sent();
      const waiting = bob.client.callTool(
        { name: 'up__slow', arguments: { ms: 60_000 } },
        { signal: controller.signal, timeout: 60_000 },
      );
      await sent;
      const sampled = await alice.client.callTool({
        name: 'up__sample',
        arguments: { prompt: 'for alice' },
      });
      expect(textOf(sampled)).toBe('sampled:alice-answer');
      expect(alice.seen.sampled).toEqual(['for alice']);
      expect(bob.seen.sampled).toEqual([]);
      controller.abort('done');
      await expect(waiting).rejects.toThrow();
    } finally {
      await alice.client.close();
      await bob.client.close();
    }
  }, 60_000);

  it('with one connection, a second session waits for it (no sharing while its tool may ask), then is asked', async () => {
    await using hub = await startHub(1);
    const alice = await connect(hub.url, 'alice');
    const bob = await connect(hub.url, 'bob');
    try {
      const controller = new AbortController();
      const bobSent = bob.seen.sent();
      const waiting = bob.client
        .callTool(
          { name: 'up__slow', arguments: { ms: 60_000 } },
          { signal: controller.signal, timeout: 60_000 },
        )
        .then(
          () => 'answered',
          () => 'rejected',
        );
      await bobSent;
      const aliceSent = alice.seen.sent();
      const sampled = alice.client.callTool(
        { name: 'up__sample', arguments: { prompt: 'mine' } },
        { timeout: 60_000 },
      );
      await aliceSent;
      controller.abort('done'); // frees the one connection: alice's call runs there alone
      expect(await waiting).toBe('rejected');
      expect(textOf(await sampled)).toBe('sampled:alice-answer');
      expect(alice.seen.sampled).toEqual(['mine']);
      expect(bob.seen.sampled).toEqual([]);
    } finally {
      await alice.client.close();
      await bob.client.close();
    }
  }, 60_000);

  it("runs a quiet tool's concurrent calls of one session on the shared process, opening none", async () => {
    await using hub = await startHub(4);
    const alice = await connect(hub.url, 'alice');
    try {
      const call = textCaller(alice.client);
      // Both tools answer QUIET_CALLS times without a question, then calls made while others are
      // in flight join the shared process (before, each held a connection of its own).
      await expectQuietCallsShareOneProcess(call);
    } finally {
      await alice.client.close();
    }
  }, 60_000);

  it("runs one session's concurrent calls of a tool that may still ask on one process, opening none", async () => {
    await using hub = await startHub(4);
    const alice = await connect(hub.url, 'alice');
    try {
      const call = textCaller(alice.client);
      // Fewer than QUIET_CALLS answers: every call is attributed, so it runs where only this
      // session's calls run. Calls made while others are in flight join them there (before, each
      // opened another stdio process, up to maxConnections).
      const first = await call('pid');
      const slow = Array.from({ length: 3 }, () => call('slow', { ms: 300 }));
      const during = await Promise.all(Array.from({ length: 4 }, () => call('pid')));
      expect(await Promise.all(slow)).toHaveLength(3);
      expect(new Set(during)).toEqual(new Set([first]));
    } finally {
      await alice.client.close();
    }
  }, 60_000);

  it("sends each question of a tool that has asked to the very call that asked, for one session's concurrent calls", async () => {
    await using hub = await startHub(4);
    // Both prompts are answered only once both were asked: the two calls are in flight together.
    let bothAsked: () => void = () => {};
    const asked = new Promise<void>((resolve) => {
      bothAsked = resolve;
    });
    const alice = await connect(hub.url, 'alice', async (prompt) => {
      if (alice.seen.sampled.includes('a') && alice.seen.sampled.includes('b')) bothAsked();
      if (prompt !== 'first') await asked;
      return `${prompt}-answer`;
    });
    try {
      const call = textCaller(alice.client);
      const sample = (prompt: string) => call('sample', { prompt });
      expect(await sample('first')).toBe('sampled:first-answer'); // the tool has asked now
      expect(await Promise.all([sample('a'), sample('b')])).toEqual([
        'sampled:a-answer',
        'sampled:b-answer',
      ]);
      // Each call's own SSE answer carried its own question, not the other call's.
      for (const [mine, other] of [
        ['a', 'b'],
        ['b', 'a'],
      ]) {
        const answer = alice.seen.answers.find((entry) =>
          entry.body.includes(`"prompt":"${mine}"`),
        );
        const text = await answer?.text;
        expect(text).toContain(`"text":"${mine}"`);
        expect(text).not.toContain(`"text":"${other}"`);
      }
    } finally {
      await alice.client.close();
    }
  }, 60_000);

  it('leaves a consent question of the access hook to the SDK path, asked once', async () => {
    const store = createMemoryStore();
    const audit = createAuditLog({ sinks: [] });
    const policy = createPolicy(CONSENT_ON_ECHO);
    const ledger = createConsentLedger({ kv: store.kv, audit });
    const access = createPolicyAccess({ policy, audit, consent: createConsentStep({ ledger }) });
    await using hub = await startHub(undefined, access);
    const { client, seen } = await connect(hub.url, 'erin');
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(String(request.params.message));
      return { action: 'accept' as const, content: { decision: 'allow_once' } };
    });
    try {
      expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text: 'ok' } }))).toBe(
        'up:ok',
      );
      expect(asked).toHaveLength(1);
      expect(seen.contentTypes).toEqual([expect.stringMatching(/^text\/event-stream/)]);
    } finally {
      await client.close();
      await store.close();
    }
  }, 60_000);
});
