import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Client,
  type LoggingMessageNotification,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectUser, startChain, type TestHub, textOf } from './chain-fixtures.js';

/**
 * The rest of the context of a call across a chain of hubs A → B → C, C fronting
 * server-everything (stdio): roots, logging and resource subscriptions reach a user's client at A,
 * in the 2025 era (a session: `logging/setLevel`, `resources/subscribe`, pushed `roots/list`) and
 * in 2026-07-28 (per-request log level, `subscriptions/listen`, roots through `input_required`).
 * The hubs talk to each other in 2026-07-28.
 */

type LogParams = LoggingMessageNotification['params'];
type Era = 'legacy' | 'modern';

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const LOG_LEVEL_META = 'io.modelcontextprotocol/logLevel';
const FEATURES_URI =
  'fedmcp://b/fedmcp://c/fedmcp://everything/demo://resource/static/document/features.md';

/** An end user's SDK client at a hub in `era`: declares roots, records logs and updates. */
async function connectContextClient(hubUrl: string, apiKey: string, era: Era, root: string) {
  const client = new Client(
    { name: `context-client-${era}`, version: '1.0.0' },
    {
      capabilities: { roots: { listChanged: true } },
      versionNegotiation: { mode: era === 'legacy' ? 'legacy' : { pin: '2026-07-28' } },
    },
  );
  const seen = { rootsAsked: 0, logs: [] as LogParams[], updated: [] as string[] };
  client.setRequestHandler('roots/list', () => {
    seen.rootsAsked += 1;
    return { roots: [{ uri: root, name: `project of alice (${era})` }] };
  });
  client.setNotificationHandler('notifications/message', (notification) => {
    seen.logs.push(notification.params);
  });
  client.setNotificationHandler('notifications/resources/updated', (notification) => {
    seen.updated.push(notification.params.uri);
  });
  const transport = new StreamableHTTPClientTransport(new URL(`${hubUrl}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
  });
  await client.connect(transport);
  return {
    client,
    seen,
    async close() {
      if (era === 'legacy') await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

describe.each([
  { era: 'legacy' as const, label: 'a 2025-era client' },
  { era: 'modern' as const, label: 'a 2026-07-28 client' },
])('context across a chain of hubs A → B → C, $label at A', ({ era }) => {
  let directory: string;
  let a: TestHub;
  let b: TestHub;
  let c: TestHub;
  let apiKey: string;
  let user: Awaited<ReturnType<typeof connectContextClient>>;
  const root = `file:///home/alice/${era}-project`;
  /** The per-request log level of a 2026-07-28 call (2025 era: the session's, set once). */
  const logMeta = era === 'modern' ? { _meta: { [LOG_LEVEL_META]: 'debug' } } : {};

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), `fedmcp-chain-context-${era}-`));
    const chain = await startChain(directory);
    ({ a, b, c } = chain);
    apiKey = chain.alice.key;
    user = await connectContextClient(a.url, apiKey, era, root);
    expect(user.client.getProtocolEra()).toBe(era);
    // B's catalog of C may reach A just after A's connection to B is ready (a list_changed).
    await vi.waitFor(
      async () =>
        expect((await user.client.listTools()).tools.map((tool) => tool.name)).toContain(
          'b__c__everything__get-roots-list',
        ),
      { timeout: 15_000, interval: 100 },
    );
    if (era === 'legacy') await user.client.setLoggingLevel('debug');
  }, 60_000);

  afterAll(async () => {
    await user?.close();
    await a?.server.close();
    await b?.server.close();
    await c?.server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('brings a log message server-everything sends during a call at C to the client at A', {
    timeout: 30_000,
  }, async () => {
    const started = await user.client.callTool({
      name: 'b__c__everything__toggle-simulated-logging',
      arguments: {},
      ...logMeta,
    });
    try {
      expect(textOf(started)).toContain('Started simulated, random-leveled logging');
      // server-everything sends one message of a random level as the call starts; each hub puts
      // its upstream's id in front of the logger name.
      await vi.waitFor(() => expect(user.seen.logs.length).toBeGreaterThan(0));
      const [message] = user.seen.logs;
      expect(message).toMatchObject({ logger: 'b/c/everything' });
      expect(LEVELS).toContain(message?.level);
      expect(String(message?.data).toLowerCase()).toMatch(new RegExp(`^${message?.level}[ -]`));
    } finally {
      const stopped = await user.client.callTool({
        name: 'b__c__everything__toggle-simulated-logging',
        arguments: {},
        ...logMeta,
      });
      expect(textOf(stopped)).toContain('Stopped simulated logging');
    }
  });

  if (era === 'modern') {
    it('sends no log message to a 2026-07-28 call that asked for none', {
      timeout: 30_000,
    }, async () => {
      const before = user.seen.logs.length;
      // MCP 2026-07-28: no log level in the request's _meta = no log messages for it. Messages
      // of a call are flushed before its response, so none may arrive after it either.
      const started = await user.client.callTool({
        name: 'b__c__everything__toggle-simulated-logging',
        arguments: {},
      });
      const stopped = await user.client.callTool({
        name: 'b__c__everything__toggle-simulated-logging',
        arguments: {},
      });
      expect(textOf(started)).toContain('Started simulated');
      expect(textOf(stopped)).toContain('Stopped simulated');
      expect(user.seen.logs.length).toBe(before);
    });
  }

  it('delivers resources/updated of a server-everything resource to the client at A', {
    timeout: 30_000,
  }, async () => {
    const uris = (await user.client.listResources()).resources.map((resource) => resource.uri);
    expect(uris).toContain(FEATURES_URI);
    let listen: { close(): Promise<void> } | undefined;
    if (era === 'legacy') {
      await user.client.subscribeResource({ uri: FEATURES_URI });
    } else {
      const subscription = await user.client.listen({ resourceSubscriptions: [FEATURES_URI] });
      expect(subscription.honoredFilter.resourceSubscriptions).toEqual([FEATURES_URI]);
      listen = subscription;
    }
    try {
      // Once the subscription is acknowledged at A, it is in place at C and at server-everything.
      const started = await user.client.callTool({
        name: 'b__c__everything__toggle-subscriber-updates',
        arguments: {},
      });
      try {
        expect(textOf(started)).toContain('Started simulated resource updated notifications');
        await vi.waitFor(() => expect(user.seen.updated).toContain(FEATURES_URI), {
          timeout: 15_000,
          interval: 50,
        });
        expect(new Set(user.seen.updated)).toEqual(new Set([FEATURES_URI]));
      } finally {
        const stopped = await user.client.callTool({
          name: 'b__c__everything__toggle-subscriber-updates',
          arguments: {},
        });
        expect(textOf(stopped)).toContain('Stopped simulated resource updates');
      }
    } finally {
      if (era === 'legacy') await user.client.unsubscribeResource({ uri: FEATURES_URI });
      await listen?.close();
    }
  });

  it('carries a roots/list server-everything asks during a call at C to the client at A and its roots back', {
    timeout: 60_000,
  }, async () => {
    // server-everything asks for roots once per connection (350 ms after initialize) and keeps
    // the answer. C's start-up connection asked outside any call, was answered "no roots" (no
    // client to ask), and shows that to every caller: a known gap of shared upstream connections.
    // A call holding that connection makes C open a fresh one for the roots call, which asks its
    // question during the call: that question must reach the client at A, through B.
    const busy = await connectUser(a.url, apiKey, 'alice');
    const controller = new AbortController();
    const progress: number[] = [];
    const hold = busy.client.callTool(
      {
        name: 'b__c__everything__trigger-long-running-operation',
        arguments: { duration: 30, steps: 60 },
      },
      { signal: controller.signal, onprogress: (value) => progress.push(value.progress) },
    );
    hold.catch(() => {});
    try {
      await vi.waitFor(() => expect(progress.length).toBeGreaterThan(0), { timeout: 15_000 });
      const result = await user.client.callTool({
        name: 'b__c__everything__get-roots-list',
        arguments: {},
      });
      expect(user.seen.rootsAsked).toBeGreaterThan(0);
      expect(textOf(result)).toContain('Current MCP Roots (1 total)');
      expect(textOf(result)).toContain(`project of alice (${era})`);
      expect(textOf(result)).toContain(`URI: ${root}`);
    } finally {
      controller.abort();
      await hold.catch(() => {});
      await busy.close();
    }
  });
});
