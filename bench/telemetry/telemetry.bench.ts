/**
 * The cost of telemetry per call through a running hub (issue #17): two `createFedmcpServer`
 * hubs on 127.0.0.1 with the same `echo` upstream over stdio, one with metrics off
 * (`telemetry.metrics.enabled: false`, the baseline) and one with the default metrics, each called
 * over Streamable HTTP by a plain 2025-era client (the forwarding fast path), calls interleaved
 * one by one. Phases alternate: without tracing, and with traces exported over OTLP/HTTP to a
 * receiver in this process (every call sampled: two spans per call).
 *   pnpm bench telemetry
 *   node --conditions=@fedmcp/source --import tsx bench/telemetry/telemetry.bench.ts
 * (FEDMCP_BENCH_MS sets the length of one phase, default 400 ms.)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { benchDurationMs } from '../measure.js';

const ROUNDS = 4;
const upstreamScript = fileURLToPath(new URL('../hub/echo-upstream.ts', import.meta.url));

// The OTLP/HTTP receiver: counts the spans it is sent, keeps nothing.
let spansReceived = 0;
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    spansReceived += (
      Buffer.concat(chunks)
        .toString('utf8')
        .match(/"spanId"/g) ?? []
    ).length;
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;

async function startHub(telemetry: Record<string, unknown>) {
  const server = await createFedmcpServer({
    config: parseConfig(
      {
        hub: { host: '127.0.0.1', port: 0, id: 'bench' },
        store: 'memory:',
        auth: { anonymous: true },
        telemetry,
        mcpServers: {
          echo: {
            command: process.execPath,
            args: ['--conditions=@fedmcp/source', '--import', 'tsx', upstreamScript, 'stdio'],
          },
        },
      },
      'bench',
      { env: {} },
    ),
    env: {},
  });
  const { url } = await server.listen();
  return { server, url };
}

async function connect(url: string): Promise<Client> {
  const client = new Client(
    { name: 'bench', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url.replace(/\/mcp$/, '')}/mcp`)),
  );
  return client;
}

const variants = [
  { name: 'metrics off', ...(await startHub({ metrics: { enabled: false } })) },
  { name: 'metrics on', ...(await startHub({})) },
];
const clients = await Promise.all(variants.map(({ url }) => connect(url)));
const call = (client: Client) => client.callTool({ name: 'echo__echo', arguments: { text: 'hi' } });
for (const client of clients) {
  const result = await call(client);
  if ((result.content as Array<{ text?: string }>)[0]?.text !== 'hi')
    throw new Error('echo failed');
}

const latencies = new Map<string, number[]>();
async function phase(label: string, durationMs: number, record: boolean) {
  const until = performance.now() + durationMs;
  while (performance.now() < until) {
    for (const [index, client] of clients.entries()) {
      const started = performance.now();
      await call(client);
      if (!record) continue;
      const key = `${variants[index]?.name}, ${label}`;
      const values = latencies.get(key) ?? [];
      values.push(performance.now() - started);
      latencies.set(key, values);
    }
  }
}

await phase('warm-up', benchDurationMs, false);
for (let round = 0; round < ROUNDS; round += 1) {
  await phase('no tracing', benchDurationMs, true);
  // A hub configured with telemetry.traces attaches the process's export pipeline until closed.
  const tracer = await startHub({
    metrics: { enabled: false },
    traces: { otlpEndpoint: endpoint },
  });
  await phase('traced', benchDurationMs, true);
  await tracer.server.close();
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const baseline = median(latencies.get('metrics off, no tracing') ?? []);
console.log('tools/call through a running hub (fast path), one call at a time, interleaved');
console.log(
  `${'hub'.padEnd(28)}${'calls'.padStart(7)}${'median µs'.padStart(11)}${'vs base'.padStart(9)}${'+µs/call'.padStart(10)}`,
);
for (const [name, values] of latencies) {
  const value = median(values);
  console.log(
    `${name.padEnd(28)}${String(values.length).padStart(7)}${(value * 1000).toFixed(0).padStart(11)}${`${(value / baseline).toFixed(2)}×`.padStart(9)}${((value - baseline) * 1000).toFixed(0).padStart(10)}`,
  );
}
console.log(
  `(vs base: median latency relative to "metrics off, no tracing"; ${spansReceived} spans exported)`,
);

for (const client of clients) await client.close();
for (const { server } of variants) await server.close();
receiver.close();
