/**
 * The gateway benchmark under the conditions of the independent run quoted in issue 18, beside
 * `hub.bench.ts` (which keeps its own: SDK v2 on both ends, short payloads): SDK 1.32 on both
 * ends, a 1 KiB echo payload, 2,000 calls per concurrency level and round, one session, 3
 * interleaved rounds, the plain and the interactive client in the same run, supergateway and
 * mcp-proxy beside fedmcp.
 *
 * - clients: `@modelcontextprotocol/sdk` 1.32 `Client` + `StreamableHTTPClientTransport`; the
 *   plain one declares no capability, the interactive one roots, sampling and elicitation (as
 *   Claude Desktop and IDEs do);
 * - upstream: `sdk1-echo-server.mjs`, an SDK 1.32 `McpServer` with `echo` and `work` over stdio,
 *   the same program under fedmcp, supergateway (`--stateful`) and mcp-proxy, with Node's default
 *   flags (as a user would run it);
 * - baseline: the same `McpServer` on SDK 1.32's sessionful `StreamableHTTPServerTransport` on
 *   `node:http` in its own process, measured with each client (each column's ratios are against
 *   the baseline measured with the same client).
 *
 * Every column is a process tree of its own (fedmcp runs twice: one hub per client kind), so its
 * CPU and memory are its alone.
 *
 *   node --conditions=@fedmcp/source --import tsx bench/gateway/independent.bench.ts
 *   (or: pnpm bench gateway/independent; `pnpm bench gateway` runs it after hub.bench.ts)
 *
 * Environment: BENCH_ROUNDS (default 3), BENCH_CALLS (calls per round, scenario and column,
 * default 2000), BENCH_PAYLOAD_BYTES (echo text size, default 1024), BENCH_WORK_MS (default 20),
 * BENCH_CONTENDERS (of baseline, fedmcp, supergateway, mcp-proxy; default all; the baseline always
 * runs; hub.bench.ts's fedmcp-before and raw are skipped here with a note), BENCH_FEDMCP_LAUNCHER (a launcher bundle built beforehand), BENCH_FEDMCP_STORE,
 * BENCH_CPU_PROF=1|all|every (profiles `independent-<column>.cpuprofile` in .build/profiles), or
 * `perf` (`--perf-basic-prof`, the pids printed at the start, for `perf record -g -p <pid>`).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { buildLauncher } from './build-launcher.ts';
import {
  killStartedOnExit,
  perRequestSignalFetch,
  profileArguments,
  startMcpProxy,
  startSupergateway,
  writeFedmcpConfig,
} from './contenders.ts';
import {
  addSample,
  type CallSample,
  echoText,
  emptySample,
  measureCalls,
  payloadBytes,
} from './measure-calls.ts';
import { memory, type StartedProcess, startNode, stopAll } from './processes.ts';
import { type Figure, megabytes, percentile, renderTable } from './table.ts';

function wholeNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name}: a whole number ≥ 1, not "${raw}"`);
  }
  return value;
}

const rounds = wholeNumber('BENCH_ROUNDS', 3);
const calls = wholeNumber('BENCH_CALLS', 2000);
const warmUpCalls = Math.ceil(calls / 4);
const echoBytes = payloadBytes(1024);
const workMs = wholeNumber('BENCH_WORK_MS', 20);
const profile = process.env.BENCH_CPU_PROF ?? '';

const kinds = ['baseline', 'fedmcp', 'supergateway', 'mcp-proxy'] as const;
type Kind = (typeof kinds)[number];
const listed = process.env.BENCH_CONTENDERS?.split(',')
  .map((each) => each.trim().toLowerCase())
  .filter((each) => each !== '');
// hub.bench.ts's own contenders (`pnpm bench gateway` runs both benches with one environment):
// not run here, said once.
const hubBenchOnly = ['fedmcp-before', 'raw'];
for (const each of listed ?? []) {
  if (hubBenchOnly.includes(each)) {
    process.stderr.write(`BENCH_CONTENDERS: "${each}" runs in hub.bench.ts only, not here\n`);
  } else if (!(kinds as readonly string[]).includes(each)) {
    throw new Error(
      `BENCH_CONTENDERS: no contender "${each}" here (pick from ${kinds.join(', ')})`,
    );
  }
}
const selected = new Set<string>(listed && listed.length > 0 ? ['baseline', ...listed] : kinds);

/** A column of the table: one contender process tree, driven by one kind of client. */
interface Column {
  id: string;
  name: string;
  kind: Kind;
  interactive: boolean;
  process?: StartedProcess & { port: number };
  client?: Client;
  samples: Map<string, CallSample>;
  memoryAfterRun?: ReturnType<typeof memory>;
}

const columns: Column[] = (
  [
    ['baseline-plain', 'SDK direct, plain client', 'baseline', false],
    ['baseline-interactive', 'SDK direct, interactive client', 'baseline', true],
    ['fedmcp-plain', 'fedmcp, plain client', 'fedmcp', false],
    ['fedmcp-interactive', 'fedmcp, interactive client', 'fedmcp', true],
    ['supergateway-interactive', 'supergateway (interactive)', 'supergateway', true],
    ['mcp-proxy-interactive', 'mcp-proxy (interactive)', 'mcp-proxy', true],
  ] as const
)
  .filter(([, , kind]) => selected.has(kind))
  .map(([id, name, kind, interactive]) => ({ id, name, kind, interactive, samples: new Map() }));
/** Each column's ratios are against the baseline measured with the same kind of client. */
const ratioTo = columns.map((column) => {
  const base = columns.findIndex(
    (each) => each.kind === 'baseline' && each.interactive === column.interactive,
  );
  if (column.id === 'baseline-plain') return undefined;
  return column.id === 'baseline-interactive' ? 0 : base;
});

const here = fileURLToPath(new URL('.', import.meta.url));
const echoServer = join(here, 'sdk1-echo-server.mjs');
const upstream = [process.execPath, echoServer];
const temporary = mkdtempSync(join(tmpdir(), 'fedmcp-independent-bench-'));
killStartedOnExit();

async function start(column: Column, launcher: string | undefined) {
  const flags = profileArguments(profile, `independent-${column.id}`);
  switch (column.kind) {
    case 'baseline':
      return startNode(column.name, [...flags, echoServer, '--http']);
    case 'fedmcp':
      return startNode(column.name, [
        ...flags,
        launcher as string,
        writeFedmcpConfig(temporary, column.id, {
          echo: { command: process.execPath, args: [echoServer], prefix: false },
        }),
      ]);
    case 'supergateway':
      return startSupergateway(column.name, upstream, flags);
    case 'mcp-proxy':
      return startMcpProxy(column.name, upstream, flags);
  }
}

async function openSession(port: number, interactive: boolean): Promise<Client> {
  const client = new Client(
    { name: 'independent-bench', version: '1.0.0' },
    interactive
      ? { capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} } }
      : {},
  );
  if (interactive) client.setRequestHandler(ListRootsRequestSchema, () => ({ roots: [] }));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
      fetch: perRequestSignalFetch,
    }),
  );
  return client;
}

interface Scenario {
  key: string;
  concurrency: number;
  tool: 'echo' | 'work';
}
const scenarios: Scenario[] = [
  { key: 'echo-c1', concurrency: 1, tool: 'echo' },
  { key: 'echo-c32', concurrency: 32, tool: 'echo' },
  { key: 'work-c32', concurrency: 32, tool: 'work' },
];

async function call(client: Client, tool: 'echo' | 'work', index: number): Promise<void> {
  const text = echoText(index, echoBytes);
  const result = await client.callTool(
    tool === 'echo'
      ? { name: 'echo', arguments: { text } }
      : { name: 'work', arguments: { ms: workMs } },
  );
  const first = (result.content as Array<{ type: string; text?: string }> | undefined)?.[0];
  const expected = tool === 'echo' ? text : 'worked';
  if (first?.text !== expected) {
    throw new Error(`${tool} returned ${JSON.stringify(result).slice(0, 200)}`);
  }
}

async function run(column: Column, scenario: Scenario, count: number, record: boolean) {
  const client = column.client as Client;
  const sample = await measureCalls(
    (column.process as StartedProcess).pid,
    scenario.concurrency,
    count,
    (index) => call(client, scenario.tool, index),
  );
  if (!record) return;
  let total = column.samples.get(scenario.key);
  if (!total) {
    total = emptySample();
    column.samples.set(scenario.key, total);
  }
  addSample(total, sample);
}

const loadAtStart = loadavg();
const runStarted = performance.now();
function progress(message: string): void {
  const seconds = ((performance.now() - runStarted) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`${seconds} s  ${message}\n`);
}

try {
  progress(`columns: ${columns.map((column) => column.id).join(', ')}`);
  let launcher: string | undefined;
  let build = '';
  if (selected.has('fedmcp')) {
    launcher = process.env.BENCH_FEDMCP_LAUNCHER || (await buildLauncher());
    let commit = 'a launcher built beforehand';
    if (!process.env.BENCH_FEDMCP_LAUNCHER) {
      try {
        commit = `this working tree at ${execFileSync('git', ['describe', '--always', '--dirty', '--abbrev=7'], { cwd: here, encoding: 'utf8' }).trim()}`;
      } catch {
        commit = 'this working tree';
      }
    }
    build = `fedmcp: ${commit} (${launcher})`;
  }
  progress('starting contenders…');
  const started = await Promise.all(columns.map((column) => start(column, launcher)));
  for (const [index, column] of columns.entries()) {
    column.process = started[index];
    if (profile === 'perf') {
      progress(`perf: ${column.name} is pid ${started[index]?.pid} (perf record -g -p <pid>)`);
    }
  }
  for (const column of columns) {
    column.client = await openSession(
      (column.process as { port: number }).port,
      column.interactive,
    );
  }
  progress(`warming up (${warmUpCalls} calls per scenario and column)…`);
  for (const column of columns) {
    for (const scenario of scenarios) await run(column, scenario, warmUpCalls, false);
  }
  for (let round = 0; round < rounds; round += 1) {
    progress(`round ${round + 1}/${rounds}…`);
    // The turn order rotates every round, so no column always follows the same neighbour.
    const order = columns.map((_, index) => columns[(index + round) % columns.length] as Column);
    for (const scenario of scenarios) {
      for (const column of order) await run(column, scenario, calls, true);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const column of columns) {
    column.memoryAfterRun = memory((column.process as StartedProcess).pid);
  }

  const sample = (column: Column, key: string) => column.samples.get(key) ?? emptySample();
  const row = (
    label: string,
    unit: string,
    better: Figure['better'],
    digits: number,
    value: (column: Column) => number,
    informational = false,
  ): Figure => ({
    label,
    unit,
    better,
    digits,
    informational,
    ratioTo,
    values: columns.map(value),
  });
  const callsPerSecond = (found: CallSample) => (found.calls / found.wallMs) * 1000;
  const ideal = Math.round((32 * 1000) / workMs);
  const figures: Figure[] = [
    row('echo p50, c=1', 'ms', 'lower', 2, (column) =>
      percentile(sample(column, 'echo-c1').latencies, 0.5),
    ),
    row('calls/s, c=32', 'calls/s', 'higher', 0, (column) =>
      callsPerSecond(sample(column, 'echo-c32')),
    ),
    row('hub process CPU per call, c=32', 'ms', 'lower', 3, (column) => {
      const found = sample(column, 'echo-c32');
      return found.ownCpuMs / found.calls;
    }),
    row(`work(${workMs} ms) calls/s, c=32 (ideal ${ideal})`, 'calls/s', 'higher', 0, (column) =>
      callsPerSecond(sample(column, 'work-c32')),
    ),
    row('process-tree RSS after the run', 'MiB', 'lower', 0, (column) =>
      megabytes(column.memoryAfterRun?.treeRss ?? Number.NaN),
    ),
    row(
      'echo p99, c=1',
      'ms',
      'lower',
      2,
      (column) => percentile(sample(column, 'echo-c1').latencies, 0.99),
      true,
    ),
    row(
      'echo p50, c=32',
      'ms',
      'lower',
      2,
      (column) => percentile(sample(column, 'echo-c32').latencies, 0.5),
      true,
    ),
    row(
      'process-tree CPU per call, c=32 (upstream included)',
      'ms',
      'lower',
      3,
      (column) => {
        const found = sample(column, 'echo-c32');
        return found.cpuMs / found.calls;
      },
      true,
    ),
    row(
      'client process CPU per call, c=32 (the bench itself)',
      'ms',
      'lower',
      3,
      (column) => {
        const found = sample(column, 'echo-c32');
        return found.clientCpuMs / found.calls;
      },
      true,
    ),
    row(
      'server process RSS after the run',
      'MiB',
      'lower',
      0,
      (column) => megabytes(column.memoryAfterRun?.rss ?? Number.NaN),
      true,
    ),
    row(
      'processes in the tree after the run (upstreams included)',
      'count',
      'lower',
      0,
      (column) => column.memoryAfterRun?.processes ?? Number.NaN,
      true,
    ),
  ];
  const elapsedSeconds = (performance.now() - runStarted) / 1000;
  const out = [
    `Gateway benchmark, independent-run conditions (issue 18): SDK 1.32 clients and an SDK 1.32 McpServer upstream over stdio, ` +
      `${echoBytes} B echo payload, ${rounds} interleaved rounds of ${calls} calls per scenario and column ` +
      `(echo c=1, echo c=32, work c=32; one session each) after a warm-up of ${warmUpCalls}; ` +
      `Node ${process.version}, ${availableParallelism()} CPUs, load average ${loadAtStart[0]?.toFixed(1)} at start, ` +
      `${loadavg()[0]?.toFixed(1)} at end; ${elapsedSeconds.toFixed(0)} s.`,
    ...(build ? [`- ${build}`] : []),
    '',
    renderTable(
      ['figure', ...columns.map((column) => column.name)],
      figures.filter((figure) => !figure.informational),
    ),
    '',
    'Context:',
    '',
    renderTable(
      ['figure', ...columns.map((column) => column.name)],
      figures.filter((figure) => figure.informational),
    ),
    '',
    'Ratios: each column against the SDK direct baseline measured with the same client (the interactive baseline against the plain one); ' +
      'below 1× is better for latency, CPU and memory, above 1× for calls/s. "hub process" is the server process alone (no upstream child); ' +
      'for the baseline it is the whole server.',
  ];
  // Issue 18's targets that these conditions speak to.
  const at = (id: string) => columns.findIndex((column) => column.id === id);
  const ratio = (figure: Figure, index: number) =>
    (figure.values[index] as number) / (figure.values[ratioTo[index] as number] as number);
  const targets: Array<[string, number, Figure, 'max' | 'min', number]> = [
    [
      'fedmcp, interactive client, p50 c=1',
      at('fedmcp-interactive'),
      figures[0] as Figure,
      'max',
      1.1,
    ],
    [
      'fedmcp, interactive client, calls/s c=32',
      at('fedmcp-interactive'),
      figures[1] as Figure,
      'min',
      1.2,
    ],
    ['fedmcp, plain client, p50 c=1', at('fedmcp-plain'), figures[0] as Figure, 'max', 1.0],
    ['fedmcp, plain client, calls/s c=32', at('fedmcp-plain'), figures[1] as Figure, 'min', 1.3],
    [
      'fedmcp, interactive client, work calls/s c=32',
      at('fedmcp-interactive'),
      figures[3] as Figure,
      'min',
      0.95,
    ],
  ];
  const checks = targets
    .filter(([, index]) => index >= 0 && ratioTo[index] !== undefined && ratioTo[index] >= 0)
    .map(([label, index, figure, bound, target]) => {
      const value = ratio(figure, index);
      const met = bound === 'max' ? value <= target : value >= target;
      return `- ${met ? 'met ' : 'MISS'} ${label}: ${value.toFixed(2)}× (target ${bound === 'max' ? '≤' : '≥'} ${target.toFixed(2)}×)`;
    });
  if (checks.length > 0) out.push('', 'Targets (issue 18):', ...checks);
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  await Promise.race([
    Promise.allSettled(columns.map((column) => column.client?.close())),
    new Promise((resolve) => setTimeout(resolve, 5000)),
  ]);
  await stopAll();
  rmSync(temporary, { recursive: true, force: true });
  if (profile && profile !== 'perf') {
    process.stderr.write('CPU profiles in bench/gateway/.build/profiles\n');
  }
}
