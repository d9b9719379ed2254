import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { InMemoryServerEventBus, Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  createWebSocketClientTransport,
  type WebSocketConstructor,
} from '../websocket-client-transport.js';
import { createMcpHttpHost } from './create-mcp-http-host.js';
import type { ListenObservingServerEventBus, McpListenStream } from './observe-listen.js';

function createListenableServer(): Server {
  return new Server(
    { name: 'listenable', version: '1.0.0' },
    { capabilities: { tools: { listChanged: true }, resources: { subscribe: true } } },
  );
}

function observingBus(): { bus: ListenObservingServerEventBus; seen: McpListenStream[] } {
  const inner = new InMemoryServerEventBus();
  const seen: McpListenStream[] = [];
  return {
    seen,
    bus: {
      publish: (event) => inner.publish(event),
      subscribe: (listener) => inner.subscribe(listener),
      observeListen: (stream) => {
        seen.push(stream);
      },
    },
  };
}

async function until(check: () => boolean): Promise<void> {
  for (let attempt = 0; attempt < 500 && !check(); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(check()).toBe(true);
}

describe('bus.observeListen', () => {
  it('is told about 2026-07-28 listen streams on /mcp and /ws, and when they end', async () => {
    const { bus, seen } = observingBus();
    await using host = createMcpHttpHost({
      createServer: () => createListenableServer(),
      authenticate: () => ({ subject: 'dana' }),
      bus,
      port: 0,
    });
    const { url } = await host.listen();
    const transports = {
      'streamable-http': () => new StreamableHTTPClientTransport(new URL(`${url}/mcp`)),
      websocket: () =>
        createWebSocketClientTransport({
          url: `${url.replace('http', 'ws')}/ws`,
          WebSocket: WebSocket as unknown as WebSocketConstructor,
        }),
    };
    for (const [kind, open] of Object.entries(transports)) {
      const client = new Client(
        { name: kind, version: '1.0.0' },
        { versionNegotiation: { mode: { pin: '2026-07-28' } } },
      );
      await client.connect(open());
      try {
        const before = seen.length;
        const subscription = await client.listen({
          toolsListChanged: true,
          resourceSubscriptions: ['test://a'],
        });
        await until(() => seen.length === before + 1);
        const stream = seen.at(-1)!;
        expect(stream).toMatchObject({
          transport: kind,
          principal: { subject: 'dana' },
          filter: { toolsListChanged: true, resourceSubscriptions: ['test://a'] },
        });
        expect(stream.signal.aborted).toBe(false);
        await subscription.close();
        await until(() => stream.signal.aborted);
      } finally {
        await client.close();
      }
    }
  }, 30_000);
});
