/**
 * A 2025-era client's plain call through a peer hub: hub A asks hub B (2026-07-28 between hubs)
 * for no logs unless the session set a level (MCP 2025-11-25: without `logging/setLevel` the
 * server decides what to send), and names the client's own capabilities, so B answers on its
 * 2026-07-28 fast path without building a server for the call. A session that set a level still
 * gets the upstream's logs through both hubs.
 */
import { createHubServer, type HubServer } from '@fedmcp/federation/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import { createTestUpstream } from '../../test/fixtures/test-upstream.js';
import { memoryConnector, textOf } from '../../test/helpers.js';
import type { HubSessionContext } from '../hub-session.js';

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

describe('a 2025-era client through a peer hub', () => {
  it('takes the next hub’s fast path unless the session asked for logs, which still arrive', async () => {
    await using b = await createHubServer({
      hubId: 'b',
      connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }).server }),
      upstreams: { up: { url: 'memory://up' } },
    });
    await using a = await createHubServer({ hubId: 'a' });
    const urlA = (await a.listen()).url;
    const urlB = (await b.listen()).url;
    await b.setPeers({ a: { url: urlA, import: false } });
    await a.setPeers({ b: { url: urlB } });
    const builtByB = recordModernServers(b);

    const messages: Array<{ level?: string; data?: unknown }> = [];
    const client = new Client(
      { name: 'user', version: '1.0.0' },
      { versionNegotiation: { mode: 'legacy' } },
    );
    client.setNotificationHandler('notifications/message', (notification) => {
      messages.push(notification.params as { level?: string; data?: unknown });
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${urlA}/mcp`)));
    try {
      // B's catalog reaches A once the peer link is up.
      await vi.waitFor(
        async () => {
          const { tools } = await client.listTools();
          expect(tools.map((tool) => tool.name)).toContain('b__up__echo');
        },
        { timeout: 15_000 },
      );
      expect(
        textOf(await client.callTool({ name: 'b__up__echo', arguments: { text: 'hop' } })),
      ).toBe('up:hop');
      // No level set: A stamped none, so B had no log level to honour and took its fast path.
      expect(textOf(await client.callTool({ name: 'b__up__log', arguments: {} }))).toBe('logged');
      expect(builtByB).toEqual([]);

      await client.setLoggingLevel('info');
      const logged = await client.callTool({ name: 'b__up__log', arguments: { level: 'notice' } });
      expect(textOf(logged)).toBe('logged');
      await vi.waitFor(() => expect(messages).toHaveLength(1), { timeout: 10_000 });
      expect(messages[0]).toMatchObject({ level: 'notice', data: 'hello' });
      // The level went along: B served the call with a server of its own (its SDK path).
      expect(builtByB.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  }, 60_000);
});
