/**
 * What crosses hub replicas besides requests (issue 14): the answers of a 2025-era client to the
 * hub's server→client requests (sampling, elicitation, roots) POSTed to another replica than the
 * one holding the call, notifications outside calls reaching the replica that holds the session's
 * GET stream, an unsubscribe on one replica releasing the upstream subscription another made, and
 * `subscriptions/listen` streams fed from every replica's upstreams. Three hubs, each behind its
 * own `createMcpHttpHost`, on one store: Redis (127.0.0.1:6379, or FEDMCP_TEST_REDIS_URL); with
 * CI=true a missing Redis fails the run, elsewhere the memory store shared in this process is used.
 */
import { createConsentLedger, createPolicy } from '@fedmcp/proxy-auth';
import { createMemoryStore, type Store } from '@fedmcp/store';
import { createStore } from '@fedmcp/store/node';
import {
  type ClusterSessions,
  createClusterSessions,
  createStoreEventStore,
} from '@fedmcp/transports';
import { createMcpHttpHost, type McpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Server } from '@modelcontextprotocol/server';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestUpstream, type TestUpstreamState } from '../../test/fixtures/test-upstream.js';
import { eventually, memoryConnector, textOf } from '../../test/helpers.js';
import { createConsentStep, createPolicyAccess, type Hub } from '../index.js';
import { createHub } from './index.js';

const redisUrl = process.env.FEDMCP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `fedmcp-test-replica-messages:${crypto.randomUUID()}:`;
const secret = 'the-cluster-secret-of-this-test-0123456789';

async function openStore(): Promise<Store> {
  try {
    const store = await createStore(redisUrl, { prefix });
    await store.kv.get('probe');
    return store;
  } catch (error) {
    if (process.env.CI === 'true') {
      throw new Error(`Redis is required in CI but not reachable at ${redisUrl}: ${error}`);
    }
    process.stderr.write(
      `notice: Redis not reachable at ${redisUrl}; the replica messages test runs on the memory store.\n`,
    );
    return createMemoryStore();
  }
}

const store = await openStore();
const opened: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const item of opened.reverse()) await item.close();
  if (store.engine === 'redis') {
    let cursor: string | undefined;
    do {
      const page = await store.kv.list({ limit: 500, ...(cursor ? { cursor } : {}) });
      for (const entry of page.entries) await store.kv.delete(entry.key);
      cursor = page.cursor;
    } while (cursor);
  }
  await store.close();
});

/**
 * One upstream as every replica sees it: a change announced through any replica's connection
 * reaches every connection that subscribed to the resource, as a real server's would.
 */
const upstreamConnections: Array<{ server: Server; state: TestUpstreamState }> = [];
function announceUpdated(uri: string): void {
  for (const { server, state } of upstreamConnections) {
    if (state.subscribed.includes(uri)) server.sendResourceUpdated({ uri }).catch(() => {});
  }
}

interface Replica {
  url: string;
  hub: Hub;
  host: McpHttpHost;
  cluster: ClusterSessions;
  upstream: TestUpstreamState;
}

/** `Authorization: Bearer <name>` is the principal `{ subject: name }`. */
function authenticate(request: Request): unknown {
  const name = /^Bearer (\w+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
  return name ? { subject: name } : new Response('who are you?', { status: 401 });
}

async function replica(options: { shutdownTimeoutMs?: number } = {}): Promise<Replica> {
  const upstream: TestUpstreamState = {
    cancelled: 0,
    subscribed: [],
    unsolicitedRoots: undefined,
    logLevel: undefined,
  };
  const hub = createHub({
    connect: memoryConnector({
      alpha: () => {
        const { server } = createTestUpstream(
          { name: 'alpha', onResourceUpdated: announceUpdated },
          upstream,
        );
        upstreamConnections.push({ server, state: upstream });
        return server;
      },
    }),
    upstreams: { alpha: { url: 'memory://alpha' } },
    healthIntervalMs: 0,
    // 2026-07-28 retries may land on any replica: one key signs every replica's requestState.
    requestStateKey: secret,
    // `alpha__echo` needs the user's consent, recorded in the shared store.
    access: createPolicyAccess({
      policy: createPolicy([
        { id: 'everyone', effect: 'allow', subjects: ['*'], actions: ['*'] },
        {
          id: 'ask-echo',
          subjects: ['*'],
          actions: ['tools/call'],
          targets: ['alpha__echo'],
          consent: 'required',
        },
      ]),
      consent: createConsentStep({
        ledger: createConsentLedger({ kv: store.kv, keyPrefix: 'consent:' }),
      }),
    }),
  });
  await hub.start();
  const cluster = createClusterSessions({
    secret,
    store,
    prefix: 'sessions:',
    answerForwardTimeoutMs: 500,
  });
  const host = createMcpHttpHost({
    createServer: (context) => hub.createServer(context),
    fastRequest: hub.fastRequest,
    bus: hub.bus,
    cluster,
    eventStore: createStoreEventStore({ store, prefix: 'events:' }),
    authenticate,
    sessionOwner: (principal) => (principal as { subject?: string } | undefined)?.subject,
    ...options,
  });
  const { url } = await host.listen();
  opened.push({
    close: async () => {
      await host.close();
      await cluster.close();
      await hub.close();
    },
  });
  return { url, hub, host, cluster, upstream };
}

const replicas = [await replica(), await replica(), await replica()] as [Replica, Replica, Replica];

/** Sends one raw request of a session to a replica. */
function send(
  target: Replica,
  sessionId: string | undefined,
  options: {
    method?: string;
    user?: string;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<Response> {
  return fetch(`${target.url}/mcp`, {
    method: options.method ?? 'POST',
    headers: {
      authorization: `Bearer ${options.user ?? 'alice'}`,
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      ...(sessionId === undefined ? {} : { 'mcp-session-id': sessionId }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
}

/** Opens a session on a replica by hand; returns its id. */
async function openSession(target: Replica, capabilities: Record<string, unknown> = {}) {
  const initialized = await send(target, undefined, {
    body: {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities,
        clientInfo: { name: 'raw-replicas', version: '1.0.0' },
      },
    },
  });
  const sessionId = initialized.headers.get('mcp-session-id') ?? '';
  expect(await initialized.text()).toContain('"result"');
  const notified = await send(target, sessionId, {
    body: { jsonrpc: '2.0', method: 'notifications/initialized' },
  });
  expect(notified.status).toBe(202);
  return sessionId;
}

/** Reads an SSE body until `done` holds for the text read so far (the reader stays open). */
function sseReader(response: Response) {
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let text = '';
  return {
    async until(done: (read: string) => boolean): Promise<string> {
      while (!done(text)) {
        const { value, done: ended } = await reader.read();
        if (ended) break;
        text += decoder.decode(value, { stream: true });
      }
      return text;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

function callTool(id: number, name: string, args: Record<string, unknown>) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } };
}

describe('messages across hub replicas (2025-era cluster sessions)', () => {
  it('delivers sampling, elicitation and roots answers POSTed to another replica to the waiting call', async () => {
    // Round-robin with no stickiness: each request goes to the next replica.
    let next = 0;
    const answers: Array<{ id: string; servedBy: string }> = [];
    const roundRobin: typeof fetch = (input, init) => {
      const target = replicas[next % replicas.length] as Replica;
      next += 1;
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
      const id = (body as { id?: unknown; result?: unknown } | undefined)?.id;
      if (typeof id === 'string' && (body as { result?: unknown }).result !== undefined) {
        answers.push({ id, servedBy: target.cluster.answers.replicaId });
      }
      const url = new URL(input instanceof Request ? input.url : String(input));
      return fetch(new URL(`${url.pathname}${url.search}`, target.url), init);
    };
    const client = new V1Client(
      { name: 'v1-answers', version: '1.0.0' },
      { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } },
    );
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
      role: 'assistant',
      model: 'test-model',
      content: {
        type: 'text',
        text: `echo ${(request.params.messages[0]?.content as { text?: string } | undefined)?.text}`,
      },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { name: 'Ada' },
    }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: 'file:///work', name: 'work' }],
    }));
    const transport = new V1StreamableHTTPClientTransport(new URL(`${replicas[0].url}/mcp`), {
      fetch: roundRobin,
      requestInit: { headers: { authorization: 'Bearer alice' } },
    });
    await client.connect(transport);
    for (let round = 0; round < 2; round += 1) {
      expect(
        textOf(await client.callTool({ name: 'alpha__sample', arguments: { prompt: 'hi' } })),
      ).toBe('sampled:echo hi');
      expect(
        textOf(await client.callTool({ name: 'alpha__elicit', arguments: { message: 'Who?' } })),
      ).toBe('elicited:accept:{"name":"Ada"}');
      expect(textOf(await client.callTool({ name: 'alpha__roots', arguments: {} }))).toBe(
        'roots:[{"uri":"file:///work","name":"work"}]',
      );
    }
    // The answers carried the asking replica's ids (the SDK server's requests, and the fast
    // path's: `f`), and some arrived at another replica.
    expect(answers.length).toBeGreaterThanOrEqual(6);
    for (const answer of answers) expect(answer.id).toMatch(/^fedmcp\.\w+\.f?\d+$/);
    const crossed = answers.filter(({ id, servedBy }) => !id.startsWith(`fedmcp.${servedBy}.`));
    expect(crossed.length).toBeGreaterThan(0);
    await transport.terminateSession();
    await client.close();
  }, 60_000);

  it('tells the answering client clearly when the request is gone or its replica stopped', async () => {
    const [first, second] = replicas;
    const sessionId = await openSession(first, { sampling: {} });
    const answer = (id: string) => ({
      jsonrpc: '2.0',
      id,
      result: { role: 'assistant', model: 'm', content: { type: 'text', text: 'late' } },
    });
    // A request of a live replica that is no longer waiting.
    const gone = await send(second, sessionId, {
      body: answer(`fedmcp.${first.cluster.answers.replicaId}.999999`),
    });
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain('no longer waiting');
    // A request of a replica that stopped (nobody listens on its channel): bounded, then 504.
    const stopped = await send(second, sessionId, { body: answer('fedmcp.stoppedreplica.1') });
    expect(stopped.status).toBe(504);
    expect(await stopped.text()).toContain('did not confirm');
    // The replica holding a call stops while the client is answering its question.
    const doomed = await replica({ shutdownTimeoutMs: 100 });
    const call = await send(doomed, sessionId, {
      body: callTool(7, 'alpha__sample', { prompt: 'never answered' }),
    });
    const pending = sseReader(call);
    const question = await pending.until((read) => read.includes('sampling/createMessage'));
    const asked = /"id":"(fedmcp\.[^"]+)"/.exec(question)?.[1] ?? '';
    expect(asked.startsWith(`fedmcp.${doomed.cluster.answers.replicaId}.`)).toBe(true);
    await opened.pop()?.close();
    const orphan = await send(second, sessionId, { body: answer(asked) });
    expect(orphan.status).toBe(504);
    // The client's call ended with the replica (its stream closed or cut), rather than hanging.
    await pending.until(() => false).catch(() => '');
    // Another principal cannot answer through the session.
    const mallory = await send(second, sessionId, {
      user: 'mallory',
      body: answer(`fedmcp.${first.cluster.answers.replicaId}.1`),
    });
    expect(mallory.status).toBe(404);
    expect((await send(first, sessionId, { method: 'DELETE' })).status).toBe(200);
  }, 60_000);

  it('writes notifications another replica produces on the GET stream this replica holds, stored once', async () => {
    const [first, second, third] = replicas;
    const sessionId = await openSession(first);
    const stream = await send(first, sessionId, { method: 'GET' });
    expect(stream.status).toBe(200);
    const events = sseReader(stream);

    // Subscribed through the second replica (its upstream holds the subscription) …
    const uri = 'fedmcp://alpha/test://item/1';
    const subscribe = { jsonrpc: '2.0', id: 3, method: 'resources/subscribe', params: { uri } };
    expect(await (await send(second, sessionId, { body: subscribe })).text()).toContain('"result"');
    expect(second.upstream.subscribed).toEqual(['test://item/1']);
    // … whose upstream announces a change: the client hears it on the stream the first holds.
    const touched = await send(second, sessionId, {
      body: callTool(4, 'alpha__touch', { uri: 'test://item/1' }),
    });
    expect(await touched.text()).toContain('touched');
    const seen = await events.until((read) => read.includes('notifications/resources/updated'));
    expect(seen).toMatch(/id: \S+\ndata: .*notifications\/resources\/updated.*test:\/\/item\/1/);
    const nonce = (await first.cluster.tokens.open(sessionId))?.nonce ?? '';
    const stored = await store.streams.read(`events:${nonce}`, { limit: 1000 });
    expect(stored.filter((entry) => entry.data.includes('resources/updated'))).toHaveLength(1);

    // Unsubscribed through the third replica: the second lets go of its upstream subscription.
    const unsubscribe = { jsonrpc: '2.0', id: 5, method: 'resources/unsubscribe', params: { uri } };
    expect(await (await send(third, sessionId, { body: unsubscribe })).text()).toContain(
      '"result"',
    );
    await eventually(() => second.upstream.subscribed.length === 0);
    await events.cancel();
    // Subscribed again there, then the session deleted through the third: released too.
    const again = { ...subscribe, id: 6 };
    expect(await (await send(second, sessionId, { body: again })).text()).toContain('"result"');
    expect(second.upstream.subscribed).toEqual(['test://item/1']);
    expect((await send(third, sessionId, { method: 'DELETE' })).status).toBe(200);
    await eventually(() => second.upstream.subscribed.length === 0);
  }, 60_000);

  it('feeds a 2026-07-28 listen stream on one replica with a change made through another', async () => {
    // Each request to the next replica: the listen stream and the calls land on different ones.
    let next = 0;
    const listenedAt: number[] = [];
    const roundRobin: typeof fetch = (input, init) => {
      const index = next % replicas.length;
      next += 1;
      if (typeof init?.body === 'string' && init.body.includes('subscriptions/listen')) {
        listenedAt.push(index);
      }
      const url = new URL(input instanceof Request ? input.url : String(input));
      return fetch(new URL(`${url.pathname}${url.search}`, (replicas[index] as Replica).url), init);
    };
    const client = new Client(
      { name: 'modern-listen', version: '1.0.0' },
      { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    const updates: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updates.push(notification.params.uri);
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${replicas[0].url}/mcp`), {
        fetch: roundRobin,
        requestInit: { headers: { authorization: 'Bearer alice' } },
      }),
    );
    const uri = 'fedmcp://alpha/test://item/2';
    const subscription = await client.listen({ resourceSubscriptions: [uri] });
    const listening = replicas[listenedAt[0] ?? -1];
    if (!listening) throw new Error('no listen request seen');
    expect(listening.upstream.subscribed).toContain('test://item/2');
    // Two calls, so at least one runs on another replica than the listen stream.
    for (let round = 0; round < 2; round += 1) {
      await client.callTool({ name: 'alpha__touch', arguments: { uri: 'test://item/2' } });
    }
    await eventually(() => updates.length === 2);
    expect(updates).toEqual([uri, uri]);
    await subscription.close();
    await eventually(() => !listening.upstream.subscribed.includes('test://item/2'));
    await client.close();
  }, 60_000);

  it.each(['2025-11-25', '2026-07-28'] as const)(
    'asks for consent on one replica and takes the answer on another (%s client)',
    async (era) => {
      let next = 0;
      const roundRobin: typeof fetch = (input, init) => {
        const target = replicas[next % replicas.length] as Replica;
        next += 1;
        const url = new URL(input instanceof Request ? input.url : String(input));
        return fetch(new URL(`${url.pathname}${url.search}`, target.url), init);
      };
      const client = new Client(
        { name: `consent-${era}`, version: '1.0.0' },
        {
          capabilities: { elicitation: { form: {} } },
          ...(era === '2026-07-28' ? { versionNegotiation: { mode: { pin: era } } } : {}),
        },
      );
      const asked: string[] = [];
      client.setRequestHandler('elicitation/create', async (request) => {
        asked.push(String(request.params.message));
        return { action: 'accept', content: { decision: 'allow_once' } };
      });
      const transport = new StreamableHTTPClientTransport(new URL(`${replicas[0].url}/mcp`), {
        fetch: roundRobin,
        requestInit: {
          headers: { authorization: `Bearer ${era === '2025-11-25' ? 'bob' : 'carol'}` },
        },
      });
      await client.connect(transport);
      for (let round = 0; round < 3; round += 1) {
        const text = `${era}-${round}`;
        expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text } }))).toBe(
          `alpha:${text}`,
        );
      }
      expect(asked).toHaveLength(3);
      if (era === '2025-11-25') await transport.terminateSession();
      await client.close();
    },
    60_000,
  );
});
