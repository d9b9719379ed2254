import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { connectClient } from './auth/test-fixtures.js';
import { parseConfig } from './config/load-config.js';
import { createFedmcpServer } from './create-fedmcp-server.js';
import { upstreamsFromConfig } from './upstreams-from-config.js';

describe('mcpServers.<name>.tools', () => {
  it('passes allow/deny through to the hub', () => {
    const config = parseConfig(
      {
        store: 'memory:',
        mcpServers: { files: { url: 'http://127.0.0.1:1/mcp', tools: { deny: ['*_admin'] } } },
      },
      'test.json',
      { env: {} },
    );
    expect(upstreamsFromConfig(config).get('files')?.options.tools).toEqual({
      deny: ['*_admin'],
    });
  });

  it('hides filtered tools and refuses calls to them, through createFedmcpServer', async () => {
    const upstream = createMcpHttpHost({
      createServer: () => {
        const server = new Server(
          { name: 'files', version: '1.0.0' },
          { capabilities: { tools: {} } },
        );
        server.setRequestHandler('tools/list', () => ({
          tools: ['read_file', 'read_admin', 'write_file'].map((name) => ({
            name,
            inputSchema: { type: 'object' as const },
          })),
        }));
        server.setRequestHandler('tools/call', (request) => ({
          content: [{ type: 'text' as const, text: request.params.name }],
        }));
        return server;
      },
    });
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-tools-filter-'));
    try {
      const { url } = await upstream.listen();
      await using server = await createFedmcpServer({
        config: parseConfig(
          {
            hub: { host: '127.0.0.1', port: 0 },
            store: 'memory:',
            runtime: false, // the filtered upstream's tools only, without the built-in runtime's
            mcpServers: {
              files: { url: `${url}/mcp`, tools: { allow: ['read_*'], deny: ['*_admin'] } },
            },
          },
          'test.json',
          { env: {} },
        ),
        baseDirectory: directory,
      });
      const address = await server.listen();
      const client = await connectClient(address.url, 'streamable-http', {});
      try {
        expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual([
          'files__read_file',
        ]);
        await expect(
          client.callTool({ name: 'files__write_file', arguments: {} }),
        ).rejects.toMatchObject({ code: -32602 });
      } finally {
        await client.close();
      }
    } finally {
      await upstream.close();
      await rm(directory, { recursive: true, force: true });
    }
  }, 30_000);
});
