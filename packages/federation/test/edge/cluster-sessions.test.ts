// createHubHandler with client-carried 2025-era sessions: two handlers — two isolates, each its
// own hub — on one store serve alternate requests of one SDK v1 session (the session id is the
// session's sealed state), and a deletion through one holds in the other.
import { createMemoryStore } from '@fedmcp/store';
import { createClusterSessions, createStoreEventStore } from '@fedmcp/transports';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it, vi } from 'vitest';
import { createHub, createHubHandler, type HubHandler } from '../../src/index.js';
import { createTestUpstream } from '../fixtures/test-upstream.js';
import { memoryConnector, textOf } from '../helpers.js';

const secret = 'the-edge-cluster-secret-of-this-test-0123456789';

/** Where each request went, by isolate. */
type Served = Array<0 | 1>;

describe('createHubHandler with cluster sessions', () => {
  it('serves one SDK v1 session across two isolates and refuses it everywhere after DELETE', async () => {
    await using store = createMemoryStore();
    const clusters = [0, 1].map(() => createClusterSessions({ secret, store }));
    const built: string[][] = [[], []];
    const handlers: HubHandler[] = [];
    for (const index of [0, 1] as const) {
      const hub = createHub({
        connect: memoryConnector({ alpha: () => createTestUpstream({ name: 'alpha' }).server }),
        upstreams: { alpha: { url: 'memory://alpha' } },
        healthIntervalMs: 0,
      });
      const createServer = hub.createServer;
      hub.createServer = (context) => {
        if (context?.sessionId) built[index]?.push(context.sessionId);
        return createServer(context);
      };
      handlers.push(
        await createHubHandler(hub, {
          hubId: `isolate-${index}`,
          authenticate: (request) => {
            const name = /^Bearer (\w+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
            return name ? { subject: name } : new Response('who are you?', { status: 401 });
          },
          sessionOwner: (principal) => (principal as { subject?: string }).subject,
          cluster: clusters[index],
          eventStore: createStoreEventStore({ store }),
        }),
      );
    }
    try {
      const served: Served = [];
      let next = 0;
      const alternate = (url: string | URL | Request, init?: RequestInit) => {
        const index = (next++ % 2) as 0 | 1;
        served.push(index);
        const handler = handlers[index];
        if (!handler) throw new Error('no handler');
        return handler(new Request(url, init));
      };
      const client = new V1Client({ name: 'v1-isolates', version: '1.0.0' });
      const transport = new V1Transport(new URL('https://edge.example/mcp'), {
        fetch: alternate,
        requestInit: { headers: { authorization: 'Bearer alice' } },
      });
      await client.connect(transport);
      const sessionId = transport.sessionId ?? '';
      expect(sessionId).not.toMatch(/^[0-9a-f-]{36}$/);
      expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('alpha__echo');
      expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: 'x' } }))).toBe(
        'alpha:x',
      );
      const progress: number[] = [];
      await client.callTool({ name: 'alpha__progress', arguments: { steps: 2 } }, undefined, {
        onprogress: (update) => progress.push(update.progress),
      });
      expect(progress).toEqual([1, 2]);
      await client.setLoggingLevel('warning');
      await client.ping();
      expect(new Set(served)).toEqual(new Set([0, 1]));
      expect(built).toEqual([[sessionId], [sessionId]]);

      const ask = (index: 0 | 1, user = 'alice') =>
        handlers[index]?.(
          new Request('https://edge.example/mcp', {
            method: 'POST',
            headers: {
              authorization: `Bearer ${user}`,
              accept: 'application/json, text/event-stream',
              'content-type': 'application/json',
              'mcp-session-id': sessionId,
            },
            body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }),
          }),
        );
      for (const index of [0, 1] as const) {
        expect((await ask(index, 'mallory'))?.status).toBe(404);
      }
      await transport.terminateSession();
      const nonce = (await clusters[0]?.tokens.open(sessionId))?.nonce ?? '';
      // Announced to every isolate through the store's pub/sub.
      while (!clusters.every((cluster) => cluster.revocations.isRevoked(nonce))) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      for (const index of [0, 1] as const) {
        const replayed = await ask(index);
        expect(replayed?.status).toBe(404);
      }
      await client.close();
    } finally {
      for (const handler of handlers) await handler.close();
      for (const cluster of clusters) await cluster.close();
    }
  }, 60_000);

  it('tells a GET stream in the isolate that opened a session of list changes when notifications/initialized went to the other', async () => {
    await using store = createMemoryStore();
    const clusters = [0, 1].map(() => createClusterSessions({ secret, store }));
    const hubs: Array<ReturnType<typeof createHub>> = [];
    const handlers: HubHandler[] = [];
    for (const index of [0, 1] as const) {
      const hub = createHub({
        connect: memoryConnector({
          alpha: () => createTestUpstream({ name: 'alpha' }).server,
          beta: () => createTestUpstream({ name: 'beta' }).server,
        }),
        upstreams: { alpha: { url: 'memory://alpha' } },
        healthIntervalMs: 0,
      });
      hubs.push(hub);
      handlers.push(
        await createHubHandler(hub, {
          hubId: `isolate-${index}`,
          authenticate: () => ({ subject: 'alice' }),
          sessionOwner: (principal) => (principal as { subject?: string }).subject,
          cluster: clusters[index],
          eventStore: createStoreEventStore({ store }),
        }),
      );
    }
    const [first, second] = handlers as [HubHandler, HubHandler];
    const headers = {
      accept: 'application/json, text/event-stream',
      'content-type': 'application/json',
      'mcp-protocol-version': '2025-11-25',
    };
    const post = (handler: HubHandler, message: object, sessionId?: string) =>
      handler(
        new Request('https://edge.example/mcp', {
          method: 'POST',
          headers: { ...headers, ...(sessionId ? { 'mcp-session-id': sessionId } : {}) },
          body: JSON.stringify(message),
        }),
      );
    try {
      // A load balancer's spread: initialize here, its notification there, the GET here again.
      const opened = await post(first, {
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'spread', version: '1.0.0' },
        },
      });
      const sessionId = opened.headers.get('mcp-session-id') ?? '';
      await opened.body?.cancel();
      expect(sessionId).not.toBe('');
      const acknowledged = await post(
        second,
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        sessionId,
      );
      expect(acknowledged.status).toBe(202);
      const stream = await first(
        new Request('https://edge.example/mcp', {
          headers: {
            accept: 'text/event-stream',
            'mcp-protocol-version': '2025-11-25',
            'mcp-session-id': sessionId,
          },
        }),
      );
      expect(stream.status).toBe(200);
      const reader = stream.body?.getReader();
      let received = '';
      const reading = (async () => {
        const decoder = new TextDecoder();
        for (;;) {
          const chunk = await reader?.read();
          if (!chunk || chunk.done) return;
          received += decoder.decode(chunk.value, { stream: true });
        }
      })().catch(() => undefined);
      // Both isolates' hubs hear the same change (a config reload reaches every one).
      for (const hub of hubs) await hub.upstreams.add('beta', { url: 'memory://beta' });
      await vi.waitFor(() => expect(received).toContain('notifications/tools/list_changed'), {
        timeout: 10_000,
        interval: 20,
      });
      await reader?.cancel();
      await reading;
    } finally {
      for (const handler of handlers) await handler.close();
      for (const cluster of clusters) await cluster.close();
    }
  }, 60_000);
});
