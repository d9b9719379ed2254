/**
 * Memory of idle Streamable HTTP sessions on one hub (issue #18: 10,000 idle sessions within
 * +300 MiB, ≤ 30 KiB a session). A fedmcp hub (`createFedmcpServer`, bundled from source like the
 * gateway bench's launcher, `"runtime": false`, one stdio echo upstream, the embedded SQLite store)
 * runs in its own process with `--expose-gc`; SDK v2 clients (2025-11-25 era, each with its
 * standalone GET SSE stream open, as the SDK client opens it) open sessions in steps and leave them
 * idle. At each step the hub collects its garbage and the bench prints its RSS and V8 heap.
 *
 *   node --conditions=@fedmcp/source --import tsx bench/sessions/sessions.bench.ts   (or: pnpm bench sessions)
 *
 * Environment: BENCH_SESSION_STEPS (default `0,1000,10000`: the session counts measured, in
 * increasing order), BENCH_SESSIONS_SNAPSHOT=1 (write a heap snapshot of the hub at each step to
 * bench/sessions/.build/, to diff in Chrome DevTools' Memory tab), BENCH_SESSIONS_PARALLEL
 * (sessions opened at once, default 16), BENCH_SESSIONS_BEFORE_LAUNCHER (a gateway launcher
 * bundle of another build, from bench/gateway/build-before.sh: its RSS, without forced
 * collection, is printed beside; it predates `"runtime"`, so its config leaves that key out),
 * BENCH_SESSIONS_LAUNCHER (a sessions-launcher bundle built earlier, e.g. a copy of
 * bench/sessions/.build/sessions-launcher.mjs: measured instead of building the current tree, so
 * two builds compare under the same conditions), BENCH_SESSIONS_BASELINE (a sessions-launcher
 * bundle of another build, e.g. of the commit before a change: measured in the same run, rounds
 * interleaved with the current build's, and the per-session figures printed as ratios),
 * BENCH_SESSIONS_ROUNDS (rounds of each build, default 1; with a baseline they alternate).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { buildLauncher } from '../gateway/build-launcher.ts';

const steps = (process.env.BENCH_SESSION_STEPS ?? '0,1000,10000')
  .split(',')
  .map((each) => Number(each.trim()));
if (
  steps.some((each, index) => !Number.isInteger(each) || each < 0 || each < (steps[index - 1] ?? 0))
) {
  throw new Error('BENCH_SESSION_STEPS: give increasing session counts, e.g. 0,1000,10000');
}
const snapshots = process.env.BENCH_SESSIONS_SNAPSHOT === '1';
const parallel = Number(process.env.BENCH_SESSIONS_PARALLEL ?? 16);
const beforeLauncher = process.env.BENCH_SESSIONS_BEFORE_LAUNCHER || undefined;
const prebuiltLauncher = process.env.BENCH_SESSIONS_LAUNCHER || undefined;
const baselineLauncher = process.env.BENCH_SESSIONS_BASELINE || undefined;
const rounds = Number(process.env.BENCH_SESSIONS_ROUNDS ?? 1);
if (!Number.isInteger(rounds) || rounds < 1) {
  throw new Error('BENCH_SESSIONS_ROUNDS: give a whole number of rounds, 1 or more');
}

const here = fileURLToPath(new URL('.', import.meta.url));
const echoServer = fileURLToPath(new URL('../gateway/echo-server.mjs', import.meta.url));
const buildDirectory = join(here, '.build');
const temporary = mkdtempSync(join(tmpdir(), 'fedmcp-sessions-bench-'));

interface Hub {
  name: string;
  child: ChildProcess;
  url: string;
  /** Sends a command line and waits for the output line starting with `reply`. */
  ask(command: string, reply: string): Promise<string>;
  gc: boolean;
}

const hubs = new Set<Hub>();
process.on('exit', () => {
  for (const hub of hubs) hub.child.kill('SIGKILL');
  rmSync(temporary, { recursive: true, force: true });
});

/**
 * The current build's limits, raised so the host admits every session of the largest step (its
 * defaults cap one client at 1,000 sessions and the host at 10,000 sessions and connections;
 * each idle session here holds one connection, its GET stream).
 */
function limitsFor(sessions: number) {
  const room = sessions + 1000;
  return {
    maxSessions: room,
    maxSessionsPerPrincipal: room,
    maxConnections: room,
    maxConnectionsPerAddress: room,
    sessionIdleTimeoutMs: 0,
  };
}

function writeConfig(name: string, current: boolean): string {
  const directory = join(temporary, name);
  mkdirSync(directory);
  const file = join(directory, 'fedmcp.config.json');
  writeFileSync(
    file,
    JSON.stringify({
      // The older builds predate `runtime` and `hub.limits` (and reject unknown keys).
      ...(current
        ? { runtime: false, hub: { limits: limitsFor(steps[steps.length - 1] ?? 0) } }
        : {}),
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

async function startHub(name: string, launcher: string, gc: boolean): Promise<Hub> {
  const config = writeConfig(name, gc);
  const child = spawn(process.execPath, [...(gc ? ['--expose-gc'] : []), launcher, config], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let output = '';
  let errors = '';
  const waiters: Array<{ prefix: string; resolve: (line: string) => void }> = [];
  child.stderr?.on('data', (chunk: Buffer) => {
    errors = (errors + chunk.toString()).slice(-4000);
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    let newline = output.indexOf('\n');
    while (newline >= 0) {
      const line = output.slice(0, newline);
      output = output.slice(newline + 1);
      const index = waiters.findIndex((waiter) => line.startsWith(waiter.prefix));
      if (index >= 0) waiters.splice(index, 1)[0]?.resolve(line);
      newline = output.indexOf('\n');
    }
  });
  const next = (prefix: string) =>
    new Promise<string>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`${name} exited (${code}) while waiting for ${prefix}:\n${errors}`));
      child.once('exit', onExit);
      waiters.push({
        prefix,
        resolve: (line) => {
          child.off('exit', onExit);
          resolve(line);
        },
      });
    });
  const listening = await next('LISTENING ');
  const hub: Hub = {
    name,
    child,
    gc,
    url: `http://127.0.0.1:${Number(listening.split(' ')[1])}/mcp`,
    ask: (command, reply) => {
      const answer = next(reply);
      child.stdin?.write(`${command}\n`);
      return answer;
    },
  };
  hubs.add(hub);
  return hub;
}

async function stopHub(hub: Hub): Promise<void> {
  hubs.delete(hub);
  const exited = new Promise((resolve) => hub.child.once('exit', resolve));
  hub.child.kill('SIGTERM');
  await exited;
}

function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : 0;
}

/**
 * Opens one idle session. When this process's event loop stalls for seconds (a loaded machine, a
 * full collection, many streams' events at once), undici may send a request on a kept-alive
 * socket whose keep-alive timer is overdue and which the hub has closed meanwhile ("other side
 * closed"; see the README); such an attempt is retried (twice at most), so the bench measures
 * memory, not that race.
 */
async function openSession(url: string, attempt = 1): Promise<Client> {
  const client = new Client(
    { name: 'sessions-bench', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' } },
  );
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    return client;
  } catch (error) {
    await client.close().catch(() => {});
    if (attempt >= 3) throw error;
    process.stderr.write(`retrying a session that failed to open: ${String(error)}\n`);
    return openSession(url, attempt + 1);
  }
}

interface Reading {
  sessions: number;
  rss: number;
  heapUsed?: number;
  external?: number;
}

async function measure(hub: Hub, sessions: number): Promise<Reading> {
  if (!hub.gc) {
    // No forced collection here: give the hub a moment, then read what the OS sees.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    return { sessions, rss: rssOf(hub.child.pid as number) };
  }
  const line = await hub.ask('memory', 'MEMORY ');
  const usage = JSON.parse(line.slice('MEMORY '.length)) as NodeJS.MemoryUsage;
  if (snapshots) {
    mkdirSync(buildDirectory, { recursive: true });
    const file = join(buildDirectory, `${hub.name}-${sessions}.heapsnapshot`);
    await hub.ask(`snapshot ${file}`, 'SNAPSHOT ');
  }
  return {
    sessions,
    rss: rssOf(hub.child.pid as number),
    heapUsed: usage.heapUsed,
    external: usage.external,
  };
}

async function run(hub: Hub): Promise<Reading[]> {
  const clients: Client[] = [];
  const readings: Reading[] = [];
  // A first call warms the hub's paths, so step 0 is a hub that has served, not a cold one.
  const warm = await openSession(hub.url);
  await warm.callTool({ name: 'echo', arguments: { text: 'warm' } });
  await warm.close();
  for (const target of steps) {
    while (clients.length < target) {
      const batch = Math.min(parallel, target - clients.length);
      clients.push(
        ...(await Promise.all(Array.from({ length: batch }, () => openSession(hub.url)))),
      );
    }
    readings.push(await measure(hub, target));
    process.stderr.write(`${hub.name}: ${target} sessions measured\n`);
  }
  await Promise.allSettled(clients.map((client) => client.close()));
  return readings;
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const kib = (bytes: number) => (bytes / 1024).toFixed(1);

function table(name: string, readings: Reading[]): string {
  const first = readings[0] as Reading;
  const rows = readings.map((reading) => {
    const added = reading.sessions - first.sessions;
    const perSession = (value?: number, base?: number) =>
      added > 0 && value !== undefined && base !== undefined ? kib((value - base) / added) : '–';
    return `| ${reading.sessions.toLocaleString('en-US')} | ${mib(reading.rss)} | ${perSession(reading.rss, first.rss)} | ${reading.heapUsed === undefined ? '–' : mib(reading.heapUsed)} | ${perSession(reading.heapUsed, first.heapUsed)} |`;
  });
  return [
    `${name}:`,
    '',
    '| idle sessions | RSS (MiB) | RSS per added session (KiB) | V8 heap used (MiB) | heap per added session (KiB) |',
    '|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

/** The per-session figures of one round, from its first to its last step. */
function perSession(readings: Reading[]): { rss: number; heap: number } | undefined {
  const first = readings[0] as Reading;
  const last = readings[readings.length - 1] as Reading;
  const added = last.sessions - first.sessions;
  if (added <= 0 || last.heapUsed === undefined || first.heapUsed === undefined) return undefined;
  return { rss: (last.rss - first.rss) / added, heap: (last.heapUsed - first.heapUsed) / added };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The ratio lines of the current build against the baseline (medians over the rounds). */
function comparison(current: Reading[][], baseline: Reading[][]): string {
  const figures = (runs: Reading[][]) =>
    runs.map(perSession).filter((each): each is { rss: number; heap: number } => !!each);
  const after = figures(current);
  const before = figures(baseline);
  if (after.length === 0 || before.length === 0) return '';
  const line = (what: 'rss' | 'heap', label: string) => {
    const a = median(after.map((each) => each[what]));
    const b = median(before.map((each) => each[what]));
    return `| ${label} | ${kib(b)} | ${kib(a)} | ${(a / b).toFixed(2)}× |`;
  };
  const last = steps[steps.length - 1] ?? 0;
  return [
    `Per added session at ${last.toLocaleString('en-US')} sessions, median of ${after.length} round(s) each, interleaved:`,
    '',
    '| figure | baseline (KiB) | current (KiB) | current / baseline |',
    '|---|---:|---:|---:|',
    line('heap', 'V8 heap'),
    line('rss', 'RSS'),
  ].join('\n');
}

const started = Date.now();
const load = loadavg()[0] ?? 0;
try {
  const launcher =
    prebuiltLauncher ??
    (await buildLauncher({
      entry: new URL('./sessions-launcher.ts', import.meta.url),
      outfile: new URL('./.build/sessions-launcher.mjs', import.meta.url),
    }));
  const sections: string[] = [];
  if (beforeLauncher) {
    const before = await startHub('fedmcp-before', beforeLauncher, false);
    sections.push(
      table('fedmcp (before), RSS 2 s after each step, no forced collection', await run(before)),
    );
    await stopHub(before);
  }
  const current: Reading[][] = [];
  const baseline: Reading[][] = [];
  for (let round = 1; round <= rounds; round += 1) {
    const suffix = rounds > 1 ? `, round ${round}` : '';
    if (baselineLauncher) {
      const hub = await startHub(`baseline-r${round}`, baselineLauncher, true);
      const readings = await run(hub);
      baseline.push(readings);
      sections.push(
        table(
          `baseline (${baselineLauncher})${suffix}, after a full garbage collection at each step`,
          readings,
        ),
      );
      await stopHub(hub);
    }
    const hub = await startHub(rounds > 1 ? `fedmcp-r${round}` : 'fedmcp', launcher, true);
    const readings = await run(hub);
    current.push(readings);
    sections.push(table(`fedmcp${suffix}, after a full garbage collection at each step`, readings));
    await stopHub(hub);
  }
  if (baselineLauncher) sections.push(comparison(current, baseline));
  process.stdout.write(
    `Idle Streamable HTTP sessions (2025-11-25, SDK v2 clients, standalone SSE stream open) on one fedmcp hub with one stdio upstream; Node ${process.version}, load average ${load.toFixed(1)} at start; ${Math.round((Date.now() - started) / 1000)} s.\n\n${sections.join('\n\n')}\n\nTarget (issue #18): 10,000 idle sessions ≤ +300 MiB RSS over 0 sessions (≤ 30 KiB a session).\n`,
  );
} finally {
  for (const hub of [...hubs]) await stopHub(hub);
}
