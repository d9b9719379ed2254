/**
 * The calling side of a peer hop alone (issue #18): CPU per plain `tools/call` sent by a hub's
 * upstream client to a 2026-07-28 peer, through the SDK client (`sdk`) and as the hub's own POST
 * (`direct`, peers/direct-peer-calls.ts), both over the peer connector's node:http fetch, against
 * one server in this process that answers every call with the same bytes (so the server's share
 * is the same for both). Calls alternate one by one; CPU is the process's, per call. (The SDK
 * validates the result with its tools/call schema here; the hub passes `ResultSchema`.)
 *   node --conditions=@fedmcp/source --import tsx bench/federation-hops/calling-side.ts [calls]
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { withDirectPeerCalls } from '../../packages/federation/src/peers/direct-peer-calls.js';
import { createNodePeerFetch } from '../../packages/federation/src/peers/node-peer-fetch.js';

const calls = Number(process.argv[2] ?? 3000);
const discover = {
  resultType: 'complete',
  supportedVersions: ['2026-07-28'],
  capabilities: { tools: {} },
  serverInfo: { name: 'peer', version: '1.0.0' },
};
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      id?: unknown;
      method: string;
    };
    if (message.id === undefined) {
      response.writeHead(202).end();
      return;
    }
    const result =
      message.method === 'server/discover'
        ? discover
        : {
            resultType: 'complete',
            content: [{ type: 'text', text: 'hi' }],
            _meta: { 'io.modelcontextprotocol/serverInfo': { name: 'peer', version: '1.0.0' } },
          };
    const body = JSON.stringify({ result, jsonrpc: '2.0', id: message.id });
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;

async function connect(direct: boolean): Promise<Client> {
  const peerFetch = createNodePeerFetch() as typeof fetch;
  const withToken: typeof fetch = (input, init) =>
    peerFetch(input, {
      ...init,
      redirect: 'error',
      headers: { ...Object.fromEntries(new Headers(init?.headers)), authorization: 'Bearer t' },
    });
  const client = new Client(
    { name: 'hub', version: '1.0.0' },
    { capabilities: { roots: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { fetch: withToken }));
  if (direct) {
    // Redirects refused, as the connector's fetch does (the node peer fetch wants it said).
    const refusingRedirects: typeof fetch = (input, init) =>
      peerFetch(input, { ...init, redirect: 'error' });
    withDirectPeerCalls(client, {
      url,
      fetch: refusingRedirects,
      authorization: async () => 'Bearer t',
    });
  }
  return client;
}
const variants = { sdk: await connect(false), direct: await connect(true) };
const params = {
  name: 'echo',
  arguments: { text: 'hi' },
  _meta: {
    'io.fedmcp/plainCall': true,
    'io.modelcontextprotocol/clientCapabilities': { roots: {} },
    'io.fedmcp/onBehalfOf': { subject: 'alice' },
    'io.fedmcp/hops': ['a'],
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
  },
};
const cpu: Record<string, number[]> = { sdk: [], direct: [] };
for (let index = 0; index < calls + 500; index += 1) {
  for (const [name, client] of Object.entries(variants)) {
    const before = process.cpuUsage();
    await client.request({ method: 'tools/call', params }, { timeout: 10_000 });
    const used = process.cpuUsage(before);
    if (index >= 500) cpu[name]?.push(used.user + used.system);
  }
}
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const trimmed = sorted.slice(Math.floor(sorted.length * 0.1), Math.ceil(sorted.length * 0.9));
  return {
    median: sorted[Math.floor(sorted.length / 2)] ?? 0,
    mean: trimmed.reduce((sum, value) => sum + value, 0) / trimmed.length,
  };
};
const sdk = summary(cpu.sdk ?? []);
const direct = summary(cpu.direct ?? []);
console.log(
  `${calls} calls each, alternating (Node ${process.version}); CPU µs per call (client and server in this process):`,
);
console.log(`  sdk:    median ${sdk.median.toFixed(0)}, trimmed mean ${sdk.mean.toFixed(0)}`);
console.log(`  direct: median ${direct.median.toFixed(0)}, trimmed mean ${direct.mean.toFixed(0)}`);
console.log(
  `  direct/sdk: median ${(direct.median / sdk.median).toFixed(2)}×, trimmed mean ${(direct.mean / sdk.mean).toFixed(2)}×`,
);
for (const client of Object.values(variants)) await client.close();
server.close();
