/**
 * The hub against the SDK and the npm peers, all in one interleaved run on loopback. Every
 * contender serves the same `echo` tool over Streamable HTTP (2025 era, sessionful) on 127.0.0.1,
 * each in its own process:
 *
 * - baseline: the echo server served directly by the SDK's own Streamable HTTP server
 *   (`NodeStreamableHTTPServerTransport` on `node:http`, `echo-http-server.mjs`): no gateway, no
 *   stdio hop — the cost floor of serving this tool over HTTP with the SDK;
 * - fedmcp: `createFedmcpServer` (bundled from source, `fedmcp-launcher.ts`) with the echo server
 *   as a stdio upstream, `prefix: false`;
 * - supergateway `--stateful` and mcp-proxy fronting the same stdio echo server;
 * - a reference, not a contender: `raw-relay.mjs`, a relay with no MCP logic in front of the same
 *   stdio server — the cost of the extra process hop alone, the floor of any stdio gateway;
 * - a reference, not a contender: `json-ceiling.mjs`, a server that does no work and answers every
 *   call at once as JSON — the most calls/s the bench's client reaches (at c=32 the client process
 *   is the bottleneck, so no server can make it faster than this).
 *
 * Figures (each a ratio against the baseline of the same run): p50/p99 latency and calls/s at
 * concurrency 1 and 32 over one session and over 32 sessions; the same at c=32 for `work`, a tool
 * that waits BENCH_WORK_MS (default 20) before it answers (an I/O-bound tool: what a gateway that
 * serialises calls on its upstream, e.g. one exclusive connection per call, caps; direct: c / ms);
 * CPU per call (user + system time of
 * the contender's whole process tree, upstream children included, from /proc); `tools/list`
 * through fedmcp with 20 stdio upstreams × 50 tools; memory with 100 idle sessions.
 *
 *   node --conditions=@fedmcp/source --import tsx bench/gateway/hub.bench.ts    (or: pnpm bench gateway)
 *
 * Memory with idle sessions is read after BENCH_SETTLE_MS (default 40 s) with nothing but those
 * sessions open, so it is the sessions' memory, not the heap the call rounds left to collect.
 *
 * Environment: BENCH_ROUNDS (default 6), BENCH_CALLS_C1 (calls per round at concurrency 1,
 * default 250), BENCH_CALLS_C32 (default 1024), BENCH_IDLE_SESSIONS (default 100). With the
 * defaults a p99 at c=1 is the 15th slowest of 1,500 calls, not the 4th of 400: one scheduling
 * hiccup of a shared machine no longer decides it.
 * BENCH_CPU_PROF=1 (write a V8 CPU profile of the fedmcp process to bench/gateway/.build/profiles,
 * `all` also of supergateway and mcp-proxy, `every` also of the baseline; summarise one with
 * summarize-cpu-profile.ts; `perf`: `--perf-basic-prof` for Linux `perf record -g -p <pid>`, the
 * pids printed at the start). Profiling slows the profiled processes: do not quote such a run.
 * BENCH_SCENARIOS: a focused run — only these call scenarios (comma-separated keys: c1-s1, c32-s1,
 * c1-s32, c32-s32, work-c32-s1, work-c32-s32), no tools/list and no idle-memory phase.
 * BENCH_PAYLOAD_BYTES: the echo text's size (`message N` padded with `x`; default: `message N`).
 * BENCH_CLIENT=interactive: the bench clients declare roots, sampling and elicitation, as hosts
 * such as Claude Desktop and IDEs do (by default they declare no capability).
 * BENCH_FEDMCP_STORE: the fedmcp store URL (default: none, so the embedded SQLite store, as
 * `fedmcp serve` runs by default).
 * BENCH_FEDMCP_LAUNCHER: a launcher bundle built beforehand; by default the launcher is built from
 * source at the start.
 * BENCH_FEDMCP_BEFORE_LAUNCHER: the launcher bundle of another build of fedmcp (build-before.sh
 * makes one of an older commit), run as the contender "fedmcp (before)" beside "fedmcp" in the
 * same interleaved rounds, with every figure of fedmcp (its tools/list too), and a table of
 * fedmcp against fedmcp (before). The turn order changes every round (see inTurn).
 * BENCH_CONTENDERS: which contenders run, comma-separated, of baseline, fedmcp-before, fedmcp,
 * supergateway, mcp-proxy, raw, ceiling (default: all; fedmcp-before when BENCH_FEDMCP_BEFORE_LAUNCHER is
 * set). The baseline always runs: every ratio is against it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { buildLauncher } from './build-launcher.ts';
import {
  echoFlags,
  killStartedOnExit,
  perRequestSignalFetch,
  profileDirectory,
  profileArguments as profileFlags,
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
import { inTurn } from './turn-order.ts';

const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
const callsAtConcurrency1 = Number(process.env.BENCH_CALLS_C1 ?? 250);
const callsAtConcurrency32 = Number(process.env.BENCH_CALLS_C32 ?? 1024);
const idleSessions = Number(process.env.BENCH_IDLE_SESSIONS ?? 100);
/**
 * How long the contenders sit with only idle sessions before their memory is read. A Node server
 * keeps the heap it grew under the call rounds until V8's memory reducer runs, some 20–30 s after
 * allocation stops; read earlier, "RSS with idle sessions" measures the load's garbage (reported
 * too, as "right after the load").
 */
const settleMs = Number(process.env.BENCH_SETTLE_MS ?? 40_000);
const profile = process.env.BENCH_CPU_PROF ?? '';
const interactiveClient = process.env.BENCH_CLIENT === 'interactive';
const beforeLauncher = process.env.BENCH_FEDMCP_BEFORE_LAUNCHER || undefined;

/** The contenders in column (and turn) order, by their BENCH_CONTENDERS id. */
const contenderIds = [
  'baseline',
  'fedmcp-before',
  'fedmcp',
  'supergateway',
  'mcp-proxy',
  'raw',
  'ceiling',
] as const;
type ContenderId = (typeof contenderIds)[number];
const contenderNames: Record<ContenderId, string> = {
  baseline: 'baseline (SDK direct)',
  'fedmcp-before': 'fedmcp (before)',
  fedmcp: 'fedmcp',
  supergateway: 'supergateway',
  'mcp-proxy': 'mcp-proxy',
  raw: 'raw relay (floor)',
  ceiling: 'JSON ceiling (no work)',
};

function selectContenders(): Set<ContenderId> {
  const listed = process.env.BENCH_CONTENDERS?.split(',')
    .map((each) => each.trim().toLowerCase())
    .filter((each) => each !== '');
  if (!listed || listed.length === 0) {
    return new Set(contenderIds.filter((id) => id !== 'fedmcp-before' || beforeLauncher));
  }
  const aliases: Record<string, ContenderId> = {
    before: 'fedmcp-before',
    'raw-relay': 'raw',
    'json-ceiling': 'ceiling',
  };
  const selected = new Set<ContenderId>(['baseline']);
  for (const each of listed) {
    const id = aliases[each] ?? each;
    if (!(contenderIds as readonly string[]).includes(id)) {
      throw new Error(
        `BENCH_CONTENDERS: no contender "${each}" (pick from ${contenderIds.join(', ')})`,
      );
    }
    selected.add(id as ContenderId);
  }
  if (selected.has('fedmcp-before') && !beforeLauncher) {
    throw new Error(
      'BENCH_CONTENDERS names fedmcp-before but BENCH_FEDMCP_BEFORE_LAUNCHER is not set (build one with bench/gateway/build-before.sh)',
    );
  }
  return selected;
}

const selected = selectContenders();
if (beforeLauncher && selected.has('fedmcp-before') && !existsSync(beforeLauncher)) {
  throw new Error(`BENCH_FEDMCP_BEFORE_LAUNCHER: no file ${beforeLauncher}`);
}
const listRounds = 4;
const listsPerRound = 30;
const upstreamCount = 20;
const toolsPerUpstream = 50;

const here = fileURLToPath(new URL('.', import.meta.url));
const echoServer = join(here, 'echo-server.mjs');
const echoHttpServer = join(here, 'echo-http-server.mjs');
const rawRelay = join(here, 'raw-relay.mjs');
const jsonCeiling = join(here, 'json-ceiling.mjs');

killStartedOnExit();

// ---------------------------------------------------------------------------------------------
// Contenders

interface Contender {
  /** Of a call contender, or the fedmcp build of a tools/list target (the baselines have none). */
  id?: ContenderId;
  name: string;
  process: StartedProcess;
  url: string;
  single: Client[];
  many: Client[];
  idle: Client[];
  memoryAtStart?: ReturnType<typeof memory>;
  /**
   * With the 33 sessions of the call scenarios open, before any call: the sessions' own memory,
   * free of the young generation the call rounds grow (which V8 gives back only after a
   * mark-compact arms its memory reducer, so the figures read after the load are partly chance).
   */
  memoryWithSessions?: ReturnType<typeof memory>;
  /** 2 s after the idle sessions opened, right after the load: the load's garbage included. */
  memoryAfterLoad?: ReturnType<typeof memory>;
  /** After `settleMs` with nothing but the idle sessions. */
  memoryIdle?: ReturnType<typeof memory>;
}

const temporary = mkdtempSync(join(tmpdir(), 'fedmcp-gateway-bench-'));

/** A fedmcp config (see writeFedmcpConfig); the older builds predate the `runtime` key. */
function writeConfig(name: string, servers: Record<string, unknown>): string {
  return writeFedmcpConfig(
    temporary,
    name,
    servers,
    name.startsWith('fedmcp-before') ? undefined : false,
  );
}

/**
 * Starts the selected contenders (in parallel) and the tools/list targets: the two direct
 * baselines and a fedmcp with 20 upstreams per fedmcp build, when a fedmcp build runs.
 */
async function startContenders(launchers: Partial<Record<'fedmcp' | 'fedmcp-before', string>>) {
  const echoUpstream = {
    echo: { command: process.execPath, args: [...echoFlags, echoServer, '--work'], prefix: false },
  };
  const listUpstreams = Object.fromEntries(
    Array.from({ length: upstreamCount }, (_, index) => [
      `u${index}`,
      {
        command: process.execPath,
        args: [...echoFlags, echoServer, '--extra-tools', String(toolsPerUpstream - 1)],
      },
    ]),
  );
  const profileArguments = (name: string) => profileFlags(profile, name);
  const starters: Record<ContenderId, () => Promise<StartedProcess & { port: number }>> = {
    baseline: () =>
      startNode('baseline', [...profileArguments('baseline'), echoHttpServer, '--work']),
    'fedmcp-before': () =>
      startNode('fedmcp (before)', [
        ...profileArguments('fedmcp-before'),
        launchers['fedmcp-before'] as string,
        writeConfig('fedmcp-before', echoUpstream),
      ]),
    fedmcp: () =>
      startNode('fedmcp', [
        ...profileArguments('fedmcp'),
        launchers.fedmcp as string,
        writeConfig('fedmcp', echoUpstream),
      ]),
    supergateway: () =>
      startSupergateway(
        'supergateway',
        [process.execPath, ...echoFlags, echoServer, '--work'],
        profileArguments('supergateway'),
      ),
    'mcp-proxy': () =>
      startMcpProxy(
        'mcp-proxy',
        [process.execPath, ...echoFlags, echoServer, '--work'],
        profileArguments('mcp-proxy'),
      ),
    ceiling: () => startNode('JSON ceiling', [jsonCeiling]),
    raw: () =>
      startNode('raw relay', [
        rawRelay,
        '--',
        process.execPath,
        ...echoFlags,
        echoServer,
        '--work',
      ]),
  };
  const fedmcpBuilds = (['fedmcp-before', 'fedmcp'] as const).filter((id) => selected.has(id));
  type Starter = () => Promise<StartedProcess & { port: number }>;
  const listStarters: Array<[string, Starter, ContenderId?]> =
    fedmcpBuilds.length === 0 || focused
      ? []
      : [
          [
            'baseline: direct, 50 tools',
            () =>
              startNode('baseline, 50 tools', [
                echoHttpServer,
                '--extra-tools',
                String(toolsPerUpstream - 1),
              ]),
          ],
          [
            'baseline: direct, 1000 tools',
            () =>
              startNode('baseline, 1000 tools', [
                echoHttpServer,
                '--extra-tools',
                String(toolsPerUpstream - 1),
                '--prefixes',
                String(upstreamCount),
              ]),
          ],
          ...fedmcpBuilds.map((id): [string, Starter, ContenderId] => [
            `${contenderNames[id]}: 20 upstreams × 50 tools`,
            () =>
              startNode(
                `${contenderNames[id]}, 20 upstreams`,
                [launchers[id] as string, writeConfig(`${id}-tools-list`, listUpstreams)],
                { timeoutMs: 120_000 },
              ),
            id,
          ]),
        ];
  const ids = contenderIds.filter((id) => selected.has(id));
  const started = await Promise.all([
    ...ids.map((id) => starters[id]()),
    ...listStarters.map(([, start]) => start()),
  ]);
  const contender = (
    name: string,
    child: StartedProcess & { port: number },
    id?: ContenderId,
  ): Contender => ({
    id,
    name,
    process: child,
    url: `http://127.0.0.1:${child.port}/mcp`,
    single: [],
    many: [],
    idle: [],
  });
  return {
    contenders: ids.map((id, index) =>
      contender(contenderNames[id], started[index] as StartedProcess & { port: number }, id),
    ),
    listTargets: listStarters.map(([name, , id], index) =>
      contender(name, started[ids.length + index] as StartedProcess & { port: number }, id),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Clients and calls

async function openSession(url: string): Promise<Client> {
  const client = new Client(
    { name: 'gateway-bench', version: '1.0.0' },
    {
      versionNegotiation: { mode: 'legacy' },
      ...(interactiveClient
        ? { capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} } }
        : {}),
    },
  );
  if (interactiveClient) client.setRequestHandler('roots/list', () => ({ roots: [] }));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { fetch: perRequestSignalFetch }),
  );
  return client;
}

async function openSessions(url: string, count: number, parallel = 8): Promise<Client[]> {
  const clients: Client[] = [];
  for (let index = 0; index < count; index += parallel) {
    const batch = Math.min(parallel, count - index);
    clients.push(...(await Promise.all(Array.from({ length: batch }, () => openSession(url)))));
  }
  return clients;
}

async function callEcho(client: Client, text: string): Promise<void> {
  const result = await client.callTool({ name: 'echo', arguments: { text } });
  const first = (result.content as Array<{ type: string; text?: string }>)[0];
  if (first?.text !== text) throw new Error(`echo returned ${JSON.stringify(result)}`);
}

const workMs = Number(process.env.BENCH_WORK_MS ?? 20);
/** The echo text's size (BENCH_PAYLOAD_BYTES); by default a short `message N`. */
const echoBytes = payloadBytes();

async function callWork(client: Client): Promise<void> {
  const result = await client.callTool({ name: 'work', arguments: { ms: workMs } });
  const first = (result.content as Array<{ type: string; text?: string }>)[0];
  if (first?.text !== 'worked') throw new Error(`work returned ${JSON.stringify(result)}`);
}

async function listAllTools(client: Client): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    count += page.tools.length;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return count;
}

interface Scenario {
  key: string;
  label: string;
  concurrency: number;
  sessions: 1 | 32;
  /** The tool called. @default echo */
  tool?: 'work';
}

const allScenarios: Scenario[] = [
  { key: 'c1-s1', label: 'c=1, 1 session', concurrency: 1, sessions: 1 },
  { key: 'c32-s1', label: 'c=32, 1 session', concurrency: 32, sessions: 1 },
  { key: 'c1-s32', label: 'c=1, 32 sessions', concurrency: 1, sessions: 32 },
  { key: 'c32-s32', label: 'c=32, 32 sessions', concurrency: 32, sessions: 32 },
  {
    key: 'work-c32-s1',
    label: `work(${workMs} ms), c=32, 1 session`,
    concurrency: 32,
    sessions: 1,
    tool: 'work',
  },
  {
    key: 'work-c32-s32',
    label: `work(${workMs} ms), c=32, 32 sessions`,
    concurrency: 32,
    sessions: 32,
    tool: 'work',
  },
];
const focused = process.env.BENCH_SCENARIOS?.split(',').map((key) => key.trim());
const scenarios = focused
  ? allScenarios.filter((scenario) => focused.includes(scenario.key))
  : allScenarios;
if (focused && scenarios.length !== focused.length) {
  throw new Error(
    `BENCH_SCENARIOS: pick from ${allScenarios.map((scenario) => scenario.key).join(', ')}`,
  );
}

const measured = new Map<string, CallSample>();

function cell(contender: Contender, key: string): CallSample {
  const id = `${contender.name}|${key}`;
  let found = measured.get(id);
  if (!found) {
    found = emptySample();
    measured.set(id, found);
  }
  return found;
}

/** Calls/s of each recorded round of a contender and scenario, in round order. */
const roundThroughputs = new Map<string, number[]>();
function roundsOf(contender: Contender, key: string): number[] {
  const id = `${contender.name}|${key}`;
  let found = roundThroughputs.get(id);
  if (!found) {
    found = [];
    roundThroughputs.set(id, found);
  }
  return found;
}

async function runCalls(
  contender: Contender,
  scenario: Scenario,
  calls: number,
  record: boolean,
): Promise<void> {
  const clients = scenario.sessions === 1 ? contender.single : contender.many;
  const sample = await measureCalls(
    contender.process.pid,
    scenario.concurrency,
    calls,
    async (index, worker) => {
      const client = clients[
        (scenario.concurrency === 1 ? index : worker) % clients.length
      ] as Client;
      if (scenario.tool === 'work') await callWork(client);
      else await callEcho(client, echoText(index, echoBytes));
    },
  );
  if (record) {
    addSample(cell(contender, scenario.key), sample);
    roundsOf(contender, scenario.key).push((sample.calls / sample.wallMs) * 1000);
  }
}

async function runLists(target: Contender, count: number, record: boolean, expected: number) {
  const client = target.single[0] as Client;
  const latencies: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const started = performance.now();
    const tools = await listAllTools(client);
    latencies.push(performance.now() - started);
    if (tools !== expected)
      throw new Error(`${target.name} listed ${tools} tools, not ${expected}`);
  }
  if (record) cell(target, 'tools/list').latencies.push(...latencies);
}

// ---------------------------------------------------------------------------------------------
// The run

const loadAtStart = loadavg();
const runStarted = performance.now();
function progress(message: string): void {
  const seconds = ((performance.now() - runStarted) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`${seconds} s  ${message}\n`);
}
let contenders: Contender[] = [];
let listTargets: Contender[] = [];
/** Which build each fedmcp contender runs, printed under the table. */
const builds: string[] = [];

/**
 * A launcher bundle and what it was built from: the commit build-before.sh recorded beside the
 * tree it built, or (built at the start) this working tree's commit, `-dirty` with local changes.
 */
function describeLauncher(bundle: string, fromThisTree: boolean): string {
  const git = (args: string[], cwd: string) =>
    execFileSync('git', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    if (fromThisTree) {
      return `built from this working tree at ${git(['describe', '--always', '--dirty', '--abbrev=7'], here)} (${bundle})`;
    }
    const marker = join(dirname(bundle), '../../../.fedmcp-before-commit');
    if (existsSync(marker)) {
      return `commit ${readFileSync(marker, 'utf8').trim().slice(0, 7)}, built by build-before.sh (${bundle})`;
    }
  } catch {
    // Not a git checkout: the path alone.
  }
  return bundle;
}

try {
  progress(`contenders: ${contenderIds.filter((id) => selected.has(id)).join(', ')}`);
  const launchers: Partial<Record<'fedmcp' | 'fedmcp-before', string>> = {};
  if (selected.has('fedmcp')) {
    progress(
      process.env.BENCH_FEDMCP_LAUNCHER
        ? `using the fedmcp launcher ${process.env.BENCH_FEDMCP_LAUNCHER}`
        : 'building the fedmcp launcher from source…',
    );
    launchers.fedmcp = process.env.BENCH_FEDMCP_LAUNCHER || (await buildLauncher());
    builds.push(
      `fedmcp: ${describeLauncher(launchers.fedmcp, !process.env.BENCH_FEDMCP_LAUNCHER)}`,
    );
  }
  if (selected.has('fedmcp-before')) {
    launchers['fedmcp-before'] = beforeLauncher as string;
    builds.push(`fedmcp (before): ${describeLauncher(beforeLauncher as string, false)}`);
    progress(`using the fedmcp (before) launcher ${beforeLauncher}`);
  }
  progress('starting contenders…');
  ({ contenders, listTargets } = await startContenders(launchers));
  if (profile === 'perf') {
    for (const contender of contenders) {
      progress(`perf: ${contender.name} is pid ${contender.process.pid} (perf record -g -p <pid>)`);
    }
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const contender of contenders) contender.memoryAtStart = memory(contender.process.pid);

  progress('opening sessions (1 + 32 per contender)…');
  for (const contender of [...contenders, ...listTargets]) {
    contender.single = await openSessions(contender.url, 1);
  }
  for (const contender of contenders) contender.many = await openSessions(contender.url, 32);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  for (const contender of contenders) contender.memoryWithSessions = memory(contender.process.pid);

  progress('warming up…');
  for (const contender of contenders) {
    for (const scenario of scenarios) {
      const calls = scenario.concurrency === 1 ? callsAtConcurrency1 : callsAtConcurrency32;
      await runCalls(contender, scenario, Math.ceil(calls / 2), false);
    }
  }
  for (let round = 0; round < rounds; round += 1) {
    progress(`call round ${round + 1}/${rounds}…`);
    for (const scenario of scenarios) {
      for (const contender of inTurn(contenders, round)) {
        await runCalls(
          contender,
          scenario,
          scenario.concurrency === 1 ? callsAtConcurrency1 : callsAtConcurrency32,
          true,
        );
      }
    }
  }

  progress('tools/list rounds…');
  // The first target is the direct server with 50 tools; every other one lists all 1000.
  const expectedTools = (target: Contender) =>
    target === listTargets[0] ? toolsPerUpstream : toolsPerUpstream * upstreamCount;
  for (const target of listTargets) {
    await runLists(target, 20, false, expectedTools(target));
  }
  for (let round = 0; round < listRounds; round += 1) {
    for (const target of inTurn(listTargets, round)) {
      await runLists(target, listsPerRound, true, expectedTools(target));
    }
  }

  if (!focused) {
    progress(`opening idle sessions up to ${idleSessions} per contender…`);
    for (const contender of contenders) {
      contender.idle = await openSessions(contender.url, Math.max(0, idleSessions - 33));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    for (const contender of contenders) contender.memoryAfterLoad = memory(contender.process.pid);
    progress(`idle for ${settleMs / 1000} s before reading memory again…`);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    for (const contender of contenders) contender.memoryIdle = memory(contender.process.pid);
  }

  // ------------------------------------------------------------------------------------------
  const elapsedSeconds = (performance.now() - runStarted) / 1000;
  const figures: Figure[] = [];
  for (const scenario of scenarios) {
    const cells = contenders.map((contender) => cell(contender, scenario.key));
    figures.push(
      {
        label: `p50 latency, ${scenario.label}`,
        unit: 'ms',
        better: 'lower',
        digits: 2,
        values: cells.map((found) => percentile(found.latencies, 0.5)),
      },
      {
        label: `p99 latency, ${scenario.label}`,
        unit: 'ms',
        better: 'lower',
        digits: 2,
        values: cells.map((found) => percentile(found.latencies, 0.99)),
      },
      {
        label: `throughput, ${scenario.label}`,
        unit: 'calls/s',
        better: 'higher',
        digits: 0,
        values: cells.map((found) => (found.calls / found.wallMs) * 1000),
      },
      {
        label: `CPU per call, ${scenario.label}`,
        unit: 'ms',
        better: 'lower',
        digits: 3,
        values: cells.map((found) => found.cpuMs / found.calls),
      },
    );
  }
  const pooled = contenders.map((contender) =>
    scenarios.map((scenario) => cell(contender, scenario.key)),
  );
  figures.push({
    label: 'CPU per call, all scenarios, server process alone (no upstream child)',
    unit: 'ms',
    better: 'lower',
    digits: 3,
    informational: true,
    values: pooled.map(
      (cells) =>
        cells.reduce((sum, found) => sum + found.ownCpuMs, 0) /
        cells.reduce((sum, found) => sum + found.calls, 0),
    ),
  });
  /** A figure per call over the c=32 scenarios of each contender: `pick`'s total over the calls. */
  const perBusyCall = (
    label: string,
    pick: (found: CallSample) => number,
    ratios = true,
  ): Figure => ({
    label,
    unit: 'ms',
    better: 'lower',
    digits: 3,
    informational: true,
    ...(ratios ? {} : { ratioTo: contenders.map(() => undefined) }),
    values: pooled.map((cells) => {
      const busy = cells.filter((_, index) => scenarios[index]?.concurrency === 32);
      const total = busy.reduce((sum, found) => sum + pick(found), 0);
      return Math.max(0, total) / busy.reduce((sum, found) => sum + found.calls, 0);
    }),
  });
  figures.push(
    perBusyCall(
      'CPU per call, all c=32 scenarios, client process (the bench itself)',
      (found) => found.clientCpuMs,
    ),
    perBusyCall(
      'CPU of other processes during the calls, all c=32 scenarios (interference)',
      (found) => found.machineCpuMs - found.cpuMs - found.clientCpuMs,
      false, // near zero: a ratio would say nothing
    ),
  );
  const memoryFigure = (
    label: string,
    pick: (contender: Contender) => number,
    unit = 'MB',
    informational = false,
  ): Figure => ({
    label,
    informational,
    unit,
    better: 'lower',
    digits: unit === 'MB' ? 1 : 0,
    values: contenders.map((contender) => pick(contender)),
  });
  const memoryFigures = (): Figure[] => [
    memoryFigure(`RSS, server process, ${idleSessions} idle sessions`, (contender) =>
      megabytes(contender.memoryIdle?.rss ?? Number.NaN),
    ),
    memoryFigure(`RSS, process tree (sum), ${idleSessions} idle sessions`, (contender) =>
      megabytes(contender.memoryIdle?.treeRss ?? Number.NaN),
    ),
    memoryFigure(`PSS, process tree, ${idleSessions} idle sessions`, (contender) =>
      megabytes(contender.memoryIdle?.treePss ?? Number.NaN),
    ),
    memoryFigure(
      `processes, ${idleSessions} idle sessions`,
      (contender) => contender.memoryIdle?.processes ?? Number.NaN,
      'count',
      true,
    ),
    memoryFigure(
      `RSS, server process, ${idleSessions} idle sessions, right after the load`,
      (contender) => megabytes(contender.memoryAfterLoad?.rss ?? Number.NaN),
      'MB',
      true,
    ),
    memoryFigure(
      'RSS, server process, 33 sessions open, before any call',
      (contender) => megabytes(contender.memoryWithSessions?.rss ?? Number.NaN),
      'MB',
      true,
    ),
    memoryFigure(
      'RSS, server process, at start, no session',
      (contender) => megabytes(contender.memoryAtStart?.rss ?? Number.NaN),
      'MB',
      true,
    ),
    memoryFigure(
      'RSS, process tree (sum), at start, no session',
      (contender) => megabytes(contender.memoryAtStart?.treeRss ?? Number.NaN),
      'MB',
      true,
    ),
  ];
  // A focused run (BENCH_SCENARIOS) reads no memory.
  if (!focused) figures.push(...memoryFigures());

  const listCells = listTargets.map((target) => cell(target, 'tools/list').latencies);
  const listFigures: Figure[] = [0.5, 0.99].map((fraction) => ({
    label: `tools/list p${fraction * 100}`,
    unit: 'ms',
    better: 'lower',
    digits: 2,
    values: listCells.map((latencies) => percentile(latencies, fraction)),
  }));

  const headers = ['figure', ...contenders.map((contender) => contender.name)];
  const indexOf = (id: ContenderId) => contenders.findIndex((contender) => contender.id === id);
  const out: string[] = [];
  out.push(
    `Gateway benchmark: echo tool over Streamable HTTP (2025-11-25 sessions) on 127.0.0.1, ` +
      `clients declaring ${interactiveClient ? 'roots, sampling and elicitation' : 'no capability'}, ` +
      `${rounds} interleaved rounds of ${callsAtConcurrency1} calls (c=1) / ${callsAtConcurrency32} calls (c=32) ` +
      `per contender and scenario after a warm-up of half a round; Node ${process.version}, ` +
      `${availableParallelism()} CPUs, load average ${loadAtStart[0]?.toFixed(1)} at start, ` +
      `${loadavg()[0]?.toFixed(1)} at end; ${elapsedSeconds.toFixed(0)} s.`,
    ...builds.map((build) => `- ${build}`),
    '',
    renderTable(headers, figures),
  );
  if (listTargets.length > 0) {
    out.push(
      '',
      `tools/list, every page (${listRounds} interleaved rounds of ${listsPerRound} listings, one session each):`,
      '',
      renderTable(
        ['figure', ...listTargets.map((target) => target.name)],
        listFigures.map((figure) => ({ ...figure, baseline: figure.values[0] as number })),
      ),
    );
  }
  out.push(
    '',
    'Ratios are against the baseline of the same run (the first column of each table): for latency, CPU and memory below 1× is better, for calls/s above 1× is better.',
    'Baseline: the echo server served directly by the SDK (NodeStreamableHTTPServerTransport on node:http) in its own process, no stdio hop. ' +
      'fedmcp, supergateway and mcp-proxy front the same server as a stdio child; CPU and the process tree include that child. ' +
      'Raw relay: no MCP logic, one shared stdio child, ids rewritten (raw-relay.mjs) — the floor of any gateway with a stdio upstream, not a contender. ' +
      'JSON ceiling: no work at all, every call answered at once as JSON (json-ceiling.mjs) — the most this client reaches from any server, not a contender.',
  );

  // fedmcp against fedmcp (before), both of this run.
  const beforeIndex = indexOf('fedmcp-before');
  const afterIndex = indexOf('fedmcp');
  if (beforeIndex >= 0 && afterIndex >= 0) {
    const listBefore = listTargets.findIndex((target) => target.id === 'fedmcp-before');
    const listAfter = listTargets.findIndex((target) => target.id === 'fedmcp');
    const pairs: Figure[] = [
      ...figures.map((figure) => ({
        ...figure,
        values: [figure.values[beforeIndex], figure.values[afterIndex]],
      })),
      ...listFigures.map((figure) => ({
        ...figure,
        label: `${figure.label}, 20 upstreams × 50 tools`,
        values: [figure.values[listBefore], figure.values[listAfter]],
      })),
    ];
    out.push(
      '',
      'fedmcp against fedmcp (before), same run (ratio: fedmcp / fedmcp (before); the turn order changes every round):',
      '',
      renderTable(['figure', contenderNames['fedmcp-before'], contenderNames.fedmcp], pairs),
    );
  }

  // Targets of issues 4 and 18 (of fedmcp, when it ran).
  const checks: string[] = [];
  const fedmcpIndex = afterIndex;
  if (fedmcpIndex >= 0) {
    const echoFigure = (each: Figure) => !each.label.includes('work(');
    for (const figure of figures.filter(
      (each) => echoFigure(each) && each.label.startsWith('p50 latency'),
    )) {
      const ratio = (figure.values[fedmcpIndex] as number) / (figure.values[0] as number);
      // Issue 18: a plain client's p50 at c=1 holds its lead (≤ 1.0×); the rest, issue 4's ≤ 1.1×.
      const latencyTarget =
        !interactiveClient && figure.label === 'p50 latency, c=1, 1 session' ? 1 : 1.1;
      checks.push(
        `${ratio <= latencyTarget ? 'met ' : 'MISS'} fedmcp ${figure.label}: ${ratio.toFixed(2)}× (target ≤ ${latencyTarget.toFixed(2)}×)`,
      );
    }
    // Issue 18: interactive clients ≥ 1.2× at c=32; plain clients hold their lead (≥ 1.3×).
    const throughputTarget = interactiveClient ? 1.2 : 1.3;
    for (const figure of figures.filter((each) => /throughput, c=32/.test(each.label))) {
      const ratio = (figure.values[fedmcpIndex] as number) / (figure.values[0] as number);
      checks.push(
        `${ratio >= throughputTarget ? 'met ' : 'MISS'} fedmcp ${figure.label}: ${ratio.toFixed(2)}× (target ≥ ${throughputTarget.toFixed(2)}×)`,
      );
      // The same ratio round by round (each round's fedmcp turn against its baseline turn): how
      // far this machine's noise moves it (a quiet machine still swings ±0.1 from run to run).
      const scenario = scenarios.find((each) => figure.label === `throughput, ${each.label}`);
      if (scenario && rounds > 1) {
        const mine = roundsOf(contenders[fedmcpIndex] as Contender, scenario.key);
        const base = roundsOf(contenders[0] as Contender, scenario.key);
        const paired = mine.map((value, round) => value / (base[round] as number));
        const sorted = [...paired].sort((a, b) => a - b);
        checks.push(
          `info fedmcp ${figure.label}, round by round: median ${percentile(paired, 0.5).toFixed(2)}×, from ${sorted[0]?.toFixed(2)}× to ${sorted.at(-1)?.toFixed(2)}× over ${paired.length} rounds`,
        );
      }
      const ceilingIndex = indexOf('ceiling');
      if (ceilingIndex >= 0) {
        const ceiling = figure.values[ceilingIndex] as number;
        checks.push(
          `info fedmcp ${figure.label}: ${((figure.values[fedmcpIndex] as number) / ceiling).toFixed(2)}× the JSON ceiling, which reads ${(ceiling / (figure.values[0] as number)).toFixed(2)}× the baseline (the most any server gets from this client)`,
        );
      }
    }
    for (const figure of figures.filter((each) => /^throughput, work\(/.test(each.label))) {
      const ratio = (figure.values[fedmcpIndex] as number) / (figure.values[0] as number);
      checks.push(
        `${ratio >= 0.95 ? 'met ' : 'MISS'} fedmcp ${figure.label}: ${ratio.toFixed(2)}× (target ≥ 0.95×, issue 18: no cap from leases)`,
      );
    }
    // Issue 18: the tail under load, fedmcp beside the peers, each against the SDK direct.
    const tail = figures.find((each) => each.label === 'p99 latency, c=32, 32 sessions');
    if (tail) {
      const against = (index: number) =>
        `${((tail.values[index] as number) / (tail.values[0] as number)).toFixed(2)}×`;
      const beside = (['supergateway', 'mcp-proxy'] as const)
        .filter((id) => indexOf(id) >= 0)
        .map((id) => `${contenderNames[id]} ${against(indexOf(id))}`);
      checks.push(
        `info fedmcp p99 c=32, 32 sessions vs SDK direct: ${against(fedmcpIndex)}${beside.length > 0 ? ` (${beside.join(', ')})` : ''}`,
      );
    }
    const peers = (['supergateway', 'mcp-proxy'] as const)
      .map(indexOf)
      .filter((index) => index >= 0);
    if (peers.length === 2) {
      const behind: string[] = [];
      for (const figure of figures.filter((each) => !each.informational)) {
        const ours = figure.values[fedmcpIndex] as number;
        for (const peer of peers) {
          const theirs = figure.values[peer] as number;
          const ahead = figure.better === 'lower' ? ours < theirs : ours > theirs;
          if (!ahead) behind.push(`${figure.label} vs ${headers[peer + 1]}`);
        }
      }
      checks.push(
        behind.length === 0
          ? 'met  fedmcp ahead of both peers on every figure'
          : `MISS fedmcp not ahead of a peer on: ${behind.join('; ')}`,
      );
    } else {
      checks.push('n/a  fedmcp against both peers: supergateway and mcp-proxy did not both run');
    }
    out.push('', 'Targets (issues 4 and 18):', ...checks.map((check) => `- ${check}`));
  }
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  const clients = [...contenders, ...listTargets].flatMap((contender) => [
    ...contender.single,
    ...contender.many,
    ...contender.idle,
  ]);
  await Promise.race([
    Promise.allSettled(clients.map((client) => client.close())),
    new Promise((resolve) => setTimeout(resolve, 5000)),
  ]);
  await stopAll();
  rmSync(temporary, { recursive: true, force: true });
  if (profile && profile !== 'perf') {
    process.stderr.write(`CPU profile of the fedmcp processes in ${profileDirectory}\n`);
  }
}
