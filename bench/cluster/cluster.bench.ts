/**
 * `pnpm bench cluster`: what running fedmcp as replicas on Redis costs and gives.
 *
 * Contenders, each a real `fedmcp serve` (the CLI from source) with the echo server over stdio as
 * its upstream, measured in one interleaved run (every round visits every contender):
 * - `sqlite ×1`: one replica on the embedded SQLite store (the baseline);
 * - `redis ×1`: one replica on Redis (a redis-server of this bench on a free port);
 * - `redis ×1 + haproxy`: the same behind HAProxy (what the proxy hop costs);
 * - `redis ×3 + haproxy`: three replicas behind HAProxy, round-robin, no stickiness.
 * A 2026-07-28 SDK v2 client calls `echo__echo` at concurrency 1 and 32 for `FEDMCP_BENCH_MS`
 * (default 1500) per measurement; calls/s and the median latency are printed, and ratios against
 * the baseline. Then the Redis commands per forwarded call on the hot path, from `INFO
 * commandstats` before and after 500 sequential calls on `redis ×1` (heartbeats set to 10 min so
 * they do not count). The machine is shared and has few cores: read the ratios, not the figures.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

const root = fileURLToPath(new URL('../../', import.meta.url));
const durationMs = Number(process.env.FEDMCP_BENCH_MS ?? 1500);
const rounds = Number(process.env.FEDMCP_BENCH_ROUNDS ?? 2);
const directory = mkdtempSync(join(tmpdir(), 'fedmcp-bench-cluster-'));
const processes: ChildProcess[] = [];

const haproxyBinary = ['haproxy', '/usr/sbin/haproxy'].find((candidate) => {
  try {
    execFileSync(candidate, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function until<T>(probe: () => T | undefined | Promise<T | undefined>, what: string) {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function redisCli(port: number, ...args: string[]): string {
  return execFileSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).trim();
}

async function startRedis(): Promise<number> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  processes.push(child);
  await until(() => {
    try {
      return redisCli(port, 'ping') === 'PONG' ? true : undefined;
    } catch {
      return undefined;
    }
  }, 'redis-server');
  return port;
}

async function startReplica(name: string, store: string, replicaId: string): Promise<string> {
  const configFile = join(directory, `${name}.json`);
  writeFileSync(
    configFile,
    JSON.stringify({
      hub: { host: '127.0.0.1', port: 0, id: 'bench', dataDir: join(directory, `${name}-data`) },
      store,
      runtime: false,
      mcpServers: {
        echo: { command: process.execPath, args: [join(root, 'bench/gateway/echo-server.mjs')] },
      },
    }),
  );
  const child = spawn(
    process.execPath,
    [
      '--conditions=@fedmcp/source',
      '--import',
      'tsx',
      join(root, 'apps/cli/src/bin.ts'),
      'serve',
      '--config',
      configFile,
      '--port',
      '0',
      '--log-level',
      'error',
    ],
    {
      cwd: root,
      env: {
        ...process.env,
        FEDMCP_REPLICA_ID: replicaId,
        FEDMCP_REPLICA_HEARTBEAT_MS: '600000',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  processes.push(child);
  let stdout = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  const url = await until(() => {
    if (child.exitCode !== null) throw new Error(`${name} exited`);
    return stdout.match(/serving at (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
  }, `${name} serving`);
  await until(async () => {
    const client = await connect(url);
    try {
      const { tools } = await client.listTools();
      return tools.some((tool) => tool.name === 'echo__echo') ? true : undefined;
    } finally {
      await client.close();
    }
  }, `${name} upstream`);
  return url;
}

async function startHaproxy(backends: string[]): Promise<string> {
  const port = await freePort();
  const file = join(directory, `haproxy-${port}.cfg`);
  writeFileSync(
    file,
    [
      'global',
      '  maxconn 1024',
      'defaults',
      '  mode http',
      '  timeout connect 2s',
      '  timeout client 60s',
      '  timeout server 60s',
      '  option http-keep-alive',
      'frontend mcp',
      `  bind 127.0.0.1:${port}`,
      '  default_backend replicas',
      'backend replicas',
      '  balance roundrobin',
      ...backends.map((url, index) => `  server r${index} ${new URL(url).host}`),
      '',
    ].join('\n'),
  );
  const child = spawn(haproxyBinary as string, ['-f', file, '-db'], { stdio: 'ignore' });
  processes.push(child);
  const url = `http://127.0.0.1:${port}`;
  await until(
    async () => ((await fetch(`${url}/healthz`).catch(() => undefined))?.ok ? true : undefined),
    'haproxy',
  );
  return url;
}

async function connect(url: string): Promise<Client> {
  const client = new Client(
    { name: 'bench-cluster', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return client;
}

/** Calls at a concurrency for `durationMs`: calls/s and the median latency in ms. */
async function measure(client: Client, concurrency: number) {
  const call = () => client.callTool({ name: 'echo__echo', arguments: { text: 'x' } });
  for (let index = 0; index < 20; index += 1) await call(); // warm-up
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        const begin = performance.now();
        await call();
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    callsPerSecond: latencies.length / elapsed,
    p50: latencies[Math.floor(latencies.length / 2)] ?? Number.NaN,
  };
}

function commandstats(port: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of redisCli(port, 'info', 'commandstats').split('\n')) {
    const match = line.match(/^cmdstat_([^:]+):calls=(\d+)/);
    if (match) counts.set(match[1] as string, Number(match[2]));
  }
  return counts;
}

async function main() {
  if (!haproxyBinary) throw new Error('haproxy is not installed (apt-get install haproxy).');
  const redisPort = await startRedis();
  const redisUrl = (db: number) => `redis://127.0.0.1:${redisPort}/${db}`;
  const sqlite = await startReplica('sqlite', `sqlite:${join(directory, 'state.db')}`, 's1');
  const redisOne = await startReplica('redis-1', redisUrl(1), 'one');
  const three = [
    await startReplica('redis-3a', redisUrl(2), 'a'),
    await startReplica('redis-3b', redisUrl(2), 'b'),
    await startReplica('redis-3c', redisUrl(2), 'c'),
  ];
  const contenders: Array<[string, string]> = [
    ['sqlite ×1', sqlite],
    ['redis ×1', redisOne],
    ['redis ×1 + haproxy', await startHaproxy([redisOne])],
    ['redis ×3 + haproxy', await startHaproxy(three)],
  ];
  const clients = new Map<string, Client>();
  for (const [name, url] of contenders) clients.set(name, await connect(url));

  const best = new Map<string, { callsPerSecond: number; p50: number }>();
  for (let round = 0; round < rounds; round += 1) {
    for (const concurrency of [1, 32]) {
      for (const [name] of contenders) {
        const result = await measure(clients.get(name) as Client, concurrency);
        const key = `${name}|${concurrency}`;
        const previous = best.get(key);
        if (!previous || result.callsPerSecond > previous.callsPerSecond) best.set(key, result);
      }
    }
  }
  process.stdout.write(
    `tools/call through fedmcp serve, 2026-07-28 client, best of ${rounds} interleaved rounds of ${durationMs} ms\n`,
  );
  for (const concurrency of [1, 32]) {
    const baseline = best.get(`sqlite ×1|${concurrency}`) as { callsPerSecond: number };
    const one = best.get(`redis ×1|${concurrency}`) as { callsPerSecond: number };
    for (const [name] of contenders) {
      const { callsPerSecond, p50 } = best.get(`${name}|${concurrency}`) as {
        callsPerSecond: number;
        p50: number;
      };
      const versus =
        name === 'redis ×3 + haproxy'
          ? `  ${(callsPerSecond / one.callsPerSecond).toFixed(2)}× redis ×1`
          : '';
      process.stdout.write(
        `  c=${String(concurrency).padEnd(3)} ${name.padEnd(20)} ${callsPerSecond.toFixed(0).padStart(6)} calls/s  p50 ${p50.toFixed(2).padStart(6)} ms  ${(callsPerSecond / baseline.callsPerSecond).toFixed(2)}× sqlite${versus}\n`,
      );
    }
  }

  // Store round trips per forwarded call on the hot path (redis ×1, sequential calls).
  const client = clients.get('redis ×1') as Client;
  const calls = 500;
  await new Promise((resolve) => setTimeout(resolve, 500)); // let queued audit appends land
  const before = commandstats(redisPort);
  for (let index = 0; index < calls; index += 1) {
    await client.callTool({ name: 'echo__echo', arguments: { text: 'x' } });
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = commandstats(redisPort);
  const perCall: string[] = [];
  let total = 0;
  for (const [command, count] of after) {
    const delta = count - (before.get(command) ?? 0) - (command === 'info' ? 1 : 0);
    if (delta <= 0) continue;
    total += delta;
    perCall.push(`${command} ${(delta / calls).toFixed(2)}`);
  }
  process.stdout.write(
    `Redis commands per forwarded call (redis ×1, ${calls} calls): ${(total / calls).toFixed(2)} (${perCall.join(', ') || 'none'})\n`,
  );
  for (const open of clients.values()) await open.close();
}

try {
  await main();
} finally {
  for (const child of processes.reverse()) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
  rmSync(directory, { recursive: true, force: true });
}
