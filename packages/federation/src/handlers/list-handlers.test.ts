import { createPolicy, type Principal } from '@fedmcp/proxy-auth';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { describe, expect, it, vi } from 'vitest';
import { createHubServer } from '../node/create-hub-server.js';
import { ListPages } from '../pagination.js';
import { createPolicyAccess } from '../policy-access.js';
import type { UpstreamConnector } from '../upstream-options.js';

type ToolDefinition = { name: string; inputSchema: { type: 'object' } };

/** A real SDK server whose tool list can grow, telling its client with `list_changed`. */
function growingUpstream(names: string[]) {
  const tools: ToolDefinition[] = names.map((name) => ({
    name,
    inputSchema: { type: 'object' },
  }));
  const servers = new Set<Server>();
  return {
    tools,
    connect(): Server {
      const server = new Server(
        { name: 'growing', version: '1.0.0' },
        { capabilities: { tools: { listChanged: true } } },
      );
      server.setRequestHandler('tools/list', () => ({ tools: [...tools] }));
      server.setRequestHandler('tools/call', () => ({ content: [] }));
      servers.add(server);
      return server;
    },
    async add(name: string) {
      tools.push({ name, inputSchema: { type: 'object' } });
      for (const server of servers) await server.sendToolListChanged();
    },
  };
}

/** Upstreams in process (the SDK's in-memory transport) by upstream id. */
function inMemoryConnector(servers: Record<string, () => Server>): UpstreamConnector {
  return async (spec, options) => {
    const id = new URL((spec as { url: string }).url).hostname;
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await servers[id]!().connect(serverSide);
    const client = new Client(options.clientInfo, { capabilities: options.capabilities });
    options.configure(client);
    await client.connect(clientSide);
    return client;
  };
}

const principals: Record<string, Principal> = {
  alice: { subject: 'alice', groups: [], scopes: [], authMethod: 'api-key' },
  bob: { subject: 'bob', groups: [], scopes: [], authMethod: 'api-key' },
};

async function connect(url: string, user: string, era: 'legacy' | 'modern'): Promise<Client> {
  const client = new Client(
    { name: `client-${user}`, version: '1.0.0' },
    era === 'legacy' ? { versionNegotiation: { mode: 'legacy' } } : {},
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${user}` } },
    }),
  );
  return client;
}

const namesOf = async (client: Client) =>
  (await client.listTools(undefined, { cacheMode: 'bypass' })).tools.map((tool) => tool.name);

describe('ListPages', () => {
  it('builds a page once per list, variant, page size and cursor, and anew for a new list', () => {
    const pages = new ListPages();
    const list = ['a', 'b', 'c'];
    let builds = 0;
    const build = () => {
      builds += 1;
      return list;
    };
    const first = pages.page(list, '', 'tools', 'tools', undefined, 2, build);
    expect(first).toEqual({ tools: ['a', 'b'], nextCursor: expect.any(String) });
    expect(pages.page(list, '', 'tools', 'tools', undefined, 2, build)).toEqual(first);
    expect(builds).toBe(1);
    const second = pages.page(list, '', 'tools', 'tools', first.nextCursor, 2, build);
    expect(second).toEqual({ tools: ['c'] });
    expect(pages.page(list, 't', 'tools', 'tools', undefined, 2, build)).toEqual(first);
    expect(builds).toBe(3); // the second page, and another variant
    // Each request gets its own result object (the SDK may add fields to it).
    expect(pages.page(list, '', 'tools', 'tools', undefined, 2, build)).not.toBe(
      pages.page(list, '', 'tools', 'tools', undefined, 2, build),
    );
    // A changed list is a new array: built anew.
    const grown = [...list, 'd'];
    expect(pages.page(grown, '', 'tools', 'tools', first.nextCursor, 2, () => grown)).toEqual({
      tools: ['c', 'd'],
    });
  });

  it('shares one kept page per list until the list is replaced (what is derived from it goes too)', () => {
    const pages = new ListPages();
    const list = ['a', 'b', 'c'];
    const kept = pages.shared(list, '', 'tools', 'tools', undefined, 2, () => list);
    expect(pages.shared(list, '', 'tools', 'tools', undefined, 2, () => list)).toBe(kept);
    expect(pages.page(list, '', 'tools', 'tools', undefined, 2, () => list)).toEqual(kept);
    expect(pages.page(list, '', 'tools', 'tools', undefined, 2, () => list)).not.toBe(kept);
    // Another variant, another list (a view's, a rebuilt catalog's): another page.
    expect(pages.shared(list, 't', 'tools', 'tools', undefined, 2, () => list)).not.toBe(kept);
    const grown = [...list, 'd'];
    const fresh = pages.shared(grown, '', 'tools', 'tools', undefined, 2, () => grown);
    expect(fresh).not.toBe(kept);
    expect(fresh).toEqual(kept); // same first page, built anew for the new list
  });

  it('refuses a cursor the hub did not issue, also once the first page is cached', () => {
    const pages = new ListPages();
    const list = ['a', 'b', 'c'];
    pages.page(list, '', 'tools', 'tools', undefined, 2, () => list);
    for (const cursor of ['', 'F', 'nonsense', 42, btoa('prompts.2')]) {
      expect(() => pages.page(list, '', 'tools', 'tools', cursor, 2, () => list)).toThrow(
        /Invalid cursor for tools\/list/,
      );
    }
  });
});

describe('tools/list from the cached pages, through a hub over HTTP', () => {
  it("shows an upstream's new tool at the next listing after its list_changed, to both eras", async () => {
    const growing = growingUpstream(['one']);
    await using server = await createHubServer({
      hubId: 'lists',
      upstreams: { fixed: { url: 'memory://fixed' }, grow: { url: 'memory://grow' } },
      connect: inMemoryConnector({
        fixed: () => growingUpstream(['still']).connect(),
        grow: () => growing.connect(),
      }),
      hub: { healthIntervalMs: 0, pageSize: 2 },
    });
    const { url } = await server.listen();
    const base = url.replace(/\/(mcp)?$/, '');
    const legacy = await connect(base, 'anyone', 'legacy');
    const modern = await connect(base, 'anyone', 'modern');
    try {
      await vi.waitFor(async () => expect(await namesOf(modern)).toHaveLength(2));
      for (const client of [legacy, modern]) {
        // Listed twice: the second listing comes from the cached pages.
        expect((await namesOf(client)).sort()).toEqual(['fixed__still', 'grow__one']);
        expect((await namesOf(client)).sort()).toEqual(['fixed__still', 'grow__one']);
      }
      const told = new Promise<void>((resolve) => {
        legacy.setNotificationHandler('notifications/tools/list_changed', () => resolve());
      });
      await growing.add('two');
      await told; // the hub rebuilt its catalog and told its 2025-era client
      const expected = ['fixed__still', 'grow__one', 'grow__two'];
      expect((await namesOf(legacy)).sort()).toEqual(expected);
      expect((await namesOf(modern)).sort()).toEqual(expected);
    } finally {
      await legacy.close();
      await modern.close();
    }
  });

  it('never answers a principal with the cached page of another whose policy differs', async () => {
    await using server = await createHubServer({
      hubId: 'views',
      upstreams: { u0: { url: 'memory://u0' }, u1: { url: 'memory://u1' } },
      connect: inMemoryConnector({
        u0: () => growingUpstream(['a', 'b']).connect(),
        u1: () => growingUpstream(['c']).connect(),
      }),
      authenticate: (request) =>
        principals[request.headers.get('authorization')?.slice('Bearer '.length) ?? ''],
      hub: {
        healthIntervalMs: 0,
        access: createPolicyAccess({
          policy: createPolicy([
            { effect: 'allow', subjects: ['user:alice'], actions: ['*'], targets: ['u0__*'] },
            { effect: 'allow', subjects: ['user:bob'], actions: ['*'] },
          ]),
        }),
      },
    });
    const { url } = await server.listen();
    const base = url.replace(/\/(mcp)?$/, '');
    const clients: Client[] = [];
    try {
      for (const era of ['legacy', 'modern', 'legacy', 'modern'] as const) {
        // Interleaved, each listing twice: whoever lists first, the other never sees its page.
        const bob = await connect(base, 'bob', era);
        const alice = await connect(base, 'alice', era);
        clients.push(bob, alice);
        await vi.waitFor(async () => expect(await namesOf(bob)).toHaveLength(3));
        for (let round = 0; round < 2; round += 1) {
          expect((await namesOf(alice)).sort()).toEqual(['u0__a', 'u0__b']);
          expect((await namesOf(bob)).sort()).toEqual(['u0__a', 'u0__b', 'u1__c']);
        }
      }
    } finally {
      for (const client of clients) await client.close();
    }
  });

  it('answers a 2025-era session on the fast path: one JSON answer, the SDK path’s result', async () => {
    const options = (fastPath: boolean) => ({
      hubId: 'lists',
      upstreams: { grow: { url: 'memory://grow' } },
      connect: inMemoryConnector({ grow: () => growingUpstream(['one', 'two']).connect() }),
      hub: { healthIntervalMs: 0, pageSize: 1, fastPath },
    });
    const answers = async (fastPath: boolean) => {
      await using server = await createHubServer(options(fastPath));
      const { url } = await server.listen();
      const seen: Array<{ type: string | null; body: unknown }> = [];
      const client = new Client(
        { name: 'lister', version: '1.0.0' },
        { versionNegotiation: { mode: 'legacy' } },
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${url.replace(/\/(mcp)?$/, '')}/mcp`), {
          fetch: async (input, init) => {
            const response = await fetch(input, init);
            const sent = typeof init?.body === 'string' ? init.body : '';
            if (!sent.includes('"tools/list"')) return response;
            const text = await response.text();
            const type = response.headers.get('content-type');
            const data = type?.startsWith('text/event-stream')
              ? text.slice(text.lastIndexOf('data: ') + 6).trim() // the answer: the last event
              : text;
            seen.push({ type, body: { ...JSON.parse(data), id: 0 } });
            return new Response(text, { status: response.status, headers: response.headers });
          },
        }),
      );
      try {
        await vi.waitFor(async () =>
          expect(await namesOf(client)).toEqual(['grow__one', 'grow__two']),
        );
        seen.length = 0;
        await client.listTools(); // every page: two requests
        await expect(client.listTools({ cursor: 'nope' })).rejects.toMatchObject({ code: -32602 });
        // A listing with a progress token is the SDK's to answer (on its stream).
        await client.listTools(undefined, { onprogress: () => {} });
      } finally {
        await client.close();
      }
      return seen;
    };
    const fast = await answers(true);
    const sdk = await answers(false);
    const json = 'application/json';
    const sse = 'text/event-stream';
    expect(fast.map(({ type }) => type)).toEqual([json, json, json, sse, sse]);
    expect(sdk.map(({ type }) => type)).toEqual([sse, sse, sse, sse, sse]);
    expect(fast.map(({ body }) => body)).toEqual(sdk.map(({ body }) => body));
  });
});
