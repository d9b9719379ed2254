import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { McpSessionContext } from '../mcp-session-context.js';
import { createMcpHttpHost } from './create-mcp-http-host.js';

/** A server with one tool answering the view its session was built for. */
function serverFor(context: McpSessionContext): Server {
  const server = new Server({ name: 'views', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'which_view', inputSchema: { type: 'object' } }],
  }));
  server.setRequestHandler('tools/call', () => ({
    content: [{ type: 'text', text: context.view ?? '(none)' }],
  }));
  return server;
}

async function viewOf(url: string): Promise<string> {
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  try {
    const result = await client.callTool({ name: 'which_view', arguments: {} });
    return (result.content as Array<{ text: string }>)[0]!.text;
  } finally {
    await client.close();
  }
}

describe('createMcpHttpHost views', () => {
  it('serves /mcp/<view> with the view in the session context, /mcp without one', async () => {
    await using host = createMcpHttpHost({ createServer: serverFor, views: ['readonly', 'gh'] });
    const { url } = await host.listen();
    expect(await viewOf(`${url}/mcp/readonly`)).toBe('readonly');
    expect(await viewOf(`${url}/mcp/gh`)).toBe('gh');
    expect(await viewOf(`${url}/mcp`)).toBe('(none)');
  });

  it('answers an unknown view 404 naming the views it has', async () => {
    await using host = createMcpHttpHost({ createServer: serverFor, views: ['readonly'] });
    const { url } = await host.listen();
    const response = await fetch(`${url}/mcp/nope`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{}',
    });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toContain('no view "nope"');
    expect(body.error.message).toContain('/mcp/readonly');
  });

  it('serves no view paths without the option', async () => {
    await using host = createMcpHttpHost({ createServer: serverFor });
    const { url } = await host.listen();
    const response = await fetch(`${url}/mcp/readonly`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain(
      'this server has no views',
    );
  });
});
