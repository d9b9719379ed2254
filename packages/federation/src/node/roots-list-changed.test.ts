/**
 * A client's `notifications/roots/list_changed` reaches the upstream connections that would ask
 * that client for its roots (MCP 2025-11-25 client/roots), and no other session's: the upstream
 * re-asks `roots/list` and sees the client's new roots. Covered: a per-session connection, a
 * per-principal one, and a shared connection while a fast-path call of the client is attributed
 * there (issue #18's fast path, which holds no lease: the regression helper H4 reported).
 */
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { type Root, Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { eventually, memoryConnector, textOf } from '../../test/helpers.js';
import type { UpstreamOptions } from '../upstream-options.js';
import { createHub } from './index.js';

/** One upstream server (one per connection): what it heard and the roots it re-asked. */
interface Instance {
  changes: number;
  reasked: Root[][];
}

/**
 * An upstream that re-asks `roots/list` on every `roots/list_changed`; its tool `wait-roots`
 * answers with the roots of the first re-ask after it started (so a call can be in flight
 * while the client changes its roots).
 */
function rootsUpstream(instances: Instance[], started: () => void): Server {
  const instance: Instance = { changes: 0, reasked: [] };
  instances.push(instance);
  const waiters: Array<(roots: Root[]) => void> = [];
  const server = new Server(
    { name: 'roots-up', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler('tools/list', () => ({
    tools: [
      { name: 'echo', inputSchema: { type: 'object' as const } },
      { name: 'wait-roots', inputSchema: { type: 'object' as const } },
    ],
  }));
  server.setRequestHandler('tools/call', async (request) => {
    if (request.params.name === 'echo') return { content: [{ type: 'text', text: 'echo' }] };
    const roots = new Promise<Root[]>((resolve) => waiters.push(resolve));
    started();
    const seen = await roots;
    return { content: [{ type: 'text', text: seen.map((root) => root.uri).join(',') }] };
  });
  server.setNotificationHandler('notifications/roots/list_changed', () => {
    instance.changes += 1;
    void server.listRoots().then(({ roots }) => {
      instance.reasked.push(roots);
      for (const resolve of waiters.splice(0)) resolve(roots);
    });
  });
  return server;
}

async function startHub(options: Partial<UpstreamOptions>) {
  const instances: Instance[] = [];
  let onStarted: () => void = () => {};
  const hub = createHub({
    connect: memoryConnector({ up: () => rootsUpstream(instances, () => onStarted()) }),
    upstreams: { up: { url: 'memory://up', timeoutMs: 60_000, ...options } },
    healthIntervalMs: 0,
  });
  await hub.start();
  const host = createMcpHttpHost({
    createServer: hub.createServer,
    fastRequest: hub.fastRequest,
    port: 0,
    bus: hub.bus,
  });
  const { url } = await host.listen();
  return {
    hub,
    instances,
    /** Resolves when the next `wait-roots` call has started upstream. */
    started: () =>
      new Promise<void>((resolve) => {
        onStarted = resolve;
      }),
    /** A 2025-era client over Streamable HTTP whose roots are `roots.current`. */
    async connect(name: string, initial: string) {
      const roots = { current: [{ uri: initial }] as Root[] };
      const client = new Client(
        { name, version: '1.0.0' },
        { capabilities: { roots: { listChanged: true } } },
      );
      client.setRequestHandler('roots/list', async () => ({ roots: roots.current }));
      await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
      return { client, roots };
    },
    async [Symbol.asyncDispose]() {
      await host.close();
      await hub.close();
    },
  };
}

describe('roots/list_changed forwarding', () => {
  for (const isolation of ['per-session', 'per-principal'] as const) {
    it(`reaches the client's ${isolation} connection, which re-asks and sees the new roots`, async () => {
      await using setup = await startHub({ isolation });
      const alice = await setup.connect('alice', 'file:///alice/one');
      try {
        await alice.client.callTool({ name: 'up__echo', arguments: {} });
        // The hub's primary connection, then the one the call opened for alice.
        expect(setup.instances).toHaveLength(2);
        alice.roots.current = [{ uri: 'file:///alice/two' }];
        await alice.client.sendRootsListChanged();
        await eventually(() => setup.instances[1]?.reasked.length === 1, 30_000);
        expect(setup.instances.map((instance) => instance.reasked)).toEqual([
          [],
          [[{ uri: 'file:///alice/two' }]],
        ]);
      } finally {
        await alice.client.close();
      }
    }, 60_000);
  }

  it("does not reach another session's per-session connection", async () => {
    await using setup = await startHub({ isolation: 'per-session' });
    const alice = await setup.connect('alice', 'file:///alice');
    const bob = await setup.connect('bob', 'file:///bob');
    try {
      await alice.client.callTool({ name: 'up__echo', arguments: {} });
      await bob.client.callTool({ name: 'up__echo', arguments: {} });
      expect(setup.instances).toHaveLength(3);
      bob.roots.current = [{ uri: 'file:///bob/two' }];
      await bob.client.sendRootsListChanged();
      await eventually(() => setup.instances[2]?.reasked.length === 1, 30_000);
      alice.roots.current = [{ uri: 'file:///alice/two' }];
      await alice.client.sendRootsListChanged();
      await eventually(() => setup.instances[1]?.reasked.length === 1, 30_000);
      expect(setup.instances.map((instance) => instance.changes)).toEqual([0, 1, 1]);
      expect(setup.instances.map((instance) => instance.reasked)).toEqual([
        [],
        [[{ uri: 'file:///alice/two' }]],
        [[{ uri: 'file:///bob/two' }]],
      ]);
    } finally {
      await alice.client.close();
      await bob.client.close();
    }
  }, 60_000);

  it('reaches a shared connection where a fast-path call of the client is in flight', async () => {
    await using setup = await startHub({});
    const alice = await setup.connect('alice', 'file:///alice/one');
    try {
      const started = setup.started();
      const call = alice.client.callTool(
        { name: 'up__wait-roots', arguments: {} },
        { timeout: 60_000 },
      );
      await started;
      alice.roots.current = [{ uri: 'file:///alice/two' }];
      await alice.client.sendRootsListChanged();
      // The upstream's re-ask is attributed to the call in flight and answered by its client.
      expect(textOf(await call)).toBe('file:///alice/two');
      expect(setup.instances.reduce((sum, instance) => sum + instance.changes, 0)).toBe(1);
    } finally {
      await alice.client.close();
    }
  }, 60_000);
});
