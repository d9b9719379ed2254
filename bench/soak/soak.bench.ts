/**
 * Soak benchmark: one fedmcp hub (`createFedmcpServer` as `fedmcp serve` runs it: the embedded
 * SQLite store, audit on) in its own process, fronting the stdio echo server of bench/gateway,
 * driven by SDK v2 clients over Streamable HTTP for SOAK_CALLS calls (default 60,000). Sessions
 * come and go: each of SOAK_CONCURRENCY clients (default 8) makes SOAK_SESSION_CALLS calls
 * (default 500) in one session, ends it (DELETE) and opens the next, so both what a call and what
 * a session might leave behind add up (SOAK_SESSION_END=abandon: closed without DELETE, as the
 * SDK client's close() does, so the hub keeps them until their idle timeout).
 *
 * Every 10,000 calls the clients pause and it prints the hub process's RSS (/proc) and V8 heap
 * (`process.memoryUsage()`), as running and after a forced full GC; then, with every session
 * closed, after SOAK_SETTLE_MS (default 40,000: V8's memory reducer gives memory back 20–30 s after
 * allocation stops). Heap snapshots (`--heapsnapshot-signal=SIGUSR2`) are written to
 * bench/soak/.build/snapshots/ at 10,000 calls and at the end, and compared by constructor
 * (heap-diff.ts); RSS read after the first snapshot includes what writing it took
 * (SOAK_SNAPSHOTS=0 skips them).
 *
 * The forced GC is a bench-only hook of soak-launcher.ts (`--expose-gc`, over the IPC channel);
 * fedmcp has none.
 *
 *   pnpm bench soak
 *   SOAK_CALLS=20000 SOAK_SETTLE_MS=20000 pnpm bench soak
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { memory, processTree, stopProcess } from '../gateway/processes.ts';
import { buildSoakLauncher } from './build-soak-launcher.ts';
import { diffHeapSummaries, formatHeapDiff, summarizeHeapSnapshot } from './heap-diff.ts';

const totalCalls = Number(process.env.SOAK_CALLS ?? 60_000);
const concurrency = Number(process.env.SOAK_CONCURRENCY ?? 8);
const sessionCalls = Number(process.env.SOAK_SESSION_CALLS ?? 500);
const settleMs = Number(process.env.SOAK_SETTLE_MS ?? 40_000);
// `abandon`: the client closes without DELETE (the SDK client's close() sends none), so the hub
// keeps each session until its idle timeout: what a session costs while it is kept.
const abandonSessions = process.env.SOAK_SESSION_END === 'abandon';
const checkpointEvery = 10_000;
// Writing a snapshot grows the hub's RSS by about its size (the heap is serialised in native
// memory, which the allocator keeps): SOAK_SNAPSHOTS=0 for RSS figures without that.
const takeSnapshots = process.env.SOAK_SNAPSHOTS !== '0';

const here = fileURLToPath(new URL('.', import.meta.url));
const echoServer = join(here, '../gateway/echo-server.mjs');
const snapshotDirectory = join(here, '.build/snapshots');
const temporary = mkdtempSync(join(tmpdir(), 'fedmcp-soak-'));

let hub: ChildProcess | undefined;
const killHubNow = () => {
  if (!hub?.pid) return;
  for (const pid of processTree(hub.pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
};
process.on('exit', () => {
  killHubNow();
  rmSync(temporary, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);

// ---------------------------------------------------------------------------------------------
// The hub process and its bench hooks

interface MemoryUsage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

const replies: Array<(message: { type: string; usage?: MemoryUsage }) => void> = [];

function ask<T>(message: object): Promise<T> {
  return new Promise((resolve) => {
    replies.push(resolve as (message: unknown) => void);
    hub?.send(message);
  });
}

async function startHub(launcher: string): Promise<{ url: string; pid: number }> {
  mkdirSync(snapshotDirectory, { recursive: true });
  const config = join(temporary, 'fedmcp.config.json');
  writeFileSync(
    config,
    JSON.stringify({
      mcpServers: {
        echo: {
          command: process.execPath,
          args: ['--max-semi-space-size=1', echoServer],
          prefix: false,
        },
      },
    }),
  );
  const child = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--heapsnapshot-signal=SIGUSR2',
      `--diagnostic-dir=${snapshotDirectory}`,
      launcher,
      config,
    ],
    { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  hub = child;
  child.on('message', (message: { type: string }) => replies.shift()?.(message));
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stderr?.on('data', keep);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start:\n${output}`)), 60_000);
    child.once('exit', (code, signal) =>
      reject(new Error(`hub exited early (${code ?? signal}):\n${output}`)),
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      const match = /LISTENING (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  child.removeAllListeners('exit');
  return { url: `http://127.0.0.1:${port}/mcp`, pid: child.pid as number };
}

/** RSS from /proc, the heap as running, then the heap after a forced full GC. */
async function measure(pid: number) {
  const rss = memory(pid).rss;
  const running = (await ask<{ usage: MemoryUsage }>({ type: 'memory', gc: false })).usage;
  const collected = (await ask<{ usage: MemoryUsage }>({ type: 'memory', gc: true })).usage;
  return { rss, running, collected, rssAfterGc: memory(pid).rss };
}

/** Writes a heap snapshot of the hub (SIGUSR2) and returns its path. */
async function heapSnapshot(pid: number): Promise<string> {
  const before = new Set(readdirSync(snapshotDirectory));
  process.kill(pid, 'SIGUSR2');
  // The hub notices the signal on a later turn of its event loop, then writes the file
  // synchronously: once the file exists, the hub's answer to a ping comes after it is whole.
  const deadline = Date.now() + 120_000;
  let written: string[] = [];
  while (written.length === 0) {
    if (Date.now() > deadline) throw new Error('the hub wrote no heap snapshot within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
    written = readdirSync(snapshotDirectory).filter(
      (name) => name.endsWith('.heapsnapshot') && !before.has(name),
    );
  }
  await ask({ type: 'ping' });
  return join(snapshotDirectory, written[0] as string);
}

// ---------------------------------------------------------------------------------------------
// The clients

async function openSession(url: string) {
  const client = new Client(
    { name: 'soak-bench', version: '1.0.0' },
    { versionNegotiation: { mode: 'legacy' } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return {
    client,
    async close() {
      // The SDK client's close() sends no DELETE: end the session on the hub explicitly.
      if (!abandonSessions) await transport.terminateSession();
      await client.close();
    },
  };
}

let done = 0;
let failed = 0;
let sessions = 0;
let paused: Promise<void> | undefined;
let resume: (() => void) | undefined;
let inFlight = 0;
let drained: (() => void) | undefined;

async function worker(url: string, index: number): Promise<void> {
  while (done + inFlight < totalCalls) {
    const session = await openSession(url);
    sessions += 1;
    for (let call = 0; call < sessionCalls && done + inFlight < totalCalls; call += 1) {
      while (paused) await paused;
      inFlight += 1;
      const text = `soak ${index} ${call}`;
      try {
        const result = await session.client.callTool({ name: 'echo', arguments: { text } });
        const first = (result.content as Array<{ text?: string }>)[0];
        if (first?.text !== text) failed += 1;
      } catch {
        failed += 1;
      }
      inFlight -= 1;
      done += 1;
      if (inFlight === 0) drained?.();
      if (done % checkpointEvery === 0 && !paused) {
        paused = new Promise((resolve) => {
          resume = resolve;
        });
        void checkpoint(done);
      }
    }
    await session.close();
  }
}

interface Row {
  label: string;
  seconds: number;
  figures: Awaited<ReturnType<typeof measure>>;
}
const rows: Row[] = [];
const snapshots: string[] = [];
let pid = 0;
let startedAt = 0;

function printRow(row: Row): void {
  const { rss, running, collected, rssAfterGc } = row.figures;
  process.stdout.write(
    `| ${row.label} | ${row.seconds.toFixed(0)} | ${mb(rss)} | ${mb(running.heapUsed)} | ${mb(running.heapTotal)} | ${mb(running.external)} | ${mb(collected.heapUsed)} | ${mb(collected.external)} | ${mb(rssAfterGc)} |\n`,
  );
}

async function record(label: string): Promise<void> {
  const row = { label, seconds: (Date.now() - startedAt) / 1000, figures: await measure(pid) };
  rows.push(row);
  printRow(row);
}

/** Pauses the clients, measures (the calls answered while draining count), resumes them. */
async function checkpoint(mark: number): Promise<void> {
  if (inFlight > 0) {
    await new Promise<void>((resolve) => {
      drained = resolve;
    });
    drained = undefined;
  }
  await record(`${done.toLocaleString('en')} calls`);
  if (mark === checkpointEvery && takeSnapshots) snapshots.push(await heapSnapshot(pid));
  const release = resume;
  paused = undefined;
  resume = undefined;
  release?.();
}

// ---------------------------------------------------------------------------------------------

progress('building the soak launcher from source…');
const launcher = await buildSoakLauncher();
const started = await startHub(launcher);
pid = started.pid;
progress(
  `hub pid ${pid}; ${totalCalls} calls, ${concurrency} clients, ${sessionCalls} calls per session`,
);
process.stdout.write(
  `\nfedmcp soak: ${totalCalls.toLocaleString('en')} tools/call (echo) over Streamable HTTP, ${concurrency} clients, a new session every ${sessionCalls} calls per client${abandonSessions ? ' (abandoned, no DELETE)' : ''}\n\n`,
);
process.stdout.write(
  '| point | s | RSS MB | heap used MB | heap total MB | external MB | heap used after GC MB | external after GC MB | RSS after GC MB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n',
);
startedAt = Date.now();
await record('start');
await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(started.url, index)));
while (paused) await paused;
const elapsed = (Date.now() - startedAt) / 1000;
if (done % checkpointEvery !== 0) await record(`${done.toLocaleString('en')} calls`);
if (takeSnapshots) snapshots.push(await heapSnapshot(pid));
progress(`settling ${settleMs / 1000} s with no session open…`);
await new Promise((resolve) => setTimeout(resolve, settleMs));
await record(`settled ${settleMs / 1000} s`);
process.stdout.write(
  `\n${done.toLocaleString('en')} calls in ${elapsed.toFixed(0)} s (${(done / elapsed).toFixed(0)} calls/s), ${failed} failed, ${sessions} sessions\n`,
);

if (snapshots.length === 2) {
  const [first, last] = snapshots as [string, string];
  process.stdout.write(
    `\nHeap snapshots: ${first} (10,000 calls) → ${last} (${done.toLocaleString('en')} calls)\n\n`,
  );
  process.stdout.write(
    `${formatHeapDiff(diffHeapSummaries(summarizeHeapSnapshot(first), summarizeHeapSnapshot(last)), 20)}\n`,
  );
}

await stopProcess({ name: 'fedmcp', child: hub as ChildProcess, pid, output: () => '' });
hub = undefined;
process.exit(failed === 0 ? 0 : 1);
