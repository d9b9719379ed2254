/**
 * Per-hop overhead of federation (issues #8 and #18): an `echo` tool called on the hub that fronts
 * it (h0, its own /mcp: the baseline) and through 1 and 2 more hubs (h1 → h0, h2 → h1 → h0), every
 * hub a `createFedmcpServer` on 127.0.0.1 with the memory store, peers authenticated with peer
 * tokens, the hop trail and on-behalf-of stamped at each hop. Hubs speak 2026-07-28 to each other.
 * Two chains run side by side: "now" (what the hubs do: one reusable peer token per end user and
 * chain, verified once by the next hub) and "before" (each hop mints a fresh one-time token that
 * the next hub verifies and records against replay — what every hop of a 2026-07-28 request did
 * before issue #18; reproduced by the calling hubs' fetch, which swaps the reusable token for a
 * fresh one with the same claims). A third chain, "undici", is "now" with the hubs calling each
 * other through Node's global fetch (what they did before node-peer-fetch.ts: `node:http` for
 * plain-http peers). A fourth, "sdk calls", is "now" built with every request to a peer sent
 * through the SDK client (what the hubs did before peers/direct-peer-calls.ts; a second copy of
 * the hub's sources, bundled by build-hub-variant.ts), and FEDMCP_HOPS_BASE=<commit> adds a chain
 * "base" of that commit's hubs. The echo server runs in this process over Streamable HTTP
 * (also called directly, for reference). Calls of every variant are interleaved one by one, so
 * each meets the same machine load. The figure: added p50 per peer hop = (p50 through h2 → h1 →
 * h0 − p50 at h0) / 2.
 *   pnpm bench federation-hops
 *   node --conditions=@fedmcp/source --import tsx bench/federation-hops/federation-hops.bench.ts
 * (FEDMCP_BENCH_MS sets the length of one run, default 400 ms.)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ActorClaim, actorChain } from '@fedmcp/protocol';
import { type HubKeyring, mintPeerToken } from '@fedmcp/proxy-auth';
import type {
  createFedmcpServer,
  FedmcpConfigInput,
  FedmcpServer,
  parseConfig,
} from '@fedmcp/server';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';
import { benchDurationMs } from '../measure.js';
import { buildHubVariant } from './build-hub-variant.js';

const ROUNDS = 3;
const HUBS = 3;

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

/** The claims of a JWT (no verification: the bench only copies them into a fresh token). */
function decodeJwt(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * The fetch of a "before" hub: the reusable peer token its connector sets is replaced by a fresh
 * one-time token with the same claims, minted per request with the hub's key.
 */
function freshTokenFetch(keyring: () => Promise<HubKeyring>): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    const authorization = headers.get('authorization');
    if (authorization?.startsWith('Bearer ')) {
      const claims = decodeJwt(authorization.slice('Bearer '.length));
      if (claims.reusable === true) {
        const { token } = await mintPeerToken({
          keyring: await keyring(),
          issuer: String(claims.iss),
          audience: String(claims.aud),
          subject: String(claims.sub),
          actorChain: actorChain(claims.act as ActorClaim).slice(1),
        });
        headers.set('authorization', `Bearer ${token}`);
      }
    }
    return fetch(input, { ...init, headers });
  };
}

type Chain = 'now' | 'before' | 'undici' | 'sdk' | 'base';
/** What a chain's hubs are built with: this tree's `@fedmcp/server`, or a bundled variant. */
interface ServerModule {
  createFedmcpServer: typeof createFedmcpServer;
  parseConfig: typeof parseConfig;
}
// Every chain's hubs come from a bundle built the same way (this tree's by default), so no chain
// runs on differently compiled code (tsx's per-file transform) than another.
const current = (await import(await buildHubVariant({}))) as ServerModule;
const modules = new Map<Chain, ServerModule>([
  ['sdk', (await import(await buildHubVariant({ sdkPeerCalls: true }))) as ServerModule],
]);
const baseCommit = process.env.FEDMCP_HOPS_BASE;
if (baseCommit) {
  modules.set(
    'base',
    (await import(await buildHubVariant({ commit: baseCommit }))) as ServerModule,
  );
}

const servers: FedmcpServer[] = [];
async function startChain(chain: Chain): Promise<string[]> {
  const { createFedmcpServer, parseConfig } = modules.get(chain) ?? current;
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
    let keyring: (() => Promise<HubKeyring>) | undefined;
    const server = await createFedmcpServer({
      config: parseConfig(input, id(index), { env: {} }),
      baseDirectory: join(directory, chain, id(index)),
      ...(chain === 'before'
        ? { fetch: freshTokenFetch(() => (keyring as () => Promise<HubKeyring>)()) }
        : {}),
      ...(chain === 'undici'
        ? { fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, init) }
        : {}),
    });
    keyring = () => server.identity.keyring();
    inputs.push(input);
    hubs.push(server);
    servers.push(server);
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
  return urls;
}

async function connect(url: string, modern = false): Promise<Client> {
  const client = new Client(
    { name: 'bench', version: '1.0.0' },
    modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

const toolAt = (hops: number) =>
  [...Array.from({ length: hops }, (_, index) => id(hops - 1 - index)), 'echo', 'echo'].join('__');
interface Variant {
  name: string;
  /** `modern`: the "now" chain called by a 2026-07-28 client. */
  chain?: Chain | 'modern';
  hops: number | undefined;
  client: Client;
  tool: string;
}
const variants: Variant[] = [
  { name: 'echo server directly', hops: undefined, client: await connect(echoUrl), tool: 'echo' },
];
// FEDMCP_HOPS_CHAINS=now,sdk runs only those chains (more calls each in the same time).
const chains = (['now', 'sdk', 'undici', 'before', 'base'] as const).filter(
  (chain) =>
    (chain !== 'base' || baseCommit !== undefined) &&
    (process.env.FEDMCP_HOPS_CHAINS === undefined ||
      chain === 'now' ||
      process.env.FEDMCP_HOPS_CHAINS.split(',').includes(chain)),
);
for (const chain of chains) {
  const urls = await startChain(chain);
  for (let hops = 0; hops < HUBS; hops += 1) {
    variants.push({
      name: `${chain}: ${hops === 0 ? 'h0 (fronts echo)' : `through ${hops} more hub${hops > 1 ? 's' : ''}`}`,
      chain,
      hops,
      client: await connect(`${urls[hops]}/mcp`),
      tool: toolAt(hops),
    });
  }
  if (chain !== 'now') continue;
  // The same hubs, called by a 2026-07-28 client (stateless: every hop is one 2026-07-28 request).
  for (let hops = 0; hops < HUBS; hops += 1) {
    variants.push({
      name: `now, 2026 client: ${hops === 0 ? 'h0' : `+${hops} hub${hops > 1 ? 's' : ''}`}`,
      chain: 'modern',
      hops,
      client: await connect(`${urls[hops]}/mcp`, true),
      tool: toolAt(hops),
    });
  }
}
const call = (variant: Variant) =>
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
// The process's CPU time per call (every hub, the echo server and the client run in this process,
// one call at a time): unlike the latency, it does not count the time spent waiting for a core on
// a loaded machine.
const cpuTimes = new Map<string, number[]>(variants.map(({ name }) => [name, []]));
const warmUpUntil = performance.now() + benchDurationMs;
while (performance.now() < warmUpUntil) {
  for (const variant of variants) await call(variant);
}
const measureUntil = performance.now() + benchDurationMs * 3 * ROUNDS;
while (performance.now() < measureUntil) {
  for (const variant of variants) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await call(variant);
    latencies.get(variant.name)?.push(performance.now() - started);
    const used = process.cpuUsage(cpu);
    cpuTimes.get(variant.name)?.push(used.user + used.system);
  }
}

const percentile = (values: number[], fraction: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
};
const calls = latencies.get(variants[0]?.name ?? '')?.length ?? 0;
const p50 = (variant: Variant | undefined) =>
  percentile(latencies.get(variant?.name ?? '') ?? [], 0.5);
const baselineOf = (chain: Variant['chain']) =>
  p50(variants.find((variant) => variant.chain === chain && variant.hops === 0));
console.log(
  `tools/call over Streamable HTTP (client to the first hub: 2025-era session, or 2026-07-28 for "now, 2026 client"; hub to hub: 2026-07-28), one call at a time, interleaved call by call (${calls} calls per variant, Node ${process.version})`,
);
console.log(
  `${'variant'.padEnd(34)}${'p50 µs'.padStart(9)}${'p99 µs'.padStart(9)}${'vs h0'.padStart(8)}${'+µs/hop'.padStart(10)}${'CPU µs'.padStart(9)}${'+CPU/hop'.padStart(10)}`,
);
const cpuP50 = (variant: Variant | undefined) =>
  percentile(cpuTimes.get(variant?.name ?? '') ?? [], 0.5);
const cpuBaselineOf = (chain: Variant['chain']) =>
  cpuP50(variants.find((variant) => variant.chain === chain && variant.hops === 0));
for (const variant of variants) {
  const values = latencies.get(variant.name) ?? [];
  const median = percentile(values, 0.5);
  const baseline = baselineOf(variant.chain ?? 'now');
  const perHop =
    variant.hops === undefined || variant.hops === 0
      ? '—'
      : (((median - baseline) * 1000) / variant.hops).toFixed(0);
  const cpu = cpuP50(variant);
  const cpuPerHop =
    variant.hops === undefined || variant.hops === 0
      ? '—'
      : ((cpu - cpuBaselineOf(variant.chain)) / variant.hops).toFixed(0);
  console.log(
    `${variant.name.padEnd(34)}${(median * 1000).toFixed(0).padStart(9)}${(percentile(values, 0.99) * 1000).toFixed(0).padStart(9)}${`${(median / baseline).toFixed(2)}×`.padStart(8)}${perHop.padStart(10)}${cpu.toFixed(0).padStart(9)}${cpuPerHop.padStart(10)}`,
  );
}
const addedPerHop = (chain: Chain | 'modern') =>
  ((p50(variants.find((variant) => variant.chain === chain && variant.hops === HUBS - 1)) -
    baselineOf(chain)) *
    1000) /
  (HUBS - 1);
const now = addedPerHop('now');
/** What each other chain is (see the file comment). */
const described: Record<Exclude<Chain, 'now'> | 'modern', string> = {
  before: 'one-time tokens verified per hop (before issue #18)',
  sdk: 'hubs calling each other through the SDK client (before direct-peer-calls.ts)',
  undici: 'hubs calling each other through the global fetch (undici)',
  base: `hubs of ${baseCommit}`,
  modern: '2026-07-28 client (same hubs as now)',
};
const others = [...chains.filter((chain) => chain !== 'now'), 'modern' as const];
console.log(
  `added p50 per peer hop (h2 → h1 → h0 vs h0, halved): now ${now.toFixed(0)} µs (target ≤ 500 µs)`,
);
for (const chain of others) {
  const added = addedPerHop(chain);
  console.log(
    `  ${chain}, ${described[chain]}: ${added.toFixed(0)} µs (now/${chain} ${(now / added).toFixed(2)}×)`,
  );
}
const cpuPerHop = (chain: Chain | 'modern') =>
  (cpuP50(variants.find((variant) => variant.chain === chain && variant.hops === HUBS - 1)) -
    cpuBaselineOf(chain)) /
  (HUBS - 1);
const nowCpu = cpuPerHop('now');
console.log(`added CPU per peer hop (median per call): now ${nowCpu.toFixed(0)} µs`);
for (const chain of others) {
  const added = cpuPerHop(chain);
  console.log(`  ${chain}: ${added.toFixed(0)} µs (now/${chain} ${(nowCpu / added).toFixed(2)}×)`);
}
console.log(
  '(vs h0: p50 relative to calling the hub that fronts echo in the same chain; +µs/hop: the p50 difference divided by the hubs added; CPU µs: median process CPU time of one call, every hub of the chain included)',
);

for (const variant of variants) await variant.client.close();
for (const server of [...servers].reverse()) await server.close();
await echoHost.close();
await rm(directory, { recursive: true, force: true });
