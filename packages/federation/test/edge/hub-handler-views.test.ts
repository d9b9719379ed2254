// createHubHandler serves the hub's views at /mcp/<view> as the Node host does: SDK v2 clients of
// both eras (fetch straight into the handler) see only a view's tools and are refused the others
// (the 2026-07-28 fast path included), a session opened on a view answers on no other path (also
// as a client-carried cluster session), and an unknown view is answered 404 naming the views.
import { createMemoryStore } from '@fedmcp/store';
import { createClusterSessions } from '@fedmcp/transports';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHub, createHubHandler, type HubHandler } from '../../src/index.js';
import { createTestUpstream } from '../fixtures/test-upstream.js';
import { memoryConnector, textOf } from '../helpers.js';
import { ERAS } from './fixtures/echo-through.js';

const secret = 'the-edge-views-cluster-secret-of-this-test-0123';
const origin = 'https://edge.example';
const bearer = { authorization: 'Bearer ada' };

async function viewsHandler(cluster?: ReturnType<typeof createClusterSessions>) {
  const hub = createHub({
    connect: memoryConnector({ alpha: () => createTestUpstream({ name: 'alpha' }).server }),
    upstreams: { alpha: { url: 'memory://alpha' } },
    healthIntervalMs: 0,
    views: {
      echo: { include: { tools: ['alpha__echo'] } },
      pid: { include: { tools: ['alpha__pid'] } },
    },
  });
  return createHubHandler(hub, {
    hubId: 'views',
    authenticate: (request) => {
      const name = /^Bearer (\w+)$/.exec(request.headers.get('authorization') ?? '')?.[1];
      return name ? { subject: name } : new Response('who are you?', { status: 401 });
    },
    sessionOwner: (principal) => (principal as { subject?: string }).subject,
    ...(cluster ? { cluster } : {}),
  });
}

/** The answer to a call, or the error that refused it. */
async function callOutcome(client: Client, name: string): Promise<string> {
  try {
    const result = await client.callTool({ name, arguments: { text: 'hi' } });
    return `${result.isError ? 'error: ' : ''}${textOf(result)}`;
  } catch (error) {
    return `error: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** A raw 2025-11-25 POST of `tools/list` in `sessionId` at `path`. */
function listIn(handler: HubHandler, path: string, sessionId: string): Promise<Response> {
  return handler(
    new Request(`${origin}${path}`, {
      method: 'POST',
      headers: {
        ...bearer,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    }),
  );
}

describe('createHubHandler views (/mcp/<view>)', () => {
  let handler: HubHandler;
  beforeAll(async () => {
    handler = await viewsHandler();
  });
  afterAll(async () => {
    await handler?.close();
  });

  const connect = async (
    [era, mode]: readonly [string, (typeof ERAS)[number][1]],
    path: string,
  ) => {
    const client = new Client(
      { name: `views-${era}`, version: '1.0.0' },
      { versionNegotiation: { mode } },
    );
    const transport = new StreamableHTTPClientTransport(new URL(path, origin), {
      requestInit: { headers: bearer },
      fetch: (url, init) => handler(new Request(url, init)),
    });
    await client.connect(transport);
    expect(client.getNegotiatedProtocolVersion()).toBe(era);
    return { client, transport };
  };

  it.each(ERAS)(
    'a %s client on a view lists only its tools and is refused the others',
    async (...era) => {
      const { client } = await connect(era, '/mcp/echo');
      try {
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name)).toEqual(['alpha__echo']);
        expect(await callOutcome(client, 'alpha__echo')).toBe('alpha:hi');
        // Outside the view, as for an unknown tool (for 2026-07-28, past the fast path too).
        expect(await callOutcome(client, 'alpha__pid')).toMatch(/^error: .*alpha__pid/);
      } finally {
        await client.close();
      }
      const other = await connect(era, '/mcp/pid');
      try {
        const { tools } = await other.client.listTools();
        expect(tools.map((tool) => tool.name)).toEqual(['alpha__pid']);
        expect(await callOutcome(other.client, 'alpha__echo')).toMatch(/^error: /);
      } finally {
        await other.client.close();
      }
      // /mcp itself still has everything (and its fast path).
      const whole = await connect(era, '/mcp');
      try {
        const { tools } = await whole.client.listTools();
        expect(tools.map((tool) => tool.name)).toEqual(
          expect.arrayContaining(['alpha__echo', 'alpha__pid']),
        );
        expect(await callOutcome(whole.client, 'alpha__echo')).toBe('alpha:hi');
      } finally {
        await whole.client.close();
      }
    },
  );

  it('answers a session opened on a view only on that view', async () => {
    const { client, transport } = await connect(ERAS[1], '/mcp/echo');
    try {
      const sessionId = transport.sessionId;
      if (!sessionId) throw new Error('no session id');
      expect((await listIn(handler, '/mcp/echo', sessionId)).status).toBe(200);
      for (const path of ['/mcp', '/mcp/pid']) {
        const response = await listIn(handler, path, sessionId);
        expect(response.status).toBe(404);
        expect(await response.json()).toMatchObject({ error: { message: /Session not found/ } });
      }
    } finally {
      await client.close();
    }
  });

  it('answers an unknown view 404 naming the views, before authentication', async () => {
    const response = await handler(
      new Request(`${origin}/mcp/nope`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      }),
    );
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as { error: { message: string } };
    expect(error.message).toContain('no view "nope"');
    expect(error.message).toContain('/mcp/echo, /mcp/pid');
  });
});

describe('createHubHandler views with cluster sessions', () => {
  it('refuses a sealed session of a view on another path, in another isolate too', async () => {
    await using store = createMemoryStore();
    const handlers = [await viewsHandler(createClusterSessions({ secret, store }))];
    try {
      handlers.push(await viewsHandler(createClusterSessions({ secret, store })));
      const [first, second] = handlers as [HubHandler, HubHandler];
      const client = new Client(
        { name: 'views-cluster', version: '1.0.0' },
        { versionNegotiation: { mode: 'legacy' } },
      );
      const transport = new StreamableHTTPClientTransport(new URL('/mcp/echo', origin), {
        requestInit: { headers: bearer },
        fetch: (url, init) => first(new Request(url, init)),
      });
      await client.connect(transport);
      try {
        const sessionId = transport.sessionId;
        if (!sessionId) throw new Error('no session id');
        // The other isolate restores it on its own view…
        const restored = await listIn(second, '/mcp/echo', sessionId);
        expect(restored.status).toBe(200);
        expect(await restored.text()).toContain('alpha__echo');
        // …and refuses it on any other path, as the one that opened it does.
        for (const handler of [first, second]) {
          for (const path of ['/mcp', '/mcp/pid']) {
            expect((await listIn(handler, path, sessionId)).status).toBe(404);
          }
        }
      } finally {
        await client.close();
      }
    } finally {
      for (const handler of handlers) await handler.close();
    }
  });
});
