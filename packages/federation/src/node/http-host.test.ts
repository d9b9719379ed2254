import { createMcpHttpHost } from '@fedmcp/transports/node';
import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import type { Transport } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { createTestUpstream, type TestUpstreamState } from '../../test/fixtures/test-upstream.js';
import { eventually, INTERACTIVE, memoryConnector, textOf } from '../../test/helpers.js';
import { stdioFixture } from '../../test/node-helpers.js';
import { createHub } from './index.js';

type Kind = 'streamable-http 2025' | 'streamable-http 2026-07-28' | 'sse';

function clientFor(kind: Kind, base: string): { client: Client; transport: Transport } {
  const client = new Client(
    { name: kind, version: '1.0.0' },
    {
      capabilities: INTERACTIVE,
      ...(kind === 'streamable-http 2026-07-28'
        ? { versionNegotiation: { mode: { pin: '2026-07-28' } } }
        : {}),
    },
  );
  client.setRequestHandler('sampling/createMessage', async () => ({
    model: 'm',
    role: 'assistant',
    content: { type: 'text', text: kind },
  }));
  client.setRequestHandler('elicitation/create', async () => ({
    action: 'accept',
    content: { name: kind },
  }));
  const transport =
    kind === 'sse'
      ? new SSEClientTransport(new URL(`${base}/sse`))
      : new StreamableHTTPClientTransport(new URL(`${base}/mcp`));
  return { client, transport };
}

describe('the hub behind the @fedmcp/transports HTTP host', () => {
  it('serves Streamable HTTP (both eras) and SSE clients, with progress and interactive calls', async () => {
    await using hub = createHub({
      upstreams: { alpha: stdioFixture('alpha') },
      healthIntervalMs: 0,
    });
    await hub.start();
    const host = createMcpHttpHost({
      createServer: hub.createServer,
      fastRequest: hub.fastRequest,
      bus: hub.bus,
      port: 0,
    });
    const { url } = await host.listen();
    try {
      for (const kind of ['streamable-http 2025', 'streamable-http 2026-07-28', 'sse'] as const) {
        const { client, transport } = clientFor(kind, url);
        await client.connect(transport);
        expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('alpha__echo');
        const progress: number[] = [];
        await client.callTool(
          { name: 'alpha__progress', arguments: { steps: 2 } },
          { onprogress: (update) => progress.push(update.progress) },
        );
        expect(progress, kind).toEqual([1, 2]);
        expect(
          textOf(await client.callTool({ name: 'alpha__sample', arguments: { prompt: 'p' } })),
        ).toBe(`sampled:${kind}`);
        expect(textOf(await client.callTool({ name: 'alpha__elicit', arguments: {} }))).toBe(
          `elicited:accept:{"name":"${kind}"}`,
        );
        await client.close();
      }
    } finally {
      await host.close();
    }
  }, 60_000);

  it('subscribes upstream for the resources of a 2026-07-28 listen stream, until it closes', async () => {
    const state: TestUpstreamState = {
      cancelled: 0,
      subscribed: [],
      unsolicitedRoots: undefined,
      logLevel: undefined,
    };
    await using hub = createHub({
      connect: memoryConnector({
        alpha: () => createTestUpstream({ name: 'alpha' }, state).server,
      }),
      upstreams: { alpha: { url: 'memory://alpha' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const host = createMcpHttpHost({
      createServer: hub.createServer,
      fastRequest: hub.fastRequest,
      bus: hub.bus,
      port: 0,
    });
    const { url } = await host.listen();
    try {
      const { client, transport } = clientFor('streamable-http 2026-07-28', url);
      const updates: string[] = [];
      client.setNotificationHandler('notifications/resources/updated', (notification) => {
        updates.push(notification.params.uri);
      });
      await client.connect(transport);
      const uri = 'fedmcp://alpha/test://item/1';
      const subscription = await client.listen({ resourceSubscriptions: [uri, 'unknown://x'] });
      // In place before the acknowledgement: the upstream (2025 era) got resources/subscribe.
      expect(state.subscribed).toEqual(['test://item/1']);
      await client.callTool({ name: 'alpha__touch', arguments: { uri: 'test://item/1' } });
      await eventually(() => updates.length === 1);
      expect(updates).toEqual([uri]);
      await subscription.close();
      await eventually(() => state.subscribed.length === 0);
      await client.close();
    } finally {
      await host.close();
    }
  }, 60_000);
});
