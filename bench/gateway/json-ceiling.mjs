/**
 * The ceiling of the gateway and 2026-07-28 benchmarks' clients, as a reference column: a
 * Streamable HTTP server that does no work at all. It answers every request at once as one JSON
 * object (`initialize` or `server/discover` from a constant, `echo` with its text, `work` after
 * its `ms`, `tools/list` with those two tools, anything else `{}`), no session state, no
 * validation, no upstream. A 2026-07-28 request (its `MCP-Protocol-Version` header) gets that
 * era's answer: `resultType`, the server's info in `_meta`, no session id — what fedmcp's
 * 2026-07-28 route sends. A server can make the bench's client no faster than this: at c=32 the
 * client process (one core) is the bottleneck, and what it reaches here is the most any server
 * can get out of it on this machine. Not an MCP server to use. Prints `LISTENING <port>`.
 *   node json-ceiling.mjs
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const tools = [
  { name: 'echo', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: 'work', inputSchema: { type: 'object', properties: { ms: { type: 'number' } } } },
];

const MODERN = '2026-07-28';
const serverInfo = { name: 'json-ceiling', version: '1.0.0' };
const modernMeta = { 'io.modelcontextprotocol/serverInfo': serverInfo };

function resultOf(message) {
  const params = message.params ?? {};
  switch (message.method) {
    case 'server/discover':
      return {
        supportedVersions: [MODERN],
        capabilities: { tools: {} },
        ttlMs: 0,
        cacheScope: 'private',
      };
    case 'initialize':
      return {
        protocolVersion: params.protocolVersion,
        capabilities: { tools: {} },
        serverInfo,
      };
    case 'tools/list':
      return { tools };
    case 'tools/call':
      return params.name === 'work'
        ? { content: [{ type: 'text', text: 'worked' }] }
        : { content: [{ type: 'text', text: String(params.arguments?.text ?? '') }] };
    default:
      return {};
  }
}

const server = createServer((request, response) => {
  if (request.method !== 'POST') {
    // No standalone GET stream; DELETE ends nothing.
    response.writeHead(request.method === 'DELETE' ? 200 : 405);
    response.end();
    return;
  }
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const message = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (message.id === undefined) {
      response.writeHead(202);
      response.end();
      return;
    }
    const modern = request.headers['mcp-protocol-version'] === MODERN;
    const session = modern ? undefined : (request.headers['mcp-session-id'] ?? randomUUID());
    const send = () => {
      const result = resultOf(message);
      const text = JSON.stringify({
        jsonrpc: '2.0',
        id: message.id,
        result: modern ? { ...result, resultType: 'complete', _meta: modernMeta } : result,
      });
      const headers = [
        'content-type',
        'application/json',
        'content-length',
        String(Buffer.byteLength(text)),
      ];
      if (session) headers.push('mcp-session-id', session);
      response.writeHead(200, headers);
      response.end(text);
    };
    const ms = message.params?.name === 'work' ? Number(message.params.arguments?.ms ?? 0) : 0;
    if (ms > 0) setTimeout(send, ms);
    else send();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`LISTENING ${server.address().port}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => process.exit(0));
