/**
 * The upstream of the auth-hub benchmark: one `echo` tool on a low-level SDK v2 `Server`, served
 * over stdio when run as a script (`node … echo-upstream.ts stdio`).
 */
import { Server } from '@modelcontextprotocol/server';

export function createEchoUpstream(): Server {
  const server = new Server({ name: 'echo', version: '1.0.0' }, { capabilities: { tools: {} } });
  const tools = [
    {
      name: 'echo',
      inputSchema: { type: 'object' as const, properties: { text: { type: 'string' } } },
    },
  ];
  server.setRequestHandler('tools/list', () => ({ tools }));
  server.setRequestHandler('tools/call', (request) => ({
    content: [{ type: 'text', text: String(request.params.arguments?.text ?? '') }],
  }));
  return server;
}

if (process.argv[2] === 'stdio') {
  const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
  serveStdio(() => createEchoUpstream(), { legacy: 'serve' });
}
