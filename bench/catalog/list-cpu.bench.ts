/**
 * Server CPU per `tools/list` of 1,000 tools: a hub over 20 upstreams × 50 tools (in process)
 * against one server holding the 1,000 tools (`createMcpHttpHost` around an SDK v2 `Server`, the
 * baseline), for a 2026-07-28 request and a 2025-era session's. Each is this process's CPU time per
 * listing with a raw HTTP client (node:http: the answer's bytes counted, never parsed), so what is
 * measured is the server's side; one target at a time, 3 rounds, the median round printed, with
 * the ratio against the baseline of the same era. To compare two builds, run each tree's copy.
 *   pnpm bench catalog
 *   node --conditions=@fedmcp/source --import tsx bench/catalog/list-cpu.bench.ts
 * (BENCH_LISTINGS sets the listings per round, default 200.)
 */
import { request as httpRequest } from 'node:http';
import type { UpstreamConnector } from '@fedmcp/federation';
import { createHubServer } from '@fedmcp/federation/node';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';

const UPSTREAMS = 20;
const TOOLS = 50;
const listings = Number(process.env.BENCH_LISTINGS ?? 200);
const tools = Array.from({ length: TOOLS }, (_, index) => ({
  name: `tool-${index}`,
  description: `Filler tool number ${index}: takes a value and does nothing useful with it.`,
  inputSchema: {
    type: 'object' as const,
    properties: { value: { type: 'string', description: 'Any text.' } },
    required: ['value'],
  },
}));
function listServer(list: typeof tools): Server {
  const server = new Server({ name: 'tools', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({ tools: list }));
  return server;
}
const inMemory: UpstreamConnector = async (_spec, options) => {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await listServer(tools).connect(serverSide);
  const client = new Client(options.clientInfo, { capabilities: options.capabilities });
  options.configure(client);
  await client.connect(clientSide);
  return client;
};
const hub = await createHubServer({
  hubId: 'list-cpu',
  upstreams: Object.fromEntries(
    Array.from({ length: UPSTREAMS }, (_, index) => [`u${index}`, { url: `memory://u${index}` }]),
  ),
  connect: inMemory,
  hub: { healthIntervalMs: 0 },
});
// The direct server: the 1,000 tools under the names the hub exposes (`u7__tool-3`).
const allTools = Array.from({ length: UPSTREAMS }, (_, upstream) =>
  tools.map((tool) => ({ ...tool, name: `u${upstream}__${tool.name}` })),
).flat();
const direct = createMcpHttpHost({
  createServer: () => listServer(allTools),
  host: '127.0.0.1',
  port: 0,
});
const endpointOf = (url: string) => new URL(`${url.replace(/\/(mcp)?$/, '')}/mcp`);

function post(endpoint: URL, body: string, headers: Record<string, string>) {
  return new Promise<{ status: number; bytes: number; headers: Record<string, unknown> }>(
    (resolve, reject) => {
      const req = httpRequest(
        endpoint,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...headers,
          },
        },
        (res) => {
          let bytes = 0;
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, bytes, headers: res.headers }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    },
  );
}

const envelope = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'list-cpu', version: '1.0.0' },
};
let id = 0;
type Lister = () => ReturnType<typeof post>;

/** The two listers of a target: a 2026-07-28 request, and a 2025-era session's. */
async function listers(endpoint: URL): Promise<{ modern: Lister; legacy: Lister }> {
  const modern = () =>
    post(
      endpoint,
      JSON.stringify({
        jsonrpc: '2.0',
        id: ++id,
        method: 'tools/list',
        params: { _meta: envelope },
      }),
      { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
    );
  const opened = await post(
    endpoint,
    JSON.stringify({
      jsonrpc: '2.0',
      id: ++id,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'list-cpu', version: '1.0.0' },
      },
    }),
    {},
  );
  const headers = {
    'mcp-session-id': String(opened.headers['mcp-session-id']),
    'mcp-protocol-version': '2025-11-25',
  };
  await post(
    endpoint,
    JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    headers,
  );
  const legacy = () =>
    post(endpoint, JSON.stringify({ jsonrpc: '2.0', id: ++id, method: 'tools/list' }), headers);
  // Every upstream's tools are listed before measuring.
  const deadline = Date.now() + 30_000;
  while ((await modern()).bytes < 200_000) {
    if (Date.now() > deadline) throw new Error(`${endpoint}: the catalog never filled`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { modern, legacy };
}

async function cpuPerListing(list: Lister): Promise<number> {
  for (let index = 0; index < 50; index += 1) await list();
  const rounds: number[] = [];
  for (let round = 0; round < 3; round += 1) {
    const before = process.cpuUsage();
    for (let index = 0; index < listings; index += 1) {
      const { status } = await list();
      if (status !== 200) throw new Error(`tools/list answered ${status}`);
    }
    const used = process.cpuUsage(before);
    rounds.push((used.user + used.system) / listings);
  }
  return rounds.sort((a, b) => a - b)[1] as number;
}

const targets = {
  direct: await listers(endpointOf((await direct.listen()).url)),
  hub: await listers(endpointOf((await hub.listen()).url)),
};
console.log(
  `Server CPU per tools/list of 1,000 tools (raw HTTP client in the same process, ${listings} listings × 3 rounds, median; Node ${process.version})`,
);
for (const era of ['modern', 'legacy'] as const) {
  const baseline = await cpuPerListing(targets.direct[era]);
  const ours = await cpuPerListing(targets.hub[era]);
  const label = era === 'modern' ? '2026-07-28' : '2025-11-25 session';
  console.log(
    `${label.padEnd(20)} direct ${baseline.toFixed(0).padStart(5)} µs   hub 20 × 50 ${ours.toFixed(0).padStart(5)} µs (${(ours / baseline).toFixed(2)}×)`,
  );
}
await hub.close();
await direct.close();
