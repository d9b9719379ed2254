/**
 * Big catalogs (issue #18): `tools/list` of a hub over 20 upstreams × 50 tools against one server
 * listing the same 1,000 tools directly (same names, descriptions and schemas), both served over
 * Streamable HTTP on 127.0.0.1 — the server by `createMcpHttpHost` around an SDK v2 `Server`, the
 * hub by `createHubServer` (its upstreams in process over the SDK's in-memory transport, so only
 * the hub's listing is measured). Each target is listed by a 2025-era session and by a 2026-07-28
 * client; a listing fetches every page. Listings of every variant are interleaved one by one, so
 * each meets the same machine load; the figure is each hub variant's p50 over the direct p50 of
 * the same era; a second direct server lists the tools with the `io.fedmcp/origin` `_meta` the hub
 * adds to each aggregated tool for peer hubs and the admin API only (these clients are neither:
 * since issue #18 they get the direct server's bytes), for reference. The hub runs with its default page size
 * (1,000: one request) and with 500 (two requests, as the default was before issue #18), and with
 * 1,000 and a policy (lists filtered per caller: per session for a 2025-era client, per
 * request for a 2026-07-28 one).
 *   pnpm bench catalog
 *   node --conditions=@fedmcp/source --import tsx bench/catalog/catalog.bench.ts
 * (FEDMCP_BENCH_MS sets the length of one run, default 400 ms.)
 */
import { createPolicyAccess, type UpstreamConnector } from '@fedmcp/federation';
import { createHubServer, type HubServer } from '@fedmcp/federation/node';
import { createPolicy } from '@fedmcp/proxy-auth';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { benchDurationMs } from '../measure.js';

const UPSTREAMS = 20;
const TOOLS_PER_UPSTREAM = 50;
const ROUNDS = 3;

function toolsOf(prefix: string) {
  return Array.from({ length: TOOLS_PER_UPSTREAM }, (_, index) => ({
    name: `${prefix}tool-${index}`,
    description: `Filler tool number ${index}: takes a value and does nothing useful with it.`,
    inputSchema: {
      type: 'object' as const,
      properties: { value: { type: 'string', description: 'Any text.' } },
      required: ['value'],
    },
  }));
}

function listServer(
  tools: Array<ReturnType<typeof toolsOf>[number] & { _meta?: Record<string, unknown> }>,
): Server {
  const server = new Server({ name: 'tools', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({ tools }));
  return server;
}

// The direct server: the 1,000 tools under the names the hub exposes (`u7__tool-3`).
const allTools = Array.from({ length: UPSTREAMS }, (_, index) => toolsOf(`u${index}__`)).flat();
const direct = createMcpHttpHost({
  createServer: () => listServer(allTools),
  host: '127.0.0.1',
  port: 0,
});
const directUrl = `${(await direct.listen()).url.replace(/\/(mcp)?$/, '')}/mcp`;
// The same, each tool with the `io.fedmcp/origin` the hub adds to what it aggregates for peer
// hubs (about a quarter more bytes): what a peer's listing costs.
const withOrigin = allTools.map((tool, index) => ({
  ...tool,
  _meta: {
    'io.fedmcp/origin': {
      hubs: ['catalog-0'],
      upstreamId: `u${Math.floor(index / TOOLS_PER_UPSTREAM)}`,
    },
  },
}));
const directWithOrigin = createMcpHttpHost({
  createServer: () => listServer(withOrigin),
  host: '127.0.0.1',
  port: 0,
});
const directWithOriginUrl = `${(await directWithOrigin.listen()).url.replace(/\/(mcp)?$/, '')}/mcp`;

const inMemory: UpstreamConnector = async (_spec, options) => {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await listServer(toolsOf('')).connect(serverSide);
  const client = new Client(options.clientInfo, { capabilities: options.capabilities });
  options.configure(client);
  await client.connect(clientSide);
  return client;
};
const upstreams = Object.fromEntries(
  Array.from({ length: UPSTREAMS }, (_, index) => [`u${index}`, { url: `memory://u${index}` }]),
);
const hubs: HubServer[] = [];
async function startHub(pageSize?: number, withPolicy = false): Promise<string> {
  const server = await createHubServer({
    hubId: `catalog-${hubs.length}`,
    upstreams,
    connect: inMemory,
    hub: {
      healthIntervalMs: 0,
      ...(pageSize ? { pageSize } : {}),
      // A policy that lets everyone see everything: lists are filtered per caller all the same.
      ...(withPolicy
        ? {
            access: createPolicyAccess({
              policy: createPolicy([{ effect: 'allow', subjects: ['*'], actions: ['*'] }]),
            }),
          }
        : {}),
    },
  });
  hubs.push(server);
  const { url } = await server.listen();
  const mcp = `${url.replace(/\/(mcp)?$/, '')}/mcp`;
  return mcp;
}
const hubUrl = await startHub(500);
const hubOnePageUrl = await startHub();
const hubPolicyUrl = await startHub(1_000, true);

async function connect(url: string, era: 'legacy' | 'modern'): Promise<Client> {
  const client = new Client(
    { name: 'bench', version: '1.0.0' },
    era === 'legacy' ? { versionNegotiation: { mode: 'legacy' } } : {},
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

interface Variant {
  name: string;
  era: 'legacy' | 'modern';
  baseline: boolean;
  client: Client;
}
const variants: Variant[] = [];
for (const era of ['legacy', 'modern'] as const) {
  const label = era === 'legacy' ? '2025-11-25 session' : '2026-07-28';
  variants.push(
    {
      name: `direct, 1,000 tools (${label})`,
      era,
      baseline: true,
      client: await connect(directUrl, era),
    },
    {
      name: `direct, 1,000 tools + origin _meta (${label})`,
      era,
      baseline: false,
      client: await connect(directWithOriginUrl, era),
    },
    {
      name: `hub 20 × 50, page 500 (${label})`,
      era,
      baseline: false,
      client: await connect(hubUrl, era),
    },
    {
      name: `hub 20 × 50, page 1000, default (${label})`,
      era,
      baseline: false,
      client: await connect(hubOnePageUrl, era),
    },
    {
      name: `hub 20 × 50, page 1000, policy (${label})`,
      era,
      baseline: false,
      client: await connect(hubPolicyUrl, era),
    },
  );
}

async function listAll(variant: Variant): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await variant.client.listTools(cursor === undefined ? {} : { cursor }, {
      cacheMode: 'bypass',
    });
    count += page.tools.length;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return count;
}

// Every upstream's tools must be in the hub's catalog before measuring.
for (const variant of variants) {
  const deadline = Date.now() + 15_000;
  while ((await listAll(variant)) !== UPSTREAMS * TOOLS_PER_UPSTREAM) {
    if (Date.now() > deadline) throw new Error(`${variant.name}: the catalog never filled`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const latencies = new Map<string, number[]>(variants.map(({ name }) => [name, []]));
const warmUpUntil = performance.now() + benchDurationMs;
while (performance.now() < warmUpUntil) for (const variant of variants) await listAll(variant);
const measureUntil = performance.now() + benchDurationMs * 3 * ROUNDS;
while (performance.now() < measureUntil) {
  for (const variant of variants) {
    const started = performance.now();
    await listAll(variant);
    latencies.get(variant.name)?.push(performance.now() - started);
  }
}

const percentile = (values: number[], fraction: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
};
const listings = latencies.get(variants[0]?.name ?? '')?.length ?? 0;
console.log(
  `tools/list of 1,000 tools over Streamable HTTP, every page, one listing at a time, interleaved (${listings} listings per variant, Node ${process.version})`,
);
console.log(
  `${'variant'.padEnd(56)}${'p50 µs'.padStart(9)}${'p99 µs'.padStart(9)}${'vs direct'.padStart(11)}`,
);
for (const variant of variants) {
  const values = latencies.get(variant.name) ?? [];
  const baseline = variants.find((other) => other.baseline && other.era === variant.era);
  const baselineP50 = percentile(latencies.get(baseline?.name ?? '') ?? [], 0.5);
  const median = percentile(values, 0.5);
  console.log(
    `${variant.name.padEnd(56)}${(median * 1000).toFixed(0).padStart(9)}${(percentile(values, 0.99) * 1000).toFixed(0).padStart(9)}${`${(median / baselineP50).toFixed(2)}×`.padStart(11)}`,
  );
}
console.log('(vs direct: p50 of a whole listing relative to the direct server, same protocol era)');

for (const variant of variants) await variant.client.close();
for (const server of hubs) await server.close();
await direct.close();
await directWithOrigin.close();
