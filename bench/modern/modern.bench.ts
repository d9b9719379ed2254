/**
 * 2026-07-28 clients: an `echo` tool (1 KiB text) called by an SDK v2 client pinned to 2026-07-28,
 * through fedmcp (the tool on a stdio upstream, as in bench/gateway) against the SDK's own
 * `createMcpHandler` serving the same tool directly (the baseline), each in its own process,
 * measured in interleaved rounds. Prints p50/p99 at c=1, calls/s at c=32 and CPU per call (the
 * contender's whole process tree, and its server process alone), each as a ratio against the
 * baseline of the same run. Beside them, the `JSON ceiling (no work)` column
 * (bench/gateway/json-ceiling.mjs answering in the 2026-07-28 shape): a server that does nothing,
 * the most this client gets from any server on this machine — at c=32 the client process is the
 * bottleneck, and the bench prints fedmcp's calls/s as a share of the ceiling's.
 *
 *   pnpm bench modern
 *   node --conditions=@fedmcp/source --import tsx bench/modern/modern.bench.ts
 *
 * Environment: BENCH_ROUNDS (default 4), BENCH_CALLS_C1 (default 300), BENCH_CALLS_C32 (default
 * 1024), BENCH_FEDMCP_LAUNCHER (a launcher bundle built beforehand; by default built from source),
 * BENCH_CPU_PROF=1 (V8 CPU profiles of the servers in bench/modern/.build/profiles/),
 * BENCH_FEDMCP_BEFORE_LAUNCHER (the launcher bundle of another build of fedmcp, from
 * bench/gateway/build-before.sh: a "fedmcp (before)" column, measured in the same interleaved
 * rounds, for a before/after comparison in one run), BENCH_CLIENT=interactive (the client declares
 * roots, sampling and elicitation, as hosts do: an upstream might ask it something, so the hub runs
 * each call as an interactive one — on the fast path too, which answers its first round),
 * BENCH_CLIENT=both (the baseline and fedmcp measured with both clients in the same rounds, each
 * interactive column against the baseline's interactive one).
 * The turn order changes every round (bench/gateway/turn-order.ts), and each measurement starts with
 * the client's heap collected, as in bench/gateway. The client's own CPU per call at c=32 is
 * printed too: it is the limit there, and a server that answers faster costs it a little more per
 * call (the answers come one at a time instead of several per turn of its event loop), which is
 * why the ceiling reads only a few percent above the baseline.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { buildLauncher } from '../gateway/build-launcher.ts';
import {
  cpuMillisecondsBetween,
  cpuTicks,
  killAllNow,
  type StartedProcess,
  startNode,
  stopAll,
} from '../gateway/processes.ts';
import { inTurn } from '../gateway/turn-order.ts';

const here = dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.env.BENCH_ROUNDS ?? 4);
const callsC1 = Number(process.env.BENCH_CALLS_C1 ?? 300);
const callsC32 = Number(process.env.BENCH_CALLS_C32 ?? 1024);
const profile = process.env.BENCH_CPU_PROF;
const profileDirectory = join(here, '.build', 'profiles');
const text = 'x'.repeat(1024);
const echoServer = join(here, '..', 'gateway', 'echo-server.mjs');
const jsonCeiling = join(here, '..', 'gateway', 'json-ceiling.mjs');
const beforeLauncher = process.env.BENCH_FEDMCP_BEFORE_LAUNCHER || undefined;
const clientKinds: ClientKind[] =
  process.env.BENCH_CLIENT === 'both'
    ? ['plain', 'interactive']
    : process.env.BENCH_CLIENT === 'interactive'
      ? ['interactive']
      : ['plain'];
type ClientKind = 'plain' | 'interactive';
if (beforeLauncher && !existsSync(beforeLauncher)) {
  throw new Error(`BENCH_FEDMCP_BEFORE_LAUNCHER: no file ${beforeLauncher}`);
}
const temporary = mkdtempSync(join(tmpdir(), 'fedmcp-modern-bench-'));

process.once('exit', () => {
  killAllNow();
  rmSync(temporary, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(1));

const profileArguments = (name: string) =>
  profile
    ? [
        '--cpu-prof',
        `--cpu-prof-dir=${profileDirectory}`,
        `--cpu-prof-name=${name}.cpuprofile`,
        '--cpu-prof-interval=200',
      ]
    : [];
if (profile) mkdirSync(profileDirectory, { recursive: true });

function writeConfig(name: string): string {
  const directory = join(temporary, name);
  mkdirSync(directory);
  const file = join(directory, 'fedmcp.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      runtime: false,
      mcpServers: {
        echo: {
          command: process.execPath,
          args: ['--max-semi-space-size=1', echoServer],
          prefix: false,
        },
      },
    }),
  );
  return file;
}

interface Contender {
  name: string;
  kind: ClientKind;
  process: StartedProcess & { port: number };
  client: Client;
  p50: number[];
  p99: number[];
  throughput: number[];
  cpuPerCall: number[];
  ownCpuPerCall: number[];
  clientCpuPerCall: number[];
}

async function connect(port: number, kind: ClientKind): Promise<Client> {
  const interactive = kind === 'interactive';
  const client = new Client(
    { name: 'bench', version: '1.0.0' },
    {
      versionNegotiation: { mode: { pin: '2026-07-28' } },
      ...(interactive
        ? { capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} } }
        : {}),
    },
  );
  if (interactive) client.setRequestHandler('roots/list', () => ({ roots: [] }));
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
  return client;
}

const percentile = (values: number[], fraction: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
};
const median = (values: number[]) => percentile(values, 0.5);

async function drive(client: Client, calls: number, concurrency: number) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        next += 1;
        const begin = performance.now();
        const result = await client.callTool({ name: 'echo', arguments: { text } });
        latencies.push(performance.now() - begin);
        const first = (result.content as Array<{ text?: string }> | undefined)?.[0];
        if (first?.text !== text) throw new Error(`echo answered ${JSON.stringify(result)}`);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - started };
}

async function main() {
  // A bundle of its own (bench/gateway's may be in use by a gateway run).
  const launcher =
    process.env.BENCH_FEDMCP_LAUNCHER ||
    (await buildLauncher({ outfile: new URL('./.build/fedmcp-launcher.mjs', import.meta.url) }));
  const [baseline, before, fedmcp, ceiling] = await Promise.all([
    startNode('baseline', [...profileArguments('baseline'), join(here, 'echo-modern-server.mjs')]),
    beforeLauncher
      ? startNode('fedmcp-before', [
          ...profileArguments('fedmcp-before'),
          beforeLauncher,
          writeConfig('fedmcp-before'),
        ])
      : undefined,
    startNode('fedmcp', [...profileArguments('fedmcp'), launcher, writeConfig('fedmcp')]),
    startNode('JSON ceiling', [jsonCeiling]),
  ]);
  const contenders: Contender[] = [];
  const launched: Array<[string, StartedProcess & { port: number }, ClientKind]> = [];
  // One column per server and client kind (the JSON ceiling's with the first kind only).
  const both = clientKinds.length > 1;
  for (const kind of clientKinds) {
    const suffix = both ? `, ${kind} client` : '';
    launched.push([`SDK createMcpHandler, direct (baseline${suffix})`, baseline, kind]);
    if (before) launched.push([`fedmcp (before${suffix})`, before, kind]);
    launched.push([`fedmcp (stdio upstream${suffix})`, fedmcp, kind]);
  }
  launched.push(['JSON ceiling (no work)', ceiling, clientKinds[0] as ClientKind]);
  for (const [name, started, kind] of launched) {
    contenders.push({
      name,
      kind,
      process: started,
      client: await connect(started.port, kind),
      p50: [],
      p99: [],
      throughput: [],
      cpuPerCall: [],
      ownCpuPerCall: [],
      clientCpuPerCall: [],
    });
  }
  for (const contender of contenders) await drive(contender.client, 200, 8); // warm-up
  for (let round = 0; round < rounds; round += 1) {
    for (const contender of inTurn(contenders, round)) {
      // As in bench/gateway (measure-calls.ts): the garbage of the previous turn is collected
      // here, not during this turn's calls (`pnpm bench` runs benches with --expose-gc).
      globalThis.gc?.();
      const single = await drive(contender.client, callsC1, 1);
      contender.p50.push(percentile(single.latencies, 0.5));
      contender.p99.push(percentile(single.latencies, 0.99));
      globalThis.gc?.();
      const before = cpuTicks(contender.process.pid);
      const clientBefore = process.cpuUsage();
      const many = await drive(contender.client, callsC32, 32);
      const client = process.cpuUsage(clientBefore);
      const after = cpuTicks(contender.process.pid);
      const cpu = cpuMillisecondsBetween(before, after);
      // The server process alone: fedmcp without its stdio upstream child.
      const root = contender.process.pid;
      const own = cpuMillisecondsBetween(
        new Map([[root, before.get(root) ?? 0]]),
        new Map([[root, after.get(root) ?? 0]]),
      );
      contender.throughput.push((callsC32 * 1000) / many.wallMs);
      contender.cpuPerCall.push(cpu / callsC32);
      contender.ownCpuPerCall.push(own / callsC32);
      contender.clientCpuPerCall.push((client.user + client.system) / 1000 / callsC32);
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }
  // Each column against the baseline measured with the same client kind.
  const baseOf = (contender: Contender) =>
    contenders.find((c) => c.process === baseline && c.kind === contender.kind) as Contender;
  const [base] = contenders as [Contender];
  const ratio = (value: number, reference: number) =>
    reference > 0 ? `${(value / reference).toFixed(2)}×` : '–';
  const rows: Array<[string, (contender: Contender) => number, string]> = [
    ['p50 c=1 (ms)', (c) => median(c.p50), 'lower is better'],
    ['p99 c=1 (ms)', (c) => median(c.p99), 'lower is better'],
    ['calls/s c=32', (c) => median(c.throughput), 'higher is better'],
    ['CPU ms per call c=32 (process tree)', (c) => median(c.cpuPerCall), 'lower is better'],
    [
      'CPU ms per call c=32, server process alone (no upstream child)',
      (c) => median(c.ownCpuPerCall),
      'lower is better',
    ],
    [
      'CPU ms per call c=32, client process (the bench itself)',
      (c) => median(c.clientCpuPerCall),
      'lower is better',
    ],
  ];
  process.stdout.write(
    `\n2026-07-28 client (SDK v2, pinned${both ? '; the interactive one' : clientKinds[0] === 'interactive' ? ',' : ''}${clientKinds.includes('interactive') ? ' declaring roots, sampling and elicitation' : ''}), echo of 1 KiB, ${rounds} interleaved rounds of ${callsC1} calls at c=1 and ${callsC32} at c=32 (medians over rounds), Node ${process.version}\n\n`,
  );
  process.stdout.write(`| figure | ${contenders.map((c) => c.name).join(' | ')} |\n`);
  process.stdout.write(`|---|${contenders.map(() => '---').join('|')}|\n`);
  for (const [label, value] of rows) {
    const cells = contenders.map((c) =>
      c.process === baseline
        ? value(c).toFixed(label.startsWith('calls') ? 0 : 3)
        : `${value(c).toFixed(label.startsWith('calls') ? 0 : 3)} (${ratio(value(c), value(baseOf(c)))})`,
    );
    process.stdout.write(`| ${label} | ${cells.join(' | ')} |\n`);
  }
  const fedmcpColumn = contenders.find((c) => c.process === fedmcp) as Contender;
  const interactiveColumn = both
    ? contenders.find((c) => c.process === fedmcp && c.kind === 'interactive')
    : undefined;
  const ceilingColumn = contenders.find((c) => c.process === ceiling) as Contender;
  const ceilingCalls = median(ceilingColumn.throughput);
  process.stdout.write(
    `\nfedmcp calls/s c=32: ${ratio(median(fedmcpColumn.throughput), ceilingCalls)} the JSON ceiling, which reads ${ratio(ceilingCalls, median(base.throughput))} the baseline (the most any server gets from this client).\n` +
      'JSON ceiling: no work at all, every call answered at once as JSON in the 2026-07-28 shape (bench/gateway/json-ceiling.mjs) — not a contender.\n',
  );
  if (interactiveColumn) {
    process.stdout.write(
      `fedmcp, the interactive client against the plain one (one hub, same rounds): p50 c=1 ${ratio(median(interactiveColumn.p50), median(fedmcpColumn.p50))}, calls/s c=32 ${ratio(median(interactiveColumn.throughput), median(fedmcpColumn.throughput))}, server CPU per call ${ratio(median(interactiveColumn.ownCpuPerCall), median(fedmcpColumn.ownCpuPerCall))}.\n`,
    );
  }
  for (const contender of contenders) await contender.client.close();
  await stopAll();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
