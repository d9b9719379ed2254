/**
 * Two replicas of one hub on one Redis (a redis-server of this test, on a free port, so the test
 * can stop and restart it without touching the shared 6379): membership, an upstream added through
 * the admin API of one reaching the other (with `list_changed` to a client of the other), a clean
 * shutdown leaving the list at once, and a Redis outage: calls keep working, the audit of those
 * calls is kept and written once Redis is back, `/readyz` says `degraded`, what needs the store
 * fails fast with a clear status, and everything recovers without a restart. Runs whenever
 * CI=true (a missing redis-server fails the run); elsewhere it skips with a printed notice.
 */
import { readAuditEvents } from '@fedmcp/proxy-auth';
import { createStore } from '@fedmcp/store/node';
import { type RedisTestBed, redisServerRequired, startRedisTestBed } from '@fedmcp/test-support';
import { createMcpHttpHost, type McpHttpHost } from '@fedmcp/transports/node';
import { McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { FedmcpServer } from '../create-fedmcp-server.js';
import { apiKeyFor, connectUser, textOf } from '../federation/chain-fixtures.js';
import { startReplica as startServer } from './replica-fixtures.js';

const available = redisServerRequired('the replica cluster test');

function createUpstream(name: string): McpServer {
  const server = new McpServer({ name, version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: `Echoes a text (${name})`, inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text: `${name}: ${text}` }] }),
  );
  server.registerTool(
    'limited',
    { description: `Rate-limited by the hub (${name})`, inputSchema: z.object({}) },
    async () => ({ content: [{ type: 'text', text: `${name}: limited` }] }),
  );
  return server;
}

interface Replica {
  server: FedmcpServer;
  base: string;
  admin<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

describe.runIf(available)('replicas on one Redis', () => {
  let bed: RedisTestBed;
  const upstreams: McpHttpHost[] = [];
  const replicas: Replica[] = [];
  let docsUrl = '';
  let extraUrl = '';
  const admin = { key: '', entry: { hash: '', subject: '' } };
  let user = { key: '', entry: { hash: '', subject: '' } };

  const startReplica = async (name: string): Promise<Replica> => {
    const { server, base } = await startServer({
      name,
      directory: bed.directory,
      config: {
        hub: { host: '127.0.0.1', port: 0, id: 'cluster-hub' },
        store: bed.redis.url,
        runtime: false,
        auth: {
          apiKeys: [{ ...admin.entry, scopes: ['admin'] }, user.entry],
        },
        mcpServers: { docs: { url: docsUrl, type: 'http' } },
        policy: {
          rules: [
            {
              id: 'limited',
              subjects: ['*'],
              actions: ['tools/call'],
              targets: ['*__limited'],
              rateLimit: { limit: 1000, per: 'minute' },
            },
            { id: 'all', effect: 'allow', subjects: ['*'], actions: ['*'] },
          ],
        },
      },
      label: 'cluster test',
      env: { FEDMCP_REPLICA_HEARTBEAT_MS: '200' },
    });
    const replica: Replica = {
      server,
      base,
      async admin(method, path, body) {
        const response = await fetch(`${base}/admin/v1${path}`, {
          method,
          headers: {
            authorization: `Bearer ${admin.key}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await response.text();
        return { status: response.status, body: (text ? JSON.parse(text) : undefined) as never };
      },
    };
    replicas.push(replica);
    return replica;
  };

  const replicaIds = async (replica: Replica) => {
    const { status, body } = await replica.admin<{ replicas: Array<{ id: string }> }>(
      'GET',
      '/replicas',
    );
    expect(status).toBe(200);
    return body.replicas.map(({ id }) => id).sort();
  };

  beforeAll(async () => {
    bed = await startRedisTestBed('fedmcp-cluster-');
    for (const name of ['docs', 'extra']) {
      const host = createMcpHttpHost({ createServer: () => createUpstream(name) });
      upstreams.push(host);
      const { url } = await host.listen();
      if (name === 'docs') docsUrl = `${url}/mcp`;
      else extraUrl = `${url}/mcp`;
    }
    const operator = await apiKeyFor('ops');
    admin.key = operator.key;
    admin.entry = operator.entry;
    user = await apiKeyFor('alice');
  }, 30_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.server.close();
    for (const host of upstreams) await host.close();
    await bed?.[Symbol.asyncDispose]();
  });

  it('lists every replica with its upstreams, and a clean shutdown leaves the list at once', async () => {
    const a = await startReplica('replica-a');
    const b = await startReplica('replica-b');
    expect(await replicaIds(a)).toEqual(['replica-a', 'replica-b']);
    const status = (await (
      await fetch(`${b.base}/status`, { headers: { authorization: `Bearer ${admin.key}` } })
    ).json()) as {
      cluster: {
        replica: string;
        store: string;
        replicas: Array<{ id: string; upstreams: unknown[] }>;
      };
    };
    expect(status.cluster.replica).toBe('replica-b');
    expect(status.cluster.store).toBe('ok');
    expect(status.cluster.replicas.map(({ id }) => id).sort()).toEqual(['replica-a', 'replica-b']);
    expect(status.cluster.replicas[0]?.upstreams).toContainEqual({ id: 'docs', state: 'ready' });
    // The same config on both: one digest (credential values masked before hashing).
    const digests = new Set(
      status.cluster.replicas.map((replica) => (replica as { configDigest?: string }).configDigest),
    );
    expect([...digests]).toEqual([expect.stringMatching(/^[0-9a-f]{12}$/)]);

    const c = await startReplica('replica-c');
    expect(await replicaIds(a)).toContain('replica-c');
    await c.server.close();
    replicas.splice(replicas.indexOf(c), 1);
    expect(await replicaIds(a)).toEqual(['replica-a', 'replica-b']);
  }, 60_000);

  it('applies an upstream added through the admin API of one replica on the other, telling its clients', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const client = await connectUser(b.base, user.key, 'alice');
    try {
      const before = (await client.client.listTools()).tools.map((tool) => tool.name);
      expect(before).toEqual(['docs__echo', 'docs__limited']);
      const added = await a.admin('POST', '/upstreams/extra', { url: extraUrl, type: 'http' });
      expect(added.status).toBe(201);
      const addedAt = performance.now();
      await vi.waitFor(
        () =>
          expect(b.server.hub.upstreams.list().map((upstream) => upstream.id)).toContain('extra'),
        { timeout: 10_000, interval: 5 },
      );
      console.log(
        `cluster: an upstream added on replica a was registered on replica b ${Math.round(performance.now() - addedAt)} ms after a answered`,
      );
      // The client of replica b hears of it, and can call the new tool there.
      await vi.waitFor(() => expect(client.toolsChanged).toBeGreaterThan(0), { timeout: 10_000 });
      const after = (await client.client.listTools()).tools.map((tool) => tool.name);
      expect(after.sort()).toEqual([
        'docs__echo',
        'docs__limited',
        'extra__echo',
        'extra__limited',
      ]);
      const result = await client.client.callTool({
        name: 'extra__echo',
        arguments: { text: 'via b' },
      });
      expect(textOf(result)).toBe('extra: via b');

      const changed = client.toolsChanged;
      expect((await a.admin('DELETE', '/upstreams/extra')).status).toBe(204);
      await vi.waitFor(() => expect(client.toolsChanged).toBeGreaterThan(changed), {
        timeout: 10_000,
      });
      expect((await client.client.listTools()).tools.map((tool) => tool.name)).toEqual([
        'docs__echo',
        'docs__limited',
      ]);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('keeps serving calls through a Redis outage, fails fast what needs the store, and recovers on its own', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const client = await connectUser(a.base, user.key, 'alice');
    try {
      await bed.redis.stop();

      // A forwarded call needs no shared state: it succeeds, its audit event waits in memory.
      const during = await client.client.callTool({
        name: 'docs__echo',
        arguments: { text: 'during the outage' },
      });
      expect(textOf(during)).toBe('docs: during the outage');

      // A call that needs the store (its rate limit counts there) fails with a clear error.
      const limited = await client.client.callTool({ name: 'docs__limited', arguments: {} }).then(
        (result) => JSON.stringify(result),
        (error: Error) => error.message,
      );
      expect(limited).toMatch(/Redis/);
      expect(limited).not.toContain('docs: limited');

      // Readiness says degraded (and keeps the replica in the load balancer).
      const ready = await fetch(`${a.base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'degraded' });
      const detailed = await fetch(`${a.base}/readyz`, {
        headers: { authorization: `Bearer ${admin.key}` },
      });
      expect(await detailed.json()).toMatchObject({ status: 'degraded', store: 'failing' });

      // What needs the store answers with a clear status instead of hanging.
      const listed = await b.admin<{ detail?: string }>('GET', '/replicas');
      expect(listed.status).toBe(503);
      expect(JSON.stringify(listed.body)).toMatch(/shared store does not answer/);
      const status = (await (
        await fetch(`${b.base}/status`, { headers: { authorization: `Bearer ${admin.key}` } })
      ).json()) as { cluster: { store: string; replicas?: unknown } };
      expect(status.cluster).toEqual({ replica: 'replica-b', store: 'unreachable' });

      await bed.redis.start();

      // The replicas re-register (Redis came back empty) and the buffered audit is written.
      await vi.waitFor(
        async () => expect(await replicaIds(b)).toEqual(['replica-a', 'replica-b']),
        {
          timeout: 20_000,
          interval: 200,
        },
      );
      await using reader = await createStore(bed.redis.url);
      await vi.waitFor(
        async () => {
          const events = (await readAuditEvents(reader.streams)).map(({ event }) => event);
          expect(events).toContainEqual(
            expect.objectContaining({ action: 'tools/call', target: 'docs__echo' }),
          );
        },
        { timeout: 20_000, interval: 200 },
      );
      expect((await fetch(`${a.base}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${a.base}/readyz`)).json()).toEqual({ status: 'ready' });

      // Pub/sub works again: an admin change on b reaches a.
      expect(
        (await b.admin('POST', '/upstreams/extra', { url: extraUrl, type: 'http' })).status,
      ).toBe(201);
      await vi.waitFor(
        () =>
          expect(a.server.hub.upstreams.list().map((upstream) => upstream.id)).toContain('extra'),
        { timeout: 10_000 },
      );
    } finally {
      await client.close();
    }
  }, 90_000);
});
