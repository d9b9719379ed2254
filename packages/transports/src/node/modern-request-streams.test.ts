/**
 * A 2026-07-28 call whose SSE answer breaks, with a real SDK v2 client: it resumes the stream
 * (the priming event's id) and its call fails at once with the hub's error, on one hub whose
 * connection broke (the hub cancelled the call) and on a cluster where the replica running the
 * call stopped (the other replica probes it). The store the replicas share is an in-process one
 * (this package cannot use `@fedmcp/store`): the e2e cluster test runs the same on Redis.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ClusterSessions, createClusterSessions } from '../cluster-sessions.js';
import type { SessionStateStore } from '../session-revocations.js';
import { ENDED_EVENT_ID, requestStreamTagOf } from './cluster-request-streams.js';
import { createMcpHttpHost } from './create-mcp-http-host.js';
import type { McpHttpHost } from './mcp-http-host-options.js';
import { primeModernStream } from './modern-request-streams.js';

const secret = 'a-cluster-secret-of-at-least-32-characters';

/** A store shared in this process; a replica's view of it goes deaf when the replica "dies". */
function sharedStore() {
  const values = new Map<string, string>();
  const listeners = new Map<string, Set<(message: string, channel: string) => void>>();
  return (): { store: SessionStateStore; kill(): void } => {
    let dead = false;
    const store: SessionStateStore = {
      kv: {
        async get(key) {
          const value = values.get(key);
          return value === undefined ? undefined : { value };
        },
        async set(key, value) {
          values.set(key, value);
          return {};
        },
        async list({ prefix = '' } = {}) {
          const entries = [...values].filter(([key]) => key.startsWith(prefix));
          return { entries: entries.map(([key, value]) => ({ key, value })) };
        },
      },
      pubsub: {
        async publish(channel, message) {
          if (dead) return;
          for (const listener of listeners.get(channel) ?? []) {
            queueMicrotask(() => listener(message, channel));
          }
        },
        async subscribe(channel, listener) {
          const deafened = (message: string, from: string) => {
            if (!dead) listener(message, from);
          };
          const set = listeners.get(channel) ?? new Set();
          listeners.set(channel, set);
          set.add(deafened);
          return { unsubscribe: async () => void set.delete(deafened) };
        },
      },
    };
    const kill = () => {
      dead = true;
    };
    return { store, kill };
  };
}

const hosts: McpHttpHost[] = [];
const clusters: ClusterSessions[] = [];
const clients: Client[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await Promise.allSettled(hosts.splice(0).map((host) => host.close()));
  await Promise.allSettled(clusters.splice(0).map((cluster) => cluster.close()));
});

/** A server whose `slow` tool sends one progress notification and then runs until cancelled. */
function slowServer(seen: { started: number; cancelled: number }) {
  const server = new Server({ name: 'slow', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/call', async (request, ctx) => {
    seen.started += 1;
    const progressToken = request.params._meta?.progressToken;
    if (progressToken !== undefined) {
      await ctx.mcpReq.notify({
        method: 'notifications/progress',
        params: { progressToken, progress: 1, total: 2 },
      });
    }
    await new Promise<void>((resolve) =>
      ctx.mcpReq.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    seen.cancelled += 1;
    return { content: [{ type: 'text' as const, text: 'cancelled' }] };
  });
  return server;
}

async function startHost(cluster?: ClusterSessions) {
  const seen = { started: 0, cancelled: 0 };
  const host = createMcpHttpHost({
    createServer: () => slowServer(seen),
    ...(cluster ? { cluster } : {}),
  });
  hosts.push(host);
  const { url } = await host.listen();
  return { host, url, seen };
}

/**
 * An SDK v2 client pinned to 2026-07-28: its POSTs go to `postTo`, its GETs (resumptions) to
 * `getTo` (a load balancer without stickiness); `answers` holds the text of its POST answers.
 */
async function modernClient(postTo: string, getTo = postTo) {
  const answers: string[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${postTo}/mcp`), {
    fetch: async (_input, init) => {
      const target = init?.method === 'GET' ? getTo : postTo;
      const response = await fetch(`${target}/mcp`, init);
      if (init?.method !== 'POST' || !response.body) return response;
      const [mine, theirs] = response.body.tee();
      const index = answers.push('') - 1;
      void (async () => {
        const decoder = new TextDecoder();
        const reader = theirs.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          answers[index] += decoder.decode(value, { stream: true });
        }
      })().catch(() => {});
      return new Response(mine, { status: response.status, headers: response.headers });
    },
    // Quick resumptions (the default waits 1 s first).
    reconnectionOptions: {
      initialReconnectionDelay: 50,
      maxReconnectionDelay: 500,
      reconnectionDelayGrowFactor: 1.5,
      maxRetries: 2,
    },
  });
  const client = new Client(
    { name: 'modern-streams', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  clients.push(client);
  await client.connect(transport);
  return { client, answers };
}

/** Starts the slow call; resolves once its progress arrived (its SSE answer is open). */
async function startSlowCall(client: Client) {
  let progressed = false;
  const call = client.callTool(
    { name: 'slow', arguments: {} },
    {
      onprogress: () => {
        progressed = true;
      },
      timeout: 120_000,
    },
  );
  call.catch(() => {});
  await vi.waitFor(() => expect(progressed).toBe(true), { timeout: 20_000, interval: 20 });
  return { call };
}

describe('2026-07-28 request streams that break', () => {
  it('on one hub: the SSE answer is primed with an id naming the request; a broken stream ends the call with an error', async () => {
    const { host, url, seen } = await startHost();
    const { client, answers } = await modernClient(url);
    const { call } = await startSlowCall(client);
    const primingId = /^id: (.+)\ndata: \n\n/.exec(answers.at(-1) ?? '')?.[1] ?? '';
    const tag = requestStreamTagOf(primingId);
    expect(tag).toMatchObject({ eventId: 'modern', requestIds: [expect.any(Number)] });

    host.server.closeAllConnections(); // the stream breaks; the hub stays up
    await expect(call).rejects.toThrow(/response stream of this request broke.*Retry it/);
    // The hub cancelled the call when its stream closed, as the error says.
    await vi.waitFor(() => expect(seen.cancelled).toBe(1), { timeout: 20_000, interval: 20 });
  }, 60_000);

  it('on a cluster: when the replica running the call stops, its resumption on another replica ends the call with an error', async () => {
    const viewOf = sharedStore();
    const [first, second] = [viewOf(), viewOf()];
    const replica = (store: SessionStateStore) => {
      const cluster = createClusterSessions({ secret, store, answerForwardTimeoutMs: 300 });
      clusters.push(cluster);
      return startHost(cluster);
    };
    const running = await replica(first.store);
    const other = await replica(second.store);
    const { client } = await modernClient(running.url, other.url);
    const { call } = await startSlowCall(client);

    // "kill -9": the replica hears nothing more on the store and its connections drop.
    first.kill();
    running.host.server.closeAllConnections();
    await expect(call).rejects.toThrow(
      /hub replica running this request stopped before answering it.*Retry it/,
    );
    expect(other.seen.started).toBe(0);
  }, 60_000);

  it('answers a resumption naming no 2026-07-28 stream, or the end of one, 405 with the reason', async () => {
    const { url } = await startHost();
    for (const lastEventId of ['some-other-stream_42', ENDED_EVENT_ID]) {
      const response = await fetch(`${url}/mcp`, {
        headers: {
          accept: 'text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'last-event-id': lastEventId,
        },
      });
      expect(response.status).toBe(405);
      const body = (await response.json()) as { error: { message: string } };
      expect(body.error.message).toContain('no response stream to resume here');
    }
  });
});

describe('primeModernStream', () => {
  const sse = () =>
    new Response('event: message\ndata: {}\n\n', {
      headers: { 'content-type': 'text/event-stream' },
    });
  const request = (method: string, id: string | number = 'call-1') => ({
    jsonrpc: '2.0',
    id,
    method,
    params: {},
  });

  it("puts a priming event naming the replica and the request in front of a request's SSE answer", async () => {
    const primed = primeModernStream(sse(), 'r7', request('tools/call'));
    const text = await primed.text();
    const id = /^id: (.+)\ndata: \n\n/.exec(text)?.[1] ?? '';
    expect(requestStreamTagOf(id)).toEqual({
      eventId: 'modern',
      replica: 'r7',
      requestIds: ['call-1'],
    });
    expect(text.endsWith('event: message\ndata: {}\n\n')).toBe(true);
    expect(primed.headers.get('content-type')).toBe('text/event-stream');
  });

  it('leaves JSON answers, listen streams and notifications as they are', () => {
    const json = Response.json({ jsonrpc: '2.0', id: 1, result: {} });
    expect(primeModernStream(json, 'r7', request('tools/call', 1))).toBe(json);
    const listen = sse();
    expect(primeModernStream(listen, 'r7', request('subscriptions/listen'))).toBe(listen);
    const notified = sse();
    expect(
      primeModernStream(notified, 'r7', { jsonrpc: '2.0', method: 'notifications/cancelled' }),
    ).toBe(notified);
  });
});
