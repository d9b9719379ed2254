import { createMcpHttpHost } from '@fedmcp/transports/node';
import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import type { Transport } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { INTERACTIVE, textOf } from '../../test/helpers.js';
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
    const host = createMcpHttpHost({ createServer: hub.createServer, bus: hub.bus, port: 0 });
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
});
