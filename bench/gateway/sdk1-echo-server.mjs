/**
 * The echo server of `independent.bench.ts`, written as an SDK 1.32 user writes one: an
 * `McpServer` (`@modelcontextprotocol/sdk` 1.32) with an `echo` tool and a `work` tool (waits `ms`
 * milliseconds, default 20, then answers), their inputs declared with zod as the SDK documents.
 *   node sdk1-echo-server.mjs           over stdio (the upstream of every gateway)
 *   node sdk1-echo-server.mjs --http    the baseline: a sessionful `StreamableHTTPServerTransport`
 *                                        per session on `node:http`, /mcp on 127.0.0.1; prints
 *                                        `LISTENING <port>` once it serves
 */
import { createRequire } from 'node:module';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { serveSessionful } from './sessionful-http.mjs';

// The zod the SDK itself resolves (its peer dependency, not one of the bench's own packages).
const sdkRequire = createRequire(import.meta.resolve('@modelcontextprotocol/sdk/server/mcp.js'));
const { z } = await import(sdkRequire.resolve('zod'));

function createEchoServer() {
  const server = new McpServer({ name: 'bench-echo-sdk1', version: '1.0.0' });
  server.registerTool(
    'echo',
    {
      description: 'Returns its text argument unchanged.',
      inputSchema: { text: z.string().describe('The text to echo back.') },
    },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'work',
    {
      description: 'Waits ms milliseconds (an I/O-bound tool), then answers.',
      inputSchema: { ms: z.number().optional().describe('How long to wait.') },
    },
    async ({ ms }) => {
      await new Promise((resolve) => setTimeout(resolve, ms ?? 20));
      return { content: [{ type: 'text', text: 'worked' }] };
    },
  );
  return server;
}

if (!process.argv.includes('--http')) {
  await createEchoServer().connect(new StdioServerTransport());
} else {
  serveSessionful(
    (options) => new StreamableHTTPServerTransport(options),
    (transport) => createEchoServer().connect(transport),
  );
}
