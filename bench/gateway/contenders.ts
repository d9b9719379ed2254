/**
 * Start-up shared by the gateway benchmarks (`hub.bench.ts`, `independent.bench.ts`): the npm
 * peers (supergateway, mcp-proxy) in front of a stdio upstream, a fedmcp config, the V8 profile
 * flags, the exit handlers that leave no process behind, and the `fetch` of the bench clients.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, killAllNow, type StartedProcess, startNode } from './processes.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const benchRoot = fileURLToPath(new URL('..', import.meta.url));
const forceLoopback = join(here, 'force-loopback.cjs');
const supergatewayBin = join(benchRoot, 'node_modules/supergateway/dist/index.js');
const mcpProxyBin = join(benchRoot, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs');

/** Where BENCH_CPU_PROF writes its `.cpuprofile` files. */
export const profileDirectory = join(here, '.build/profiles');

/**
 * Node flags of a stdio echo upstream, the same program in every contender's process tree. With
 * V8's default young generation its RSS grows by some 30 MB under the call rounds and whether it
 * shrinks back before memory is read is a coin flip per run, which decided the process-tree
 * figures; a 1 MB young generation keeps it within a few MB of its start (an extra scavenge per
 * ~1,000 calls in that process, for every contender alike).
 */
export const echoFlags = ['--max-semi-space-size=1'];

/**
 * The V8 CPU profile flags of the process `name` under BENCH_CPU_PROF (`mode`): `1` and `every`
 * profile every process, `all` every one but the baseline (`name` starting with `baseline`).
 * `perf` writes no profile: every process gets `--perf-basic-prof` (a `/tmp/perf-<pid>.map` of its
 * JIT code), so Linux `perf record -g -p <pid>` names its JavaScript frames. V8's own profiler
 * samples wall time: a frame that makes a syscall waking another process (a pipe or socket
 * write) is charged for the time the scheduler then gives that process. `perf` counts on-CPU time.
 */
export function profileArguments(mode: string, name: string): string[] {
  if (mode === 'perf') return ['--perf-basic-prof'];
  const wanted =
    mode === '1' || (mode === 'all' && !name.startsWith('baseline')) || mode === 'every';
  if (!wanted) return [];
  mkdirSync(profileDirectory, { recursive: true });
  return [
    '--cpu-prof',
    `--cpu-prof-dir=${profileDirectory}`,
    `--cpu-prof-name=${name}.cpuprofile`,
    '--cpu-prof-interval=200',
  ];
}

type Started = StartedProcess & { port: number };

/** `node NODE_FLAGS ARGS(port)` on a free port, ready once that port accepts connections. */
async function startOnFreePort(
  name: string,
  nodeFlags: string[],
  args: (port: number) => string[],
): Promise<Started> {
  const port = await freePort();
  return startNode(name, [...nodeFlags, ...args(port)], { port });
}

/** supergateway 4 (`--stateful`, Streamable HTTP) on 127.0.0.1 in front of the stdio `upstream` command. */
export function startSupergateway(
  name: string,
  upstream: string[],
  nodeFlags: string[] = [],
): Promise<Started> {
  return startOnFreePort(name, nodeFlags, (port) => [
    '--require',
    forceLoopback,
    supergatewayBin,
    '--stdio',
    upstream.join(' '),
    '--outputTransport',
    'streamableHttp',
    '--stateful',
    '--port',
    String(port),
    '--logLevel',
    'none',
  ]);
}

/** mcp-proxy (`--server stream`) on 127.0.0.1 in front of the stdio `upstream` command. */
export function startMcpProxy(
  name: string,
  upstream: string[],
  nodeFlags: string[] = [],
): Promise<Started> {
  return startOnFreePort(name, nodeFlags, (port) => [
    mcpProxyBin,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--server',
    'stream',
    '--',
    ...upstream,
  ]);
}

/**
 * A fedmcp config in a directory `name` of its own under `parent`: the defaults of `fedmcp serve`
 * (the embedded SQLite store in `.fedmcp/` there, audit on), unless BENCH_FEDMCP_STORE names
 * another store URL. `runtime: false` leaves out the built-in runtime server, so the hub lists and
 * serves exactly its upstreams (older builds predate the key and reject it: pass `undefined`).
 */
export function writeFedmcpConfig(
  parent: string,
  name: string,
  servers: Record<string, unknown>,
  runtime: false | undefined = false,
): string {
  const directory = join(parent, name);
  mkdirSync(directory);
  const file = join(directory, 'fedmcp.config.json');
  const store = process.env.BENCH_FEDMCP_STORE;
  writeFileSync(
    file,
    JSON.stringify({
      ...(store ? { store } : {}),
      ...(runtime === false ? { runtime } : {}),
      mcpServers: servers,
    }),
  );
  return file;
}

/** Kills every started process tree when the bench exits, fails, or is interrupted. */
export function killStartedOnExit(): void {
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllNow();
      process.exit(130);
    });
  }
}

/**
 * The `fetch` of the bench's client transports. An SDK client transport (v1 and v2) hands its one
 * long-lived abort signal to every fetch, and undici removes its abort listener from that signal
 * only once the request is garbage-collected: at c=32 thousands pile up and Node prints a
 * MaxListenersExceededWarning. Each request gets a signal of its own that follows the
 * transport's (`AbortSignal.any`, no listener on the transport's), as the hub's own upstream
 * transports do since e7cde14; closing the transport still aborts every request it started.
 */
export function perRequestSignalFetch(url: string | URL, init?: RequestInit): Promise<Response> {
  if (!init?.signal) return fetch(url, init);
  return fetch(url, { ...init, signal: AbortSignal.any([init.signal]) });
}
