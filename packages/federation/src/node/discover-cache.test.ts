/**
 * `server/discover` caching per authorization context (issue #19): the hub, a client of a
 * 2026-07-28 upstream over real HTTP, adopts a cached discover result for a new connection while
 * its `ttlMs` lasts, never across callers when it is `private`, across them when it is
 * `public`, and asks again once it expired (driven by the cache's clock) or the upstream went
 * down. The upstream counts the `server/discover` requests reaching it, per caller.
 */
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client } from '@modelcontextprotocol/client';
import { type CacheScope, InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { textOf } from '../../test/helpers.js';
import { DiscoverCache } from '../discover/discover-cache.js';
import { createHub, type Hub } from '../index.js';

const TTL_MS = 60_000;

/** A 2026-07-28 upstream over HTTP whose discover results carry `scope`; counts discovers per caller. */
async function countingUpstream(
  scope: CacheScope,
  port = 0,
  discovers = new Map<string, number>(),
) {
  let extraTool = false;
  const host = createMcpHttpHost({
    port,
    // The hub's listen stream stays open: a restart does not wait for it.
    shutdownTimeoutMs: 0,
    onRequest: (request) => {
      if (request.headers['mcp-method'] === 'server/discover') {
        const caller = String(request.headers.authorization ?? 'hub');
        discovers.set(caller, (discovers.get(caller) ?? 0) + 1);
      }
      return false;
    },
    createServer: (context) => {
      const server = new Server(
        { name: 'who', version: '1.0.0' },
        {
          capabilities: { tools: { listChanged: true } },
          cacheHints: { 'server/discover': { ttlMs: TTL_MS, cacheScope: scope } },
        },
      );
      const authorization = context.headers?.get('authorization') ?? null;
      server.setRequestHandler('tools/list', () => ({
        tools: [
          { name: 'whoami', inputSchema: { type: 'object' as const } },
          ...(extraTool ? [{ name: 'extra', inputSchema: { type: 'object' as const } }] : []),
        ],
      }));
      server.setRequestHandler('tools/call', () => ({
        content: [{ type: 'text', text: String(authorization) }],
      }));
      return server;
    },
  });
  const { url } = await host.listen();
  return {
    host,
    url,
    count: (caller: string) => discovers.get(caller) ?? 0,
    /** Adds a tool and says so (`tools/list_changed` on the listen streams). */
    addTool() {
      extraTool = true;
      host.notify.toolsChanged();
    },
    /** Stops this upstream; the function returned starts it again on the same port (its discovers still counted). */
    async stop() {
      await host.close();
      return () => countingUpstream(scope, Number(new URL(url).port), discovers);
    },
  };
}

async function userClient(hub: Hub, subject: string): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await hub
    .createServer({
      era: 'legacy',
      transport: 'in-memory',
      principal: { subject, issuer: 'https://idp.example', authMethod: 'oauth' },
    })
    .connect(serverSide);
  const client = new Client({ name: subject, version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

async function setUp(scope: CacheScope, timings: { failureThreshold?: number } = {}) {
  let upstream = await countingUpstream(scope);
  let now = 1_000_000;
  const hub = createHub({
    upstreams: {
      who: {
        url: `${upstream.url}/mcp`,
        isolation: 'per-principal',
        credentials: async (caller) => ({
          headers: { authorization: `Bearer ${(caller as { subject: string }).subject}` },
        }),
      },
    },
    discoverCache: new DiscoverCache({ now: () => now }),
    // The idle reaper runs with the health check: callers' connections close between calls, so
    // each call below opens a new one (the health checks are discovers of the hub's own).
    healthIntervalMs: 20,
    idleConnectionMs: 1,
    reconnectBaseMs: 20,
    ...timings,
  });
  await hub.start();
  const alice = await userClient(hub, 'alice');
  const bob = await userClient(hub, 'bob');
  /** Calls as `client` on a connection of its own opened for the call. */
  const call = async (client: Client) => {
    await expect
      .poll(() => hub.upstreams.list()[0]?.connections, { timeout: 15_000, interval: 10 })
      .toBe(1);
    return textOf(await client.callTool({ name: 'who__whoami', arguments: {} }));
  };
  return {
    get upstream() {
      return upstream;
    },
    /** Stops the upstream; the function returned starts it again. */
    async stopUpstream() {
      const start = await upstream.stop();
      return async () => {
        upstream = await start();
      };
    },
    hub,
    call,
    alice,
    bob,
    advance: (ms: number) => {
      now += ms;
    },
    async [Symbol.asyncDispose]() {
      await alice.close();
      await bob.close();
      await hub.close();
      await upstream.host.close();
    },
  };
}

describe('server/discover caching per authorization context', { timeout: 60_000 }, () => {
  it('reuses a private discover result within its ttl for the same caller only, then asks again', async () => {
    await using setup = await setUp('private');
    const { upstream, call, alice, bob } = setup;
    expect(await call(alice)).toBe('Bearer alice');
    expect(upstream.count('Bearer alice')).toBe(1);
    // Alice's next connection, within the ttl: her cached result, no discover.
    expect(await call(alice)).toBe('Bearer alice');
    expect(upstream.count('Bearer alice')).toBe(1);
    // Bob's first connection: Alice's private result is not his.
    expect(await call(bob)).toBe('Bearer bob');
    expect(upstream.count('Bearer bob')).toBe(1);
    // Past the ttl: asked again.
    setup.advance(TTL_MS + 1);
    expect(await call(alice)).toBe('Bearer alice');
    expect(upstream.count('Bearer alice')).toBe(2);
    expect(await call(alice)).toBe('Bearer alice');
    expect(upstream.count('Bearer alice')).toBe(2);
  });

  it('shares a public discover result across callers within its ttl', async () => {
    await using setup = await setUp('public');
    const { upstream, call, alice, bob } = setup;
    // The hub's own connection asked once at start; the result is public.
    expect(upstream.count('hub')).toBeGreaterThanOrEqual(1);
    expect(await call(alice)).toBe('Bearer alice');
    expect(await call(bob)).toBe('Bearer bob');
    expect(upstream.count('Bearer alice')).toBe(0);
    expect(upstream.count('Bearer bob')).toBe(0);
    setup.advance(TTL_MS + 1);
    expect(await call(bob)).toBe('Bearer bob');
    expect(upstream.count('Bearer bob')).toBe(1);
  });

  it('asks again after the upstream went down and came back, whatever the ttl', async () => {
    await using setup = await setUp('private', { failureThreshold: 1 });
    const { call, alice, hub } = setup;
    expect(await call(alice)).toBe('Bearer alice');
    expect(setup.upstream.count('Bearer alice')).toBe(1);
    const start = await setup.stopUpstream();
    await expect.poll(() => hub.upstreams.list()[0]?.state, { timeout: 15_000 }).toBe('down');
    await start();
    await expect.poll(() => hub.upstreams.list()[0]?.state, { timeout: 15_000 }).toBe('ready');
    // Within the ttl, but the upstream restarted: its discover result was dropped.
    expect(await call(alice)).toBe('Bearer alice');
    expect(setup.upstream.count('Bearer alice')).toBe(2);
  });

  it('asks again after the upstream said its tools changed', async () => {
    await using setup = await setUp('private');
    const { call, alice, upstream } = setup;
    expect(await call(alice)).toBe('Bearer alice');
    expect(upstream.count('Bearer alice')).toBe(1);
    // The hub refreshes its catalog on its listen stream's list_changed, then tells its clients.
    const changed = new Promise<void>((resolve) =>
      alice.setNotificationHandler('notifications/tools/list_changed', () => resolve()),
    );
    upstream.addTool();
    await changed;
    // As a client does on list_changed: it lists again, and sees the new tool once the hub has
    // reloaded that upstream's catalog (which is when its discover results are dropped).
    await expect
      .poll(async () => (await alice.listTools()).tools.map(({ name }) => name), {
        timeout: 15_000,
      })
      .toContain('who__extra');
    expect(await call(alice)).toBe('Bearer alice');
    expect(upstream.count('Bearer alice')).toBe(2);
  });
});
