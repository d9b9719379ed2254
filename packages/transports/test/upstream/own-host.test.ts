// connectUpstream against this package's own server side (createMcpHttpHost): every remote
// transport and era the client half offers, through the host half.
import { Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { UpstreamVerdict } from '../../src/connect-upstream.js';
import { connectUpstream } from '../../src/node/connect-upstream.js';
import { createMcpHttpHost } from '../../src/node/create-mcp-http-host.js';

const tool = { name: 'where', inputSchema: { type: 'object' as const } };
const textOf = (result: unknown) =>
  ((result as { content: Array<{ text: string }> }).content[0] ?? { text: '' }).text;

async function startHost() {
  const host = createMcpHttpHost({
    createServer: ({ transport, era }) => {
      const server = new Server(
        { name: 'own-host', version: '1.0.0' },
        { capabilities: { tools: {} } },
      );
      server.setRequestHandler('tools/list', () => ({ tools: [tool] }));
      server.setRequestHandler('tools/call', () => ({
        content: [{ type: 'text', text: `${transport}/${era}` }],
      }));
      return server;
    },
  });
  const { url } = await host.listen();
  return { url, host, [Symbol.asyncDispose]: () => host.close() };
}

describe('connectUpstream → createMcpHttpHost', () => {
  it.each([
    {
      name: 'Streamable HTTP, era auto',
      path: '/mcp',
      options: {},
      expected: ['streamable-http', 'streamable-http/modern'],
    },
    {
      name: 'Streamable HTTP, era legacy',
      path: '/mcp',
      options: { era: 'legacy' as const },
      expected: ['streamable-http', 'streamable-http/legacy'],
    },
    {
      name: 'legacy SSE',
      path: '/sse',
      type: 'sse' as const,
      options: {},
      expected: ['sse', 'sse/legacy'],
    },
    {
      name: 'legacy SSE, found by the fallback',
      path: '/sse',
      options: {},
      expected: ['sse', 'sse/legacy'],
    },
    {
      name: 'WebSocket, era legacy',
      path: '/ws',
      ws: true,
      options: {},
      expected: ['websocket', 'websocket/legacy'],
    },
    {
      name: 'WebSocket, era auto',
      path: '/ws',
      ws: true,
      options: { era: 'auto' as const },
      expected: ['websocket', 'websocket/modern'],
    },
  ])('over $name', async ({ path, type, ws, options, expected }) => {
    await using running = await startHost();
    const base = ws ? `ws${running.url.slice(4)}` : running.url;
    const verdictCache = new Map<string, UpstreamVerdict>();
    const client = await connectUpstream(
      { url: `${base}${path}`, ...(type && { type }) },
      { ...options, verdictCache },
    );
    const [kind, answer] = expected;
    expect(client.transportKind).toBe(kind);
    expect(textOf(await client.callTool({ name: 'where', arguments: {} }))).toBe(answer);
    await client.close();
  });
});
