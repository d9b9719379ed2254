/**
 * Policy through a running hub (issue #6): two upstreams (server-everything over stdio, a small
 * SDK server over Streamable HTTP), API keys for `alice` (group dev) and `bob` (group ops), and
 * rules that give dev only some tools, prompts and resources. On every downstream transport the
 * caller sees only what it may use, a forbidden call is refused with POLICY_DENIED naming the rule
 * (and nothing else), allowed calls work, and both are audited. A policy reload sends
 * list_changed to the session whose view changed, and only to it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AuditEvent, generateApiKey, hashApiKey, readAuditEvents } from '@fedmcp/proxy-auth';
import { createStore } from '@fedmcp/store/node';
import { createMcpHttpHost, type McpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { completable, McpServer, ResourceTemplate } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { stdioHubCommand } from './auth/stdio-hub-fixture.js';
import { connectClient } from './auth/test-fixtures.js';
import type { FedmcpConfigInput } from './config/config-schema.js';
import { parseConfig } from './config/load-config.js';
import { createFedmcpServer, type FedmcpServer } from './create-fedmcp-server.js';

const everything = fileURLToPath(
  new URL(
    '../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
    import.meta.url,
  ),
);

const POLICY_DENIED = -32062;
const README = 'fedmcp://docs/note://public/readme';
const SECRET = 'fedmcp://docs/note://secret/keys';
const PAGES = 'fedmcp://docs/note://pages/{page}';

/** The small upstream: three tools, two prompts (with completions), two resources, two templates. */
function createDocsServer(): McpServer {
  const server = new McpServer({ name: 'docs', version: '1.0.0' });
  server.registerTool(
    'lookup',
    { description: 'Looks a word up', inputSchema: z.object({ query: z.string() }) },
    async ({ query }) => ({ content: [{ type: 'text', text: `found ${query}` }] }),
  );
  server.registerTool(
    'drop_table',
    { description: 'Drops a table', inputSchema: z.object({ table: z.string() }) },
    async ({ table }) => ({ content: [{ type: 'text', text: `dropped ${table}` }] }),
  );
  server.registerTool('stats', { description: 'Counts pages' }, async () => ({
    content: [{ type: 'text', text: 'pages: 3' }],
  }));
  const names = (value: string) =>
    ['ada', 'alan', 'grace'].filter((name) => name.startsWith(value));
  server.registerPrompt(
    'greet',
    {
      description: 'Greets someone',
      argsSchema: z.object({ name: completable(z.string(), names) }),
    },
    async ({ name }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `hi ${name}` } }],
    }),
  );
  server.registerPrompt(
    'admin_prompt',
    { description: 'Admin only', argsSchema: z.object({ name: completable(z.string(), names) }) },
    async ({ name }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `root ${name}` } }],
    }),
  );
  server.registerResource(
    'readme',
    'note://public/readme',
    { mimeType: 'text/plain' },
    async (uri) => ({
      contents: [{ uri: uri.href, text: 'read me' }],
    }),
  );
  server.registerResource(
    'keys',
    'note://secret/keys',
    { mimeType: 'text/plain' },
    async (uri) => ({
      contents: [{ uri: uri.href, text: 'the keys' }],
    }),
  );
  server.registerResource(
    'pages',
    new ResourceTemplate('note://pages/{page}', { list: undefined }),
    { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, text: `page ${uri.href}` }] }),
  );
  server.registerResource(
    'secrets',
    new ResourceTemplate('note://secret/{name}', { list: undefined }),
    { mimeType: 'text/plain' },
    async (uri) => ({ contents: [{ uri: uri.href, text: 'secret' }] }),
  );
  return server;
}

/** What dev (and the anonymous stdio caller) may use; the rest of server-everything is not allowed. */
function rules(subject: string, extraTools: string[] = []) {
  return [
    {
      id: 'dev-guard',
      effect: 'deny' as const,
      subjects: [subject],
      actions: ['*'],
      targets: ['docs__drop_table', 'docs__admin_prompt', 'fedmcp://docs/note://secret/*'],
    },
    {
      id: 'dev-docs',
      effect: 'allow' as const,
      subjects: [subject],
      actions: ['tools/call', 'prompts/get', 'resources/*', 'completion/complete'],
      targets: [
        'docs__lookup',
        'ev__echo',
        'docs__greet',
        README,
        PAGES,
        'fedmcp://docs/note://pages/*',
        ...extraTools,
      ],
    },
    { id: 'ops-all', effect: 'allow' as const, subjects: ['group:ops'], actions: ['*'] },
  ];
}

/** Polls `condition` until it holds (no timing assertions: vitest's timeout bounds it). */
async function eventually<T>(
  read: () => Promise<T> | T,
  condition: (value: T) => boolean,
): Promise<T> {
  for (;;) {
    const value = await read();
    if (condition(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type Era = 'legacy' | 'modern';
interface Leg {
  name: string;
  era: Era;
  /** The subject the hub sees (the API key's, or `anonymous` over stdio). */
  subject: string;
  connect(): Promise<Client>;
  /** Reads the audit events this leg's hub recorded. */
  audit(): Promise<AuditEvent[]>;
}

function textsOf(result: { content?: unknown }): string {
  return ((result.content as Array<{ type: string; text?: string }>) ?? [])
    .map((item) => item.text ?? '')
    .join('');
}

describe('policy through a running hub', () => {
  let directory: string;
  let upstream: McpHttpHost;
  let upstreamUrl: string;
  let server: FedmcpServer;
  let baseUrl: string;
  const aliceKey = generateApiKey();
  const bobKey = generateApiKey();
  let config: FedmcpConfigInput;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-policy-'));
    upstream = createMcpHttpHost({ createServer: () => createDocsServer() });
    upstreamUrl = `${(await upstream.listen()).url}/mcp`;
    config = {
      hub: { host: '127.0.0.1', port: 0, name: 'policy-hub' },
      store: `sqlite:${join(directory, 'hub.db')}`,
      auth: {
        apiKeys: [
          { hash: await hashApiKey(aliceKey), subject: 'alice', groups: ['dev'] },
          { hash: await hashApiKey(bobKey), subject: 'bob', groups: ['ops'] },
        ],
      },
      mcpServers: {
        ev: { command: process.execPath, args: [everything, 'stdio'] },
        docs: { url: upstreamUrl, type: 'http' },
      },
      policy: { rules: rules('group:dev') },
    };
    server = await createFedmcpServer({
      config: parseConfig(config, 'test.json', { env: {} }),
      baseDirectory: directory,
    });
    ({ url: baseUrl } = await server.listen());
    expect(
      server
        .upstreams()
        .map(({ id, state }) => `${id}:${state}`)
        .sort(),
    ).toEqual(['docs:ready', 'ev:ready']);
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    await rm(directory, { recursive: true, force: true });
  });

  const hubAudit = async () =>
    (await readAuditEvents(server.store.streams)).map(({ event }) => event);

  const httpLeg = (name: string, era: Era, connect: () => Promise<Client>): Leg => ({
    name,
    era,
    subject: 'alice',
    connect,
    audit: hubAudit,
  });

  const modernClient = async (key: string) => {
    const client = new Client(
      { name: 'modern', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
        fetch: (input, init) => {
          const headers = new Headers(init?.headers);
          headers.set('x-api-key', key);
          return fetch(input, { ...init, headers });
        },
      }),
    );
    return client;
  };

  const legs: Leg[] = [
    httpLeg('Streamable HTTP 2025', 'legacy', () =>
      connectClient(baseUrl, 'streamable-http', { 'x-api-key': aliceKey }),
    ),
    httpLeg('Streamable HTTP 2026-07-28', 'modern', () => modernClient(aliceKey)),
    httpLeg('legacy SSE', 'legacy', () => connectClient(baseUrl, 'sse', { 'x-api-key': aliceKey })),
    httpLeg('WebSocket', 'legacy', () =>
      connectClient(baseUrl, 'websocket', { authorization: `Bearer ${aliceKey}` }),
    ),
    (() => {
      const storePath = () => join(directory, 'stdio.db');
      return {
        name: 'stdio (anonymous)',
        era: 'legacy' as const,
        subject: 'anonymous',
        async connect() {
          // The stdio hub is its own process: no authentication, so its rules name user:anonymous.
          const file = join(directory, 'stdio.config.json');
          const { auth: _auth, ...withoutAuth } = config;
          await writeFile(
            file,
            JSON.stringify({
              ...withoutAuth,
              store: `sqlite:${storePath()}`,
              policy: { rules: rules('user:anonymous') },
            }),
          );
          const { command, args } = stdioHubCommand(file);
          const client = new Client({ name: 'stdio-client', version: '1.0.0' });
          await client.connect(new StdioClientTransport({ command, args, stderr: 'pipe' }));
          // The child hub answers before a slow upstream is ready (it retries a failed start):
          // wait until both upstreams' allowed tools are there.
          await eventually(
            async () => (await client.listTools()).tools.map((tool) => tool.name),
            (names) => names.includes('ev__echo') && names.includes('docs__lookup'),
          );
          return client;
        },
        async audit() {
          const store = await createStore(`sqlite:${storePath()}`);
          try {
            return (await readAuditEvents(store.streams)).map(({ event }) => event);
          } finally {
            await store.close();
          }
        },
      };
    })(),
  ];

  for (const leg of legs) {
    describe(leg.name, () => {
      let client: Client;
      beforeAll(async () => {
        client = await leg.connect();
      }, 60_000);
      afterAll(async () => {
        await client?.close();
      });

      it('lists only the tools, prompts, resources and templates the caller may use', async () => {
        expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
          'docs__lookup',
          'ev__echo',
        ]);
        expect((await client.listPrompts()).prompts.map((prompt) => prompt.name)).toEqual([
          'docs__greet',
        ]);
        expect((await client.listResources()).resources.map((resource) => resource.uri)).toEqual([
          README,
        ]);
        expect(
          (await client.listResourceTemplates()).resourceTemplates.map((item) => item.uriTemplate),
        ).toEqual([PAGES]);
      });

      it('serves the allowed calls', async () => {
        expect(
          textsOf(await client.callTool({ name: 'docs__lookup', arguments: { query: 'mcp' } })),
        ).toBe('found mcp');
        expect(
          textsOf(await client.callTool({ name: 'ev__echo', arguments: { message: 'hi' } })),
        ).toContain('hi');
        const prompt = await client.getPrompt({ name: 'docs__greet', arguments: { name: 'ada' } });
        expect(prompt.messages[0]?.content).toMatchObject({ text: 'hi ada' });
        const read = await client.readResource({ uri: README });
        expect(read.contents[0]).toMatchObject({ text: 'read me' });
        const page = await client.readResource({ uri: 'fedmcp://docs/note://pages/intro' });
        expect(page.contents[0]).toMatchObject({ text: 'page note://pages/intro' });
        const completion = await client.complete({
          ref: { type: 'ref/prompt', name: 'docs__greet' },
          argument: { name: 'name', value: 'a' },
        });
        expect(completion.completion.values).toEqual(['ada', 'alan']);
        if (leg.era === 'legacy') await client.subscribeResource({ uri: README });
      });

      it('refuses every forbidden operation with POLICY_DENIED naming the rule, and nothing else', async () => {
        const refusals: Array<[string, () => Promise<unknown>]> = [
          [
            'tools/call',
            () => client.callTool({ name: 'docs__drop_table', arguments: { table: 't' } }),
          ],
          [
            'prompts/get',
            () => client.getPrompt({ name: 'docs__admin_prompt', arguments: { name: 'x' } }),
          ],
          ['resources/read', () => client.readResource({ uri: SECRET })],
          [
            'resources/read (template)',
            () => client.readResource({ uri: 'fedmcp://docs/note://secret/db' }),
          ],
          [
            'completion/complete',
            () =>
              client.complete({
                ref: { type: 'ref/prompt', name: 'docs__admin_prompt' },
                argument: { name: 'name', value: 'a' },
              }),
          ],
        ];
        // 2026-07-28 has no resources/subscribe (subscriptions ride subscriptions/listen).
        if (leg.era === 'legacy') {
          refusals.push(['resources/subscribe', () => client.subscribeResource({ uri: SECRET })]);
        }
        for (const [action, run] of refusals) {
          const error = (await run().then(
            () => undefined,
            (caught: unknown) => caught,
          )) as { code?: number; message?: string; data?: { rule?: unknown } } | undefined;
          expect(error, action).toBeDefined();
          expect(error?.code, action).toBe(POLICY_DENIED);
          expect(error?.data?.rule, action).toBe('dev-guard');
          expect(error?.message, action).toContain('"dev-guard"');
          // Names the refused target at most, never what else exists or is allowed.
          for (const other of ['docs__lookup', 'ev__echo', 'docs__greet', 'docs__stats', README]) {
            expect(error?.message, action).not.toContain(other);
          }
        }
        // Not allowed by any rule (server-everything's other tools): refused without a rule name.
        const unlisted = (await client
          .callTool({ name: 'ev__get-sum', arguments: { a: 1, b: 2 } })
          .then(
            () => undefined,
            (caught: unknown) => caught,
          )) as { code?: number; message?: string; data?: { rule?: unknown } };
        expect(unlisted.code).toBe(POLICY_DENIED);
        expect(unlisted.data?.rule ?? null).toBeNull();
        expect(unlisted.message).not.toContain('docs__lookup');
      });

      it('audits the denied call as a policy event and the allowed one as a call event', async () => {
        // Both records: another process (the stdio hub's reader) sees a record once the hub
        // commits it, up to the audit journal's 50 ms after the answer.
        const recorded = (event: AuditEvent, type: string, target: string) =>
          event.type === type &&
          event.target === target &&
          event.principal?.subject === leg.subject;
        const events = await eventually(
          leg.audit,
          (all) =>
            all.some((event) => recorded(event, 'call', 'docs__lookup')) &&
            all.some((event) => recorded(event, 'policy', 'docs__drop_table')),
        );
        const mine = events.filter((event) => event.principal?.subject === leg.subject);
        expect(
          mine.find((event) => event.type === 'policy' && event.target === 'docs__drop_table'),
        ).toMatchObject({
          outcome: 'denied',
          action: 'tools/call',
          upstream: 'docs',
          rule: 'dev-guard',
        });
        const call = mine.find((event) => event.type === 'call' && event.target === 'docs__lookup');
        expect(call).toMatchObject({
          outcome: 'success',
          action: 'tools/call',
          upstream: 'docs',
          rule: 'dev-docs',
        });
        expect(call?.latencyMs).toBeTypeOf('number');
      });
    });
  }

  it('sends list_changed after a policy reload to the session whose view changed, and only to it', async () => {
    const alice = await connectClient(baseUrl, 'streamable-http', { 'x-api-key': aliceKey });
    const bob = await connectClient(baseUrl, 'streamable-http', { 'x-api-key': bobKey });
    try {
      const changed = { alice: 0, bob: 0 };
      alice.setNotificationHandler('notifications/tools/list_changed', () => {
        changed.alice += 1;
      });
      bob.setNotificationHandler('notifications/tools/list_changed', () => {
        changed.bob += 1;
      });
      const bobTools = (await bob.listTools()).tools.map((tool) => tool.name).sort();
      expect(bobTools).toContain('docs__stats');
      expect((await alice.listTools()).tools.map((tool) => tool.name)).not.toContain('docs__stats');
      await expect(alice.callTool({ name: 'docs__stats', arguments: {} })).rejects.toMatchObject({
        code: POLICY_DENIED,
      });

      const next: FedmcpConfigInput = {
        ...config,
        policy: { rules: rules('group:dev', ['docs__stats']) },
      };
      expect(await server.applyConfig(parseConfig(next, 'test.json', { env: {} }))).toEqual([]);
      await eventually(
        () => changed.alice,
        (count) => count > 0,
      );
      expect((await alice.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
        'docs__lookup',
        'docs__stats',
        'ev__echo',
      ]);
      expect(textsOf(await alice.callTool({ name: 'docs__stats', arguments: {} }))).toBe(
        'pages: 3',
      );
      // A round trip on bob's session after alice's notification: anything sent to bob is in.
      expect((await bob.listTools()).tools.map((tool) => tool.name).sort()).toEqual(bobTools);
      await bob.ping();
      expect(changed.bob).toBe(0);
    } finally {
      await alice.close();
      await bob.close();
    }
  }, 30_000);
});
