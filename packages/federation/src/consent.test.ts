import {
  type AuditEvent,
  createAuditLog,
  createConsentLedger,
  createPolicy,
} from '@fedmcp/proxy-auth';
import { createMemoryStore } from '@fedmcp/store';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestUpstream } from '../test/fixtures/test-upstream.js';
import {
  CONSENT_ON_ECHO,
  connectLegacyClient,
  connectModernClient,
  memoryConnector,
  textOf,
} from '../test/helpers.js';
import { createConsentStep, createHub, createPolicyAccess } from './index.js';

type Answer = { action: 'accept'; content: Record<string, string> } | { action: 'decline' };

/** A hub whose `up__echo` needs consent, with a ledger on a clock the test moves. */
async function consentHub() {
  const store = createMemoryStore();
  let now = Date.parse('2026-11-23T10:00:00Z');
  const events: AuditEvent[] = [];
  const audit = createAuditLog({ sinks: [{ write: (event) => void events.push(event) }] });
  const ledger = createConsentLedger({ kv: store.kv, audit, now: () => now });
  const policy = createPolicy(CONSENT_ON_ECHO);
  const hub = createHub({
    connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }).server }),
    upstreams: { up: { url: 'memory://up' } },
    healthIntervalMs: 0,
    access: createPolicyAccess({ policy, audit, consent: createConsentStep({ ledger }) }),
  });
  await hub.start();
  return {
    hub,
    ledger,
    events,
    advance: (ms: number) => {
      now += ms;
    },
    close: async () => {
      await hub.close();
      await store.close();
    },
  };
}

/** Makes the client answer consent questions from a queue, and records the questions. */
function answering(client: Client, answers: Answer[], asked: string[]) {
  client.setRequestHandler('elicitation/create', async (request) => {
    asked.push(String(request.params.message));
    const next = answers.shift();
    if (!next) throw new Error('no answer left');
    return next;
  });
}

const allow = (decision: string, period?: string): Answer => ({
  action: 'accept',
  content: { decision, ...(period ? { period } : {}) },
});

describe.each(['2025-11-25', '2026-07-28'] as const)(
  'consent through the hub (%s client)',
  (era) => {
    let cleanup: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const close of cleanup.reverse()) await close();
      cleanup = [];
    });

    async function setup(answers: Answer[]) {
      const hub = await consentHub();
      cleanup.push(hub.close);
      const asked: string[] = [];
      const capabilities = { elicitation: { form: {} } };
      const configure = (client: Client) => answering(client, answers, asked);
      let client: Client;
      if (era === '2025-11-25') {
        client = await connectLegacyClient(hub.hub, capabilities, configure);
        cleanup.push(() => client.close());
      } else {
        const modern = await connectModernClient(hub.hub, capabilities, configure);
        client = modern.client;
        cleanup.push(modern.close);
      }
      const call = (text: string) => client.callTool({ name: 'up__echo', arguments: { text } });
      return { ...hub, asked, call, client };
    }

    it('asks, and "allow once" lets exactly one call through', async () => {
      const { call, asked, events } = await setup([allow('allow_once'), { action: 'decline' }]);
      expect(textOf(await call('one'))).toBe('up:one');
      expect(asked).toHaveLength(1);
      expect(asked[0]).toContain('up__echo');
      expect(asked[0]).toContain('one');
      await expect(call('two')).rejects.toMatchObject({ code: -32063 });
      expect(asked).toHaveLength(2);
      expect(
        events.filter((event) => event.type === 'consent').map((event) => event.outcome),
      ).toEqual(['granted', 'denied']); // the decline is recorded too
      expect(events.some((event) => event.type === 'call' && event.outcome === 'success')).toBe(
        true,
      );
    });

    it('"allow for a period" holds until it expires, then asks again', async () => {
      const { call, asked, advance } = await setup([
        allow('allow_for_period', '15m'),
        allow('allow_once'),
      ]);
      expect(textOf(await call('a'))).toBe('up:a');
      expect(textOf(await call('b'))).toBe('up:b');
      expect(asked).toHaveLength(1);
      advance(16 * 60_000);
      expect(textOf(await call('c'))).toBe('up:c');
      expect(asked).toHaveLength(2);
    });

    it('"deny" refuses and is remembered; revoking it asks again', async () => {
      const { call, asked, ledger, events } = await setup([allow('deny'), allow('always_allow')]);
      await expect(call('x')).rejects.toMatchObject({
        code: -32063,
        message: expect.stringContaining('denied'),
      });
      await expect(call('y')).rejects.toMatchObject({ code: -32063 });
      expect(asked).toHaveLength(1);
      expect(await ledger.revoke({ target: 'up__echo' })).toBe(1);
      expect(textOf(await call('z'))).toBe('up:z');
      expect(asked).toHaveLength(2);
      expect(textOf(await call('again'))).toBe('up:again');
      expect(asked).toHaveLength(2);
      const outcomes = events
        .filter((event) => event.type === 'consent')
        .map((event) => event.outcome);
      expect(outcomes).toEqual(expect.arrayContaining(['denied', 'revoked', 'granted', 'used']));
    });
  },
);

describe('consent without elicitation', () => {
  it('refuses with CONSENT_REQUIRED and the command that pre-grants it; a pre-grant lets it through', async () => {
    const hub = await consentHub();
    try {
      const client = await connectLegacyClient(hub.hub, {});
      await expect(
        client.callTool({ name: 'up__echo', arguments: { text: 'x' } }),
      ).rejects.toMatchObject({
        code: -32063,
        message: expect.stringContaining(
          'fedmcp consent grant --subject anonymous --target up__echo',
        ),
      });
      await hub.ledger.record({
        subject: 'anonymous',
        target: 'up__*',
        decision: 'allow',
        scope: 'always',
        grantedVia: 'api',
      });
      expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text: 'x' } }))).toBe(
        'up:x',
      );
      await client.close();
    } finally {
      await hub.close();
    }
  });
});

describe('consent answers are bound to their question', () => {
  it.each([
    ['to another tool', (body: string) => body.replace('"up__echo"', '"up__link"'), 'up__link'],
    [
      'to other arguments',
      (body: string) => body.replace('"text":"x"', '"text":"rm -rf /"'),
      'up__echo',
    ],
  ] as const)(
    'refuses a 2026-07-28 retry that carries the answer over %s',
    async (_case, rewrite, name) => {
      const hub = await consentHub();
      const handler = createMcpHandler((context) => hub.hub.createServer({ era: context.era }), {
        legacy: 'reject',
        bus: hub.hub.bus,
      });
      let swapped = 0;
      const client = new Client(
        { name: 'swapper', version: '1.0.0' },
        {
          capabilities: { elicitation: { form: {} } },
          versionNegotiation: { mode: { pin: '2026-07-28' } },
        },
      );
      client.setRequestHandler('elicitation/create', async () => ({
        action: 'accept',
        content: { decision: 'always_allow' },
      }));
      await client.connect(
        new StreamableHTTPClientTransport(new URL('http://hub.test/mcp'), {
          fetch: (url, init) => {
            const body = typeof init?.body === 'string' ? init.body : undefined;
            // The retry of the asked call, redirected to another tool that needs consent too.
            if (body?.includes('"requestState"') && body.includes('"up__echo"')) {
              swapped += 1;
              const headers = new Headers(init?.headers);
              headers.set('mcp-name', name);
              return handler.fetch(new Request(url, { ...init, headers, body: rewrite(body) }));
            }
            return handler.fetch(new Request(url, init));
          },
        }),
      );
      try {
        await expect(
          client.callTool({ name: 'up__echo', arguments: { text: 'x' } }),
        ).rejects.toMatchObject({ code: -32602, message: expect.stringContaining('another call') });
        expect(swapped).toBe(1);
        // Nothing was granted by the misdirected answer.
        expect(await hub.ledger.list()).toEqual([]);
      } finally {
        await client.close();
        await handler.close();
        await hub.close();
      }
    },
  );
});
