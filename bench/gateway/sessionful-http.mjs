/**
 * The `node:http` front of the gateway benchmarks' direct baselines (`echo-http-server.mjs` on SDK
 * v2, `sdk1-echo-server.mjs --http` on SDK 1.32): one sessionful Streamable HTTP server transport
 * per session at /mcp on 127.0.0.1, as the SDKs' examples route them. Prints `LISTENING <port>`
 * once it serves, and closes every session on SIGTERM or SIGINT.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

/**
 * @template {{ sessionId?: string, onclose?: () => void, handleRequest(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse): Promise<void>, close(): Promise<void> }} Transport
 * @param {(options: { sessionIdGenerator: () => string, onsessioninitialized: (id: string) => void }) => Transport} createTransport
 *   the SDK's server transport, sessionful
 * @param {(transport: Transport) => Promise<void>} connect  connects a fresh MCP server to it
 */
export function serveSessionful(createTransport, connect) {
  /** @type {Map<string, Transport>} */
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
      const created = createTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => transports.set(id, created),
      });
      created.onclose = () => {
        if (created.sessionId) transports.delete(created.sessionId);
      };
      await connect(created);
      transport = created;
    }
    await transport.handleRequest(request, response);
  });
  http.listen(0, '127.0.0.1', () => {
    const address = http.address();
    process.stdout.write(
      `LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`,
    );
  });
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, async () => {
      await Promise.allSettled([...transports.values()].map((transport) => transport.close()));
      http.closeAllConnections();
      http.close(() => process.exit(0));
    });
  }
}
