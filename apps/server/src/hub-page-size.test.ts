/**
 * `hub.pageSize` and the instructions settings of the config file reach the hub: server-everything
 * behind a hub with `pageSize: 5` lists its tools over more than 3 pages (each tool once), and a
 * client gets the configured instructions followed by server-everything's own.
 */
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from './config/load-config.js';
import { createFedmcpServer } from './create-fedmcp-server.js';

const everything = fileURLToPath(
  new URL(
    '../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js',
    import.meta.url,
  ),
);

describe('hub.pageSize and hub.instructions', () => {
  it('pages tools/list with the configured size and merges the configured instructions', async () => {
    await using server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: { port: 0, pageSize: 5, instructions: 'Hub tips.', maxInstructionsChars: 4096 },
          store: 'memory:',
          mcpServers: { everything: { command: process.execPath, args: [everything, 'stdio'] } },
        },
        'fedmcp.config.json',
      ),
    });
    const { url } = await server.listen();
    const client = new Client({ name: 'pages', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    try {
      const names: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await client.request(
          { method: 'tools/list', params: cursor ? { cursor } : {} } as never,
          z.looseObject({}),
        );
        const tools = page.tools as Array<{ name: string }>;
        expect(tools.length).toBeLessThanOrEqual(5);
        names.push(...tools.map((tool) => tool.name));
        cursor = page.nextCursor as string | undefined;
        pages += 1;
      } while (cursor);
      expect(pages).toBeGreaterThan(3);
      expect(new Set(names).size).toBe(names.length);
      expect(names).toContain('everything__echo');
      expect(client.getInstructions()).toMatch(/^Hub tips\.\n\n## everything\n/);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('refuses a page size that is not a positive integer, naming the key', () => {
    expect(() => parseConfig({ hub: { pageSize: 0 } }, 'fedmcp.config.json')).toThrow(/pageSize/);
  });
});
