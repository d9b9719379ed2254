import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import {
  InMemoryServerEventBus,
  Server,
  SUBSCRIPTION_ID_META_KEY,
} from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { createMcpHttpHost } from './create-mcp-http-host.js';
import type { ListenServingServerEventBus, McpListenRequest } from './observe-listen.js';

/**
 * A bus that serves listens whose filter names `custom` itself: an acknowledgement, one
 * notification of its own, then the graceful close (the listen request's result).
 */
function servingBus(): { bus: ListenServingServerEventBus; offered: McpListenRequest[] } {
  const inner = new InMemoryServerEventBus();
  const offered: McpListenRequest[] = [];
  return {
    offered,
    bus: {
      publish: (event) => inner.publish(event),
      subscribe: (listener) => inner.subscribe(listener),
      serveListen: async (request) => {
        offered.push(request);
        const message = request.message as {
          id: string;
          params: { notifications: Record<string, unknown> };
        };
        if (!('custom' in message.params.notifications)) return undefined;
        const meta = { [SUBSCRIPTION_ID_META_KEY]: message.id };
        const frames = [
          {
            method: 'notifications/subscriptions/acknowledged',
            params: { notifications: {}, _meta: meta },
          },
          { method: 'acme/custom', params: { hello: 'listener', _meta: meta } },
          { id: message.id, result: { resultType: 'complete', _meta: meta } },
        ];
        const body = frames
          .map(
            (frame) => `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', ...frame })}\n\n`,
          )
          .join('');
        return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
      },
    },
  };
}

describe('bus.serveListen', () => {
  it('is offered every 2026-07-28 listen on /mcp, serves the ones it takes, and leaves the rest to the SDK', async () => {
    const { bus, offered } = servingBus();
    await using host = createMcpHttpHost({
      createServer: () =>
        new Server(
          { name: 'listenable', version: '1.0.0' },
          { capabilities: { tools: { listChanged: true } } },
        ),
      authenticate: () => ({ subject: 'dana' }),
      bus,
      port: 0,
    });
    const { url } = await host.listen();
    const client = new Client(
      { name: 'modern', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    const custom: unknown[] = [];
    client.fallbackNotificationHandler = async (notification) => {
      custom.push(notification);
    };
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    try {
      // Taken by the bus: its own notification, then its graceful close.
      const taken = await client.listen({ custom: true } as never);
      expect(await taken.closed).toBe('graceful');
      expect(custom).toMatchObject([{ method: 'acme/custom', params: { hello: 'listener' } }]);
      expect(offered.at(-1)).toMatchObject({
        principal: { subject: 'dana' },
        message: { method: 'subscriptions/listen', params: { notifications: { custom: true } } },
      });
      // Declined: the SDK serves it (its acknowledgement honours the server's capabilities).
      const declined = await client.listen({ toolsListChanged: true });
      expect(declined.honoredFilter).toEqual({ toolsListChanged: true });
      expect(offered).toHaveLength(2);
      await declined.close();
    } finally {
      await client.close();
    }
  });
});
