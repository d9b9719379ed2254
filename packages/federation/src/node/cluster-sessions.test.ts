/**
 * Three hub replicas (each a hub behind its own `createMcpHttpHost`) on one store serve one SDK v1
 * Streamable HTTP session whose requests go round-robin to the replicas: the session id carries
 * the session (sealed under the cluster secret), a replica that does not hold the session
 * restores it, and a deletion holds on every replica. The store is Redis (127.0.0.1:6379, or
 * FEDMCP_TEST_REDIS_URL); with CI=true a missing Redis fails the run, elsewhere the test runs on
 * the memory store shared in this process (with a printed notice).
 */
import { createMemoryStore, type Store } from '@fedmcp/store';
import {
  type ClusterSessions,
  createClusterSessions,
  createSessionRevocations,
  createStoreEventStore,
} from '@fedmcp/transports';
import type { McpHttpHost } from '@fedmcp/transports/node';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, describe, expect, it } from 'vitest';
import { clearStore, openSharedRedis } from '../../test/fixtures/replica-hubs.js';
import { createTestUpstream, type TestUpstreamState } from '../../test/fixtures/test-upstream.js';
import { eventually, memoryConnector, textOf } from '../../test/helpers.js';
import type { Hub } from '../index.js';
import { createHub } from './index.js';

const prefix = `fedmcp-test-cluster-sessions:${crypto.randomUUID()}:`;
const secret = 'the-cluster-secret-of-this-test-0123456789';

async function openStore(): Promise<Store> {
  return (
    (await openSharedRedis(prefix, 'the cluster session test runs on the memory store')) ??
    createMemoryStore()
  );
}

const store = await openStore();
const opened: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const item of opened.reverse()) await item.close();
  if (store.engine === 'redis') await clearStore(store);
  await store.close();
});

interface Replica {
  url: string;
  hub: Hub;
  host: McpHttpHost;
  cluster: ClusterSessions;
  /** Sessions this replica's hub built (opened or restored). */
  built: string[];
  /** What this replica's upstream observed (the log level the hub applied to it). */
  upstream: TestUpstreamState;
}

/** `Authorization: Bearer <name>` is the principal `{ subject: name }`. */
function authenticate(request: Request): unknown {
  const name = /^Bearer (\w+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
  return name ? { subject: name } : new Response('who are you?', { status: 401 });
}

async function replica(options: { sessionTtlMs?: number } = {}): Promise<Replica> {
  const upstream: TestUpstreamState = {
    cancelled: 0,
    subscribed: [],
    unsolicitedRoots: undefined,
    logLevel: undefined,
  };
  const hub = createHub({
    connect: memoryConnector({
      alpha: () => createTestUpstream({ name: 'alpha' }, upstream).server,
    }),
    upstreams: { alpha: { url: 'memory://alpha' } },
    healthIntervalMs: 0,
  });
  await hub.start();
  const cluster = createClusterSessions({ secret, store, prefix: 'sessions:', ...options });
  const built: string[] = [];
  const host = createMcpHttpHost({
    createServer: (context) => {
      if (context.sessionId) built.push(context.sessionId);
      return hub.createServer(context);
    },
    fastRequest: hub.fastRequest,
    bus: hub.bus,
    cluster,
    eventStore: createStoreEventStore({ store, prefix: 'events:' }),
    authenticate,
    sessionOwner: (principal) => (principal as { subject?: string } | undefined)?.subject,
  });
  const { url } = await host.listen();
  const result = { url, hub, host, cluster, built, upstream };
  opened.push({
    close: async () => {
      await host.close();
      await cluster.close();
      await hub.close();
    },
  });
  return result;
}

/** A fetch that sends each request to the next replica in turn, and records where it went. */
function roundRobin(replicas: Replica[], served: number[]): typeof fetch {
  let next = 0;
  return (input, init) => {
    const index = next % replicas.length;
    next += 1;
    served.push(index);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const target = new URL(`${url.pathname}${url.search}`, replicas[index]?.url);
    return fetch(target, init);
  };
}

/** Sends one raw request of a session to a replica. */
function send(
  target: Replica,
  sessionId: string,
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
      'mcp-session-id': sessionId,
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
}

const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };

function callTool(name: string, args: Record<string, unknown>) {
  return { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name, arguments: args } };
}

/** Reads an SSE body until `done` holds for the text read so far, then cancels it. */
async function readUntil(response: Response, done: (text: string) => boolean): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) throw new Error('no body');
  const decoder = new TextDecoder();
  let text = '';
  while (!done(text)) {
    const { value, done: ended } = await reader.read();
    if (ended) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  return text;
}

describe('2025-era sessions across hub replicas (client-carried session state)', () => {
  it('serves one SDK v1 session whose requests go round-robin to three replicas', async () => {
    const replicas = [await replica(), await replica(), await replica()];
    const served: number[] = [];
    const client = new V1Client({ name: 'v1-round-robin', version: '1.0.0' });
    const transport = new V1StreamableHTTPClientTransport(new URL(`${replicas[0]?.url}/mcp`), {
      fetch: roundRobin(replicas, served),
      requestInit: { headers: { authorization: 'Bearer alice' } },
    });
    await client.connect(transport);
    const sessionId = transport.sessionId ?? '';
    expect(sessionId).toMatch(/^[\w-]+\.[\w-]+$/); // sealed state, not a bare UUID

    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('alpha__echo');
    expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: 'hi' } }))).toBe(
      'alpha:hi',
    );
    const progress: number[] = [];
    await client.callTool({ name: 'alpha__progress', arguments: { steps: 3 } }, undefined, {
      onprogress: (update) => progress.push(update.progress),
    });
    expect(progress).toEqual([1, 2, 3]);
    // The level is set on one replica and holds on the replicas that restore the session later.
    await client.setLoggingLevel('error');
    // Announced to every replica (pub/sub); a copy applies it before its next request.
    const nonce = (await replicas[0]?.cluster.tokens.open(sessionId))?.nonce ?? '';
    await eventually(() =>
      replicas.every((each) => each.cluster.revocations.knownLogLevel(nonce) === 'error'),
    );
    // Each replica's copy of the session has the level: its hub applied it to its upstream
    // (the hub sets an upstream's level from its sessions' levels only).
    for (let round = 0; round < replicas.length; round += 1) await client.ping();
    await eventually(() => replicas.every((each) => each.upstream.logLevel === 'error'));

    // Every replica served requests of the session, and each built it once (opened or restored).
    expect(new Set(served)).toEqual(new Set([0, 1, 2]));
    for (const each of replicas) expect(each.built).toEqual([sessionId]);

    // Another principal presenting the id, and the id altered by one byte: 404 everywhere.
    const at = sessionId.length - 5;
    const altered = `${sessionId.slice(0, at)}${sessionId[at] === 'A' ? 'B' : 'A'}${sessionId.slice(at + 1)}`;
    for (const each of replicas) {
      expect((await send(each, sessionId, { user: 'mallory', body: ping })).status).toBe(404);
      // Nor may another principal delete it (every replica holds a copy by now).
      expect((await send(each, sessionId, { user: 'mallory', method: 'DELETE' })).status).toBe(404);
      expect((await send(each, altered, { body: ping })).status).toBe(404);
      expect((await send(each, sessionId, { body: ping })).status).toBe(200);
    }

    // DELETE on one replica: the id is refused on every replica from then on.
    await transport.terminateSession();
    // Announced to every replica through the store's pub/sub.
    await eventually(() => replicas.every((each) => each.cluster.revocations.isRevoked(nonce)));
    for (const each of replicas) {
      const replayed = await send(each, sessionId, { body: ping });
      expect(replayed.status).toBe(404);
      expect(await replayed.text()).toContain('Session not found');
      expect((await send(each, sessionId, { method: 'GET' })).status).toBe(404);
    }
    // The replicas that held a copy closed it.
    for (const each of replicas) expect(each.host.sessionCount).toBe(0);
    await client.close();
  }, 60_000);

  it('refuses a session id after its lifetime, on every replica', async () => {
    const replicas = [await replica({ sessionTtlMs: 1 }), await replica({ sessionTtlMs: 1 })];
    const client = new V1Client({ name: 'v1-expiring', version: '1.0.0' });
    const transport = new V1StreamableHTTPClientTransport(new URL(`${replicas[0]?.url}/mcp`), {
      requestInit: { headers: { authorization: 'Bearer alice' } },
    });
    // initialize succeeds; the id it returns has expired by the next request.
    await client.connect(transport).catch(() => {});
    const sessionId = transport.sessionId ?? '';
    expect(sessionId).not.toBe('');
    for (const each of replicas) {
      expect((await send(each, sessionId, { body: ping })).status).toBe(404);
    }
    await client.close();
  }, 60_000);

  it('resumes a GET stream at another replica with Last-Event-ID: the missed events come from the store', async () => {
    const [first, second] = [await replica(), await replica()];
    if (!first || !second) throw new Error('replicas');
    // The handshake by hand: this test holds the session's one standalone GET stream itself.
    const initialized = await fetch(`${first.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer alice',
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'raw-resume', version: '1.0.0' },
        },
      }),
    });
    const sessionId = initialized.headers.get('mcp-session-id') ?? '';
    expect(await initialized.text()).toContain('"result"');
    const notified = await send(first, sessionId, {
      body: { jsonrpc: '2.0', method: 'notifications/initialized' },
    });
    expect(notified.status).toBe(202);

    const stream = await send(first, sessionId, { method: 'GET' });
    expect(stream.status).toBe(200);
    // A notification on the open stream gives the client an event id to resume from.
    const added = await send(first, sessionId, { body: callTool('alpha__add-tool', {}) });
    expect(await added.text()).toContain('added');
    const seen = await readUntil(stream, (read) => /id: (\S+)\ndata: .*list_changed/.test(read));
    const lastEventId = /id: (\S+)\ndata: .*list_changed/.exec(seen)?.[1] ?? '';
    expect(lastEventId).not.toBe('');

    // With no stream open, a subscribed resource changes: the notification is only stored.
    const uri = 'fedmcp://alpha/test://item/1';
    const subscribe = { jsonrpc: '2.0', id: 3, method: 'resources/subscribe', params: { uri } };
    expect(await (await send(first, sessionId, { body: subscribe })).text()).toContain('"result"');
    const touched = await send(first, sessionId, {
      body: callTool('alpha__touch', { uri: 'test://item/1' }),
    });
    expect(await touched.text()).toContain('"result"');
    const nonce = (await first.cluster.tokens.open(sessionId))?.nonce ?? '';
    await eventually(async () =>
      (await store.streams.read(`events:${nonce}`, { limit: 1000 })).some((entry) =>
        entry.data.includes('notifications/resources/updated'),
      ),
    );

    // Resumed at the other replica, which never held the session: the missed notification.
    const resumed = await send(second, sessionId, {
      method: 'GET',
      headers: { 'last-event-id': lastEventId },
    });
    expect(resumed.status).toBe(200);
    const replayed = await readUntil(resumed, (read) =>
      read.includes('notifications/resources/updated'),
    );
    expect(replayed).toContain(uri);
    expect(replayed).not.toContain(`id: ${lastEventId}\n`); // only what came after it
    expect(second.built).toEqual([sessionId]);
    expect((await send(second, sessionId, { method: 'DELETE' })).status).toBe(200);
  }, 60_000);

  it('reads the revocation list again, for deletions announced while a replica could not hear', async () => {
    await using shared = createMemoryStore();
    const revocations = createSessionRevocations({ store: shared, resyncIntervalMs: 50 });
    await revocations.start();
    const closed: string[] = [];
    revocations.onRevoked((nonce) => closed.push(nonce));
    // Another replica deleted a session while this one missed the channel: only the key is there.
    await shared.kv.set('fedmcp:session:revoked:missed', String(Date.now() + 60_000), {
      ttlMs: 60_000,
    });
    expect(revocations.isRevoked('missed')).toBe(false);
    await eventually(() => revocations.isRevoked('missed'));
    expect(closed).toEqual(['missed']);
    await revocations.close();
  });
});
