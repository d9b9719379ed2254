/**
 * The hub's own overhead, in process: an `echo` tool on a stdio upstream called through the hub
 * (downstream over the SDK's in-memory transport) against the same upstream called directly by
 * an SDK client (the baseline), interleaved in rounds; `tools/list` of 20 upstreams × 50 tools
 * through the hub against one server listing 1 000 tools directly; memory of 100 idle sessions.
 * The end-to-end comparison over HTTP with peers is bench/gateway.
 *   node --conditions=@fedmcp/source --import tsx bench/hub/hub.bench.ts
 */
import { fileURLToPath } from 'node:url';
import type { UpstreamConnector } from '@fedmcp/federation';
import { createHub } from '@fedmcp/federation/node';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { createEchoUpstream } from './echo-upstream.ts';

const upstreamScript = fileURLToPath(new URL('./echo-upstream.ts', import.meta.url));
const stdioSpec = {
  command: process.execPath,
  args: ['--conditions=@fedmcp/source', '--import', 'tsx', upstreamScript, 'stdio'],
  env: { PATH: process.env.PATH ?? '' },
};
const ROUNDS = 5;
const CALLS_PER_ROUND = 300;

async function directClient(): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ ...stdioSpec, stderr: 'ignore' }));
  return client;
}

async function hubClient(hub: ReturnType<typeof createHub>): Promise<Client> {
  const [clientSide, hubSide] = InMemoryTransport.createLinkedPair();
  await hub.createServer().connect(hubSide);
  const client = new Client({ name: 'bench', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

/** Runs `calls` calls with `concurrency` workers; returns latencies (ms) and the wall time. */
async function drive(call: () => Promise<unknown>, calls: number, concurrency: number) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next += 1;
        const begin = performance.now();
        await call();
        latencies.push(performance.now() - begin);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - started };
}

const percentile = (values: number[], fraction: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
};

type Row = { latencies: number[]; wallMs: number; calls: number; cpuMicros: number };
const rows = new Map<string, Row>();
function record(name: string, result: { latencies: number[]; wallMs: number }, cpuMicros: number) {
  const row = rows.get(name) ?? { latencies: [], wallMs: 0, calls: 0, cpuMicros: 0 };
  row.latencies.push(...result.latencies);
  row.wallMs += result.wallMs;
  row.calls += result.latencies.length;
  row.cpuMicros += cpuMicros;
  rows.set(name, row);
}

const hub = createHub({ upstreams: { echo: stdioSpec }, healthIntervalMs: 0 });
await hub.start();
const direct = await directClient();
const viaHub = await hubClient(hub);
const echo = (client: Client, name: string) => () =>
  client.callTool({ name, arguments: { text: 'hello' } });

// Warm up both paths.
await drive(echo(direct, 'echo'), 200, 4);
await drive(echo(viaHub, 'echo__echo'), 200, 4);
for (let round = 0; round < ROUNDS; round++) {
  for (const concurrency of [1, 32]) {
    for (const [name, call] of [
      [`direct c=${concurrency}`, echo(direct, 'echo')],
      [`hub c=${concurrency}`, echo(viaHub, 'echo__echo')],
    ] as const) {
      const cpu = process.cpuUsage();
      const result = await drive(call, CALLS_PER_ROUND, concurrency);
      const used = process.cpuUsage(cpu);
      record(name, result, used.user + used.system);
    }
  }
}

// tools/list: 20 upstreams × 50 tools through the hub vs one server with 1 000 tools.
const memory: UpstreamConnector = async (_spec, options) => {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await createEchoUpstream(49).connect(serverSide);
  const client = new Client(options.clientInfo, { capabilities: options.capabilities });
  options.configure(client);
  await client.connect(clientSide);
  return client;
};
const wide = createHub({
  connect: memory,
  healthIntervalMs: 0,
  pageSize: 2_000,
  upstreams: Object.fromEntries(
    Array.from({ length: 20 }, (_, index) => [`u${index}`, { url: `memory://u${index}` }]),
  ),
});
await wide.start();
const wideClient = await hubClient(wide);
const [single, singleServer] = InMemoryTransport.createLinkedPair();
await createEchoUpstream(999).connect(singleServer);
const singleClient = new Client({ name: 'bench', version: '1.0.0' });
await singleClient.connect(single);
const listOptions = { cacheMode: 'bypass' as const };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, client] of [
    ['tools/list 1000 direct', singleClient],
    ['tools/list 20x50 hub', wideClient],
  ] as const) {
    const cpu = process.cpuUsage();
    const result = await drive(() => client.listTools(undefined, listOptions), 40, 1);
    const used = process.cpuUsage(cpu);
    record(name, result, used.user + used.system);
  }
}

// Memory of 100 idle sessions (one upstream process behind them all).
globalThis.gc?.();
const before = process.memoryUsage().rss;
const idle = await Promise.all(Array.from({ length: 100 }, () => hubClient(hub)));
globalThis.gc?.();
const perSessionKb = (process.memoryUsage().rss - before) / 100 / 1024;
const connections = hub.upstreams.list()[0]?.connections;

const table = [...rows.entries()].map(([name, row]) => ({
  name,
  p50: percentile(row.latencies, 0.5),
  p99: percentile(row.latencies, 0.99),
  perSecond: (row.calls / row.wallMs) * 1000,
  cpuPerCall: row.cpuMicros / row.calls,
}));
const baselineOf = (name: string) =>
  table.find(
    (row) => row.name === name.replace('hub', 'direct').replace('20x50 direct', '1000 direct'),
  );
process.stdout.write(
  `\n${'path'.padEnd(24)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'calls/s'.padStart(10)}${'cpu µs/call'.padStart(13)}${'p50 ×'.padStart(8)}${'calls/s ×'.padStart(11)}\n`,
);
for (const row of table) {
  const base = baselineOf(row.name) ?? row;
  process.stdout.write(
    `${row.name.padEnd(24)}${row.p50.toFixed(3).padStart(9)}${row.p99.toFixed(3).padStart(9)}${row.perSecond.toFixed(0).padStart(10)}${row.cpuPerCall.toFixed(0).padStart(13)}${(row.p50 / base.p50).toFixed(2).padStart(8)}${(row.perSecond / base.perSecond).toFixed(2).padStart(11)}\n`,
  );
}
process.stdout.write(
  `\n100 idle sessions: ${perSessionKb.toFixed(1)} KiB RSS per session, ${connections} upstream connection(s)\n` +
    '(ratios against the direct path measured in the same run; process CPU includes the in-process client)\n',
);

await Promise.all(idle.map((client) => client.close()));
await Promise.all([direct.close(), viaHub.close(), wideClient.close(), singleClient.close()]);
await Promise.all([hub.close(), wide.close()]);
