/**
 * The baseline of the gateway benchmark: the same echo server served directly by the SDK's own
 * sessionful Streamable HTTP server (`NodeStreamableHTTPServerTransport` on `node:http`), in its own
 * process like every other contender. Prints `LISTENING <port>` once it serves /mcp on 127.0.0.1.
 *   node echo-http-server.mjs [--extra-tools N] [--tool-name-prefix P] [--prefixes K] [--work]
 * `--prefixes K` lists echo and the filler tools K times, as `u<k>__echo`, `u<k>__tool_<i>` (the payload a hub with K
 * upstreams of `--extra-tools` tools each returns).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { argument, createEchoServer, echoTool, fillerTools } from './echo-tools.mjs';

const extraTools = Number(argument('extra-tools', '0'));
const prefixes = Number(argument('prefixes', '0'));
const work = process.argv.includes('--work'); // also list the `work` tool
const tools =
  prefixes > 0
    ? Array.from({ length: prefixes }, (_, index) => [
        { ...echoTool, name: `u${index}__echo` },
        ...fillerTools(extraTools, `u${index}__`),
      ]).flat()
    : undefined;

/** @type {Map<string, NodeStreamableHTTPServerTransport>} */
const transports = new Map();
const http = createServer(async (request, response) => {
  if ((request.url ?? '').split('?')[0] !== '/mcp') {
    response.writeHead(404).end();
    return;
  }
  const sessionId = request.headers['mcp-session-id'];
  let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
  if (!transport) {
    if (sessionId !== undefined) {
      response.writeHead(404).end();
      return;
    }
    const created = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => transports.set(id, created),
    });
    created.onclose = () => {
      if (created.sessionId) transports.delete(created.sessionId);
    };
    await createEchoServer(tools ? { tools } : { extraTools, work }).connect(created);
    transport = created;
  }
  await transport.handleRequest(request, response);
});
http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    await Promise.allSettled([...transports.values()].map((transport) => transport.close()));
    http.closeAllConnections();
    http.close(() => process.exit(0));
  });
}
