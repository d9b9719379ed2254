/**
 * Per-hop overhead of federation (issue #8): an `echo` tool called on the hub that fronts it
 * (h0, its own /mcp: the baseline) and through 1, 2 and 3 more hubs (h1 → h0, h2 → h1 → h0,
 * h3 → h2 → h1 → h0), every hub a `createFedmcpServer` on 127.0.0.1 with the memory store, peers
 * authenticated with peer tokens, the hop trail and on-behalf-of stamped at each hop. The echo
 * server runs in this process over Streamable HTTP (also called directly, for reference). Calls
 * of every variant are interleaved one by one, so each meets the same machine load.
 *   pnpm bench federation-hops
 *   node --conditions=@fedmcp/source --import tsx bench/federation-hops/federation-hops.bench.ts
 * (FEDMCP_BENCH_MS sets the length of one run, default 400 ms.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFedmcpServer,
  type FedmcpConfigInput,
  type FedmcpServer,
  parseConfig,
} from '@fedmcp/server';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';
import { benchDurationMs } from '../measure.js';

const ROUNDS = 3;
const HUBS = 4;

function createEchoServer(): Server {
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

const echoHost = createMcpHttpHost({
  createServer: () => createEchoServer(),
  host: '127.0.0.1',
  port: 0,
});
const echoUrl = `${(await echoHost.listen()).url.replace(/\/(mcp)?$/, '')}/mcp`;

const directory = await mkdtemp(join(tmpdir(), 'fedmcp-bench-hops-'));
const id = (index: number) => `h${index}`;
// Local (anonymous, loopback) clients may use everything; the next hub gets everything exported.
const policyFor = (index: number) => ({
  rules: [
    { id: 'local', effect: 'allow' as const, subjects: ['*'], actions: ['*'] },
    ...(index + 1 < HUBS
      ? [
          {
            id: 'export',
            effect: 'allow' as const,
            subjects: [`via:${id(index + 1)}`],
            actions: ['*'],
          },
        ]
      : []),
  ],
});
const inputs: FedmcpConfigInput[] = [];
const hubs: FedmcpServer[] = [];
const urls: string[] = [];
for (let index = 0; index < HUBS; index += 1) {
  const input: FedmcpConfigInput = {
    hub: { id: id(index), host: '127.0.0.1', port: 0 },
    store: 'memory:',
    policy: policyFor(index),
    ...(index === 0 ? { mcpServers: { echo: { url: echoUrl } } } : {}),
  };
  const server = await createFedmcpServer({
    config: parseConfig(input, id(index), { env: {} }),
    baseDirectory: join(directory, id(index)),
  });
  inputs.push(input);
  hubs.push(server);
  urls.push((await server.listen()).url.replace(/\/mcp$/, ''));
}
// Trust first (hub i accepts hub i+1's tokens), then hub i+1 imports hub i.
for (let index = 0; index < HUBS; index += 1) {
  const peers: Record<string, { url: string; import?: boolean }> = {};
  if (index + 1 < HUBS) peers[id(index + 1)] = { url: urls[index + 1] as string, import: false };
  if (index > 0) peers[id(index - 1)] = { url: urls[index - 1] as string };
  inputs[index] = { ...inputs[index], peers } as FedmcpConfigInput;
}
for (let index = 0; index < HUBS; index += 1) {
  await hubs[index]?.applyConfig(parseConfig(inputs[index], id(index), { env: {} }));
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

const toolAt = (hops: number) =>
  [...Array.from({ length: hops }, (_, index) => id(hops - 1 - index)), 'echo', 'echo'].join('__');
const variants: Array<{ name: string; hops: number | undefined; client: Client; tool: string }> = [
  { name: 'echo server directly', hops: undefined, client: await connect(echoUrl), tool: 'echo' },
];
for (let hops = 0; hops < HUBS; hops += 1) {
  variants.push({
    name:
      hops === 0 ? 'h0 (fronts echo): baseline' : `through ${hops} more hub${hops > 1 ? 's' : ''}`,
    hops,
    client: await connect(`${urls[hops]}/mcp`),
    tool: toolAt(hops),
  });
}
const call = (variant: (typeof variants)[number]) =>
  variant.client.callTool({ name: variant.tool, arguments: { text: 'hi' } });
for (const variant of variants) {
  // A peer's catalog reaches the next hub just after it connected: wait for the tool.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const result = await call(variant).catch((error: unknown) => ({ error }));
    const text = (result as { content?: Array<{ text?: string }> }).content?.[0]?.text;
    if (text === 'hi') break;
    if (Date.now() > deadline) {
      throw new Error(`${variant.name}: ${variant.tool} returned ${JSON.stringify(result)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const latencies = new Map<string, number[]>(variants.map(({ name }) => [name, []]));
const warmUpUntil = performance.now() + benchDurationMs;
while (performance.now() < warmUpUntil) {
  for (const variant of variants) await call(variant);
}
const measureUntil = performance.now() + benchDurationMs * 3 * ROUNDS;
while (performance.now() < measureUntil) {
  for (const variant of variants) {
    const started = performance.now();
    await call(variant);
    latencies.get(variant.name)?.push(performance.now() - started);
  }
}

const percentile = (values: number[], fraction: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
};
const baseline = percentile(latencies.get(variants[1]?.name ?? '') ?? [], 0.5);
const calls = latencies.get(variants[0]?.name ?? '')?.length ?? 0;
console.log(
  `tools/call over Streamable HTTP (2025 era sessions), one call at a time, interleaved call by call (${calls} calls per variant)`,
);
console.log(
  `${'variant'.padEnd(30)}${'p50 µs'.padStart(9)}${'p99 µs'.padStart(9)}${'vs h0'.padStart(8)}${'+µs/hop'.padStart(10)}`,
);
for (const variant of variants) {
  const values = latencies.get(variant.name) ?? [];
  const median = percentile(values, 0.5);
  const perHop =
    variant.hops === undefined || variant.hops === 0
      ? '—'
      : (((median - baseline) * 1000) / variant.hops).toFixed(0);
  console.log(
    `${variant.name.padEnd(30)}${(median * 1000).toFixed(0).padStart(9)}${(percentile(values, 0.99) * 1000).toFixed(0).padStart(9)}${`${(median / baseline).toFixed(2)}×`.padStart(8)}${perHop.padStart(10)}`,
  );
}
console.log(
  '(vs h0: p50 latency relative to calling the hub that fronts echo; +µs/hop: the p50 difference divided by the hubs added)',
);

for (const variant of variants) await variant.client.close();
for (const server of [...hubs].reverse()) await server.close();
await echoHost.close();
await rm(directory, { recursive: true, force: true });
