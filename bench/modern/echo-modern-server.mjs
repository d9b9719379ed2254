/**
 * The baseline of the 2026-07-28 benchmark: the gateway bench's echo server served directly by the
 * SDK's own `createMcpHandler` (a fresh server per request, as the SDK does) on `node:http`, in its
 * own process. Prints `LISTENING <port>` once it serves /mcp on 127.0.0.1.
 *   node echo-modern-server.mjs
 */
import { createServer } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { createEchoServer } from '../gateway/echo-tools.mjs';

const handler = createMcpHandler(() => createEchoServer(), { legacy: 'reject' });
const serve = toNodeHandler(handler);
const http = createServer((request, response) => {
  if ((request.url ?? '').split('?')[0] !== '/mcp') {
    response.writeHead(404).end();
    return;
  }
  serve(request, response).catch(() => {
    if (!response.headersSent) response.writeHead(500).end();
  });
});
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    await handler.close().catch(() => {});
    http.closeAllConnections();
    http.close(() => process.exit(0));
  });
}
