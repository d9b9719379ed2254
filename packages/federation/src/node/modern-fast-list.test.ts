/**
 * The 2026-07-28 `tools/list` on the fast path: answered from the cached page without a server
 * per request, with the SDK path's bytes; a list changed upstream is listed anew; each tool's
 * `io.fedmcp/origin` goes to peer hubs and the admin API, not to ordinary clients.
 */
import { createHubServer, type HubServer } from '@fedmcp/federation/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { describe, expect, it, vi } from 'vitest';
import type { HubSessionContext } from '../hub-session.js';
import type { UpstreamConnector } from '../upstream-options.js';

const modern = { versionNegotiation: { mode: { pin: '2026-07-28' as const } } };

/** A real SDK server whose tool list can grow, telling its client with `list_changed`. */
function growingUpstream(names: string[]) {
  const tools = names.map((name) => ({ name, inputSchema: { type: 'object' as const } }));
  const servers = new Set<Server>();
  return {
    connect(): Server {
      const server = new Server(
        { name: 'growing', version: '1.0.0' },
        { capabilities: { tools: { listChanged: true } } },
      );
      server.setRequestHandler('tools/list', () => ({ tools: [...tools] }));
      servers.add(server);
      return server;
    },
    async add(name: string) {
      tools.push({ name, inputSchema: { type: 'object' } });
      for (const server of servers) await server.sendToolListChanged();
    },
  };
}

function inMemoryConnector(create: () => Server): UpstreamConnector {
  return async (_spec, options) => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await create().connect(serverSide);
    const client = new Client(options.clientInfo, { capabilities: options.capabilities });
    options.configure(client);
    await client.connect(clientSide);
    return client;
  };
}

/** Records the 2026-07-28 servers a hub builds (the SDK path builds one per request). */
function recordModernServers(server: HubServer): HubSessionContext[] {
  const built: HubSessionContext[] = [];
  const { hub } = server;
  const createServer = hub.createServer.bind(hub);
  Object.assign(hub, {
    createServer: (context?: HubSessionContext) => {
      if (context?.era === 'modern') built.push(context);
      return createServer(context);
    },
  });
  return built;
}

/** A 2026-07-28 client recording the bodies of its tools/list answers. */
async function listingClient(url: string, token?: string) {
  const bodies: string[] = [];
  const client = new Client({ name: 'lister', version: '1.0.0' }, modern);
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      ...(token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}),
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        const sent = typeof init?.body === 'string' ? init.body : '';
        if (!sent.includes('"tools/list"')) return response;
        const text = await response.text();
        bodies.push(text.replace(/"id":\d+/, '"id":0'));
        return new Response(text, { status: response.status, headers: response.headers });
      },
    }),
  );
  return { client, bodies };
}

describe('the 2026-07-28 tools/list fast path', () => {
  it('answers the cached page with the SDK path’s bytes, without a server per request', async () => {
    const growing = growingUpstream(['one']);
    const options = (fastPath: boolean) => ({
      hubId: 'home',
      upstreams: { grow: { url: 'memory://grow' } },
      connect: inMemoryConnector(() => growing.connect()),
      hub: { healthIntervalMs: 0, fastPath },
    });
    await using fast = await createHubServer(options(true));
    await using sdk = await createHubServer(options(false));
    const builtByFast = recordModernServers(fast);
    const onFast = await listingClient((await fast.listen()).url);
    const onSdk = await listingClient((await sdk.listen()).url);
    builtByFast.length = 0; // the servers of the clients' server/discover
    try {
      for (const { client } of [onFast, onSdk]) {
        const { tools } = await client.listTools();
        expect(tools).toEqual([{ name: 'grow__one', inputSchema: { type: 'object' } }]);
        await expect(client.listTools({ cursor: 'nope' })).rejects.toMatchObject({
          code: -32602,
        });
      }
      expect(builtByFast).toEqual([]);
      expect(onFast.bodies).toEqual(onSdk.bodies);

      // A list_changed upstream: the next listing is the new list (the cached page went with it).
      await growing.add('two');
      await vi.waitFor(
        async () => {
          const { tools } = await onFast.client.listTools();
          expect(tools.map((tool) => tool.name)).toEqual(['grow__one', 'grow__two']);
        },
        { timeout: 10_000 },
      );
      expect(builtByFast).toEqual([]);
    } finally {
      await onFast.client.close();
      await onSdk.client.close();
    }
  }, 60_000);

  it('sends the page serialised once, with the request’s own id and its exact length', async () => {
    const growing = growingUpstream(['one']);
    await using server = await createHubServer({
      hubId: 'home',
      upstreams: { grow: { url: 'memory://grow' } },
      connect: inMemoryConnector(() => growing.connect()),
      hub: { healthIntervalMs: 0, pageSize: 1 },
    });
    const built = recordModernServers(server);
    const { url } = await server.listen();
    const list = async (id: unknown, cursor?: string) => {
      const response = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/list',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'tools/list',
          params: {
            ...(cursor === undefined ? {} : { cursor }),
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientCapabilities': {},
            },
          },
        }),
      });
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
      return JSON.parse(bytes.toString('utf8'));
    };
    // Ids of every JSON-RPC kind, a string needing escapes among them; listed twice each (the
    // second answer comes from the kept bytes).
    for (const id of ['a "quoted" ïd\n', 7, 0, 'x', 7]) {
      const answer = await list(id);
      expect(answer).toMatchObject({ jsonrpc: '2.0', id, result: { resultType: 'complete' } });
      expect(answer.result.tools.map((tool: { name: string }) => tool.name)).toEqual(['grow__one']);
    }
    // A list that grew: its new pages, each with its own cursor, none of the old bytes.
    await growing.add('two');
    await vi.waitFor(async () => expect((await list(1)).result.nextCursor).toBeTypeOf('string'), {
      timeout: 10_000,
    });
    const first = await list(2);
    const second = await list(3, first.result.nextCursor);
    expect([first, second].map((answer) => answer.result.tools[0].name)).toEqual([
      'grow__one',
      'grow__two',
    ]);
    expect(second.result.nextCursor).toBeUndefined();
    expect(await list(4, 'not a cursor')).toMatchObject({ id: 4, error: { code: -32602 } });
    expect(built).toEqual([]);
  }, 60_000);

  it('gives each tool its origin for peer hubs and the admin API only', async () => {
    const principals: Record<string, unknown> = {
      peer: {
        subject: 'alice',
        issuer: 'eu',
        groups: [],
        scopes: [],
        authMethod: 'peer',
        via: ['eu'],
      },
      user: { subject: 'bob', groups: [], scopes: [], authMethod: 'oauth' },
    };
    await using server = await createHubServer({
      hubId: 'home',
      upstreams: { grow: { url: 'memory://grow' } },
      connect: inMemoryConnector(() => growingUpstream(['one']).connect()),
      authenticate: (request) =>
        principals[request.headers.get('authorization')?.slice('Bearer '.length) ?? ''],
      hub: { healthIntervalMs: 0 },
    });
    const { url } = await server.listen();
    const origin = { 'io.fedmcp/origin': { hubs: ['home'], upstreamId: 'grow' } };
    const legacyClient = async (token: string) => {
      const client = new Client(
        { name: 'lister', version: '1.0.0' },
        { versionNegotiation: { mode: 'legacy' } },
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${token}` } },
        }),
      );
      return client;
    };
    const clients = [
      (await listingClient(url, 'peer')).client,
      await legacyClient('peer'),
      (await listingClient(url, 'user')).client,
      await legacyClient('user'),
    ];
    try {
      for (const [index, client] of clients.entries()) {
        // Twice each, interleaved: a cached page of one audience never answers the other.
        for (let round = 0; round < 2; round += 1) {
          const { tools } = await client.listTools();
          expect(tools[0]?._meta).toEqual(index < 2 ? origin : undefined);
        }
      }
      // An in-process caller that asks for origins (the admin API does).
      const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
      await server.hub
        .createServer({
          era: 'legacy',
          transport: 'in-memory',
          principal: principals.user,
          origins: true,
        })
        .connect(serverSide);
      const admin = new Client({ name: 'admin', version: '1.0.0' });
      await admin.connect(clientSide);
      clients.push(admin);
      expect((await admin.listTools()).tools[0]?._meta).toEqual(origin);
    } finally {
      for (const client of clients) await client.close();
    }
  }, 60_000);
});
