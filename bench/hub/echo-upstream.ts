/**
 * The upstream of the hub benchmark: an `echo` tool plus N filler tools, low-level SDK v2
 * `Server`. Over stdio when run as a script (`node … echo-upstream.ts stdio [tools]`).
 */
import { Server } from '@modelcontextprotocol/server';

export function createEchoUpstream(fillerTools = 0): Server {
  const server = new Server({ name: 'echo', version: '1.0.0' }, { capabilities: { tools: {} } });
  const tools = [
    {
      name: 'echo',
      inputSchema: { type: 'object' as const, properties: { text: { type: 'string' } } },
    },
    ...Array.from({ length: fillerTools }, (_, index) => ({
      name: `tool-${index}`,
      description: `Filler tool number ${index}`,
      inputSchema: { type: 'object' as const, properties: { value: { type: 'string' } } },
    })),
  ];
  server.setRequestHandler('tools/list', () => ({ tools }));
  server.setRequestHandler('tools/call', (request) => ({
    content: [{ type: 'text', text: String(request.params.arguments?.text ?? '') }],
  }));
  return server;
}

if (process.argv[2] === 'stdio') {
  const { serveStdio } = await import('@modelcontextprotocol/server/stdio');
  serveStdio(() => createEchoUpstream(Number(process.argv[3] ?? 0)), { legacy: 'serve' });
}
