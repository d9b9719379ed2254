import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Server } from '@modelcontextprotocol/server';

const tool = { name: 'hello', inputSchema: { type: 'object' as const } };
const host = createMcpHttpHost({
  createServer: ({ transport, era }) => {
    const server = new Server({ name: 'hello', version: '1.0.0' }, { capabilities: { tools: {} } });
    const text = `hello over ${transport}, ${era} era`;
    server.setRequestHandler('tools/list', () => ({ tools: [tool] }));
    server.setRequestHandler('tools/call', () => ({ content: [{ type: 'text', text }] }));
    return server;
  },
});
const { url } = await host.listen(); // 127.0.0.1, a free port; host.close() drains and stops
process.stdout.write(`MCP on ${url}/mcp (both eras), ${url}/sse and ws${url.slice(4)}/ws\n`);
