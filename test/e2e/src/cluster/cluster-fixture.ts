/**
 * The cluster of the cluster e2e tests: three `fedmcp serve` processes (the CLI, from source) on
 * one Redis (a redis-server of the test, on a free port, that a test may stop and start again)
 * behind a real HAProxy (round-robin, no stickiness, health checks on `/readyz`), all from one
 * config file with server-everything over stdio as upstream `ev`; and the clients the tests drive
 * through it: an SDK v1 client (2025-11-25 session) and an SDK v2 client pinned to 2026-07-28.
 * Runs whenever CI=true (a missing redis-server or haproxy fails the run); elsewhere the tests
 * skip with a printed notice.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@fedmcp/server';
import {
  freePort,
  redisServerAvailable,
  startTestRedisServer,
  type TestRedisServer,
} from '@fedmcp/test-support';
import { vi } from 'vitest';
import { everythingStdioEntry, repositoryRoot } from '../fixtures/upstreams.js';

export type Params = Record<string, unknown>;

/** An API key and its config entry's hash, as `fedmcp keys` makes them. */
const generateApiKey = () => `fmk_${randomBytes(32).toString('base64url')}`;
const hashApiKey = async (key: string) =>
  `sha256:${createHash('sha256').update(key).digest('base64url')}`;

/** The haproxy binary: on PATH, or where Debian puts it (/usr/sbin, not on a user's PATH). */
const haproxyBinary = ['haproxy', '/usr/sbin/haproxy'].find((candidate) => {
  try {
    execFileSync(candidate, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

/** What the machine lacks to run the cluster tests (empty in CI, where it fails instead). */
export const missing = [
  ...(redisServerAvailable() ? [] : ['redis-server']),
  ...(haproxyBinary ? [] : ['haproxy']),
];
if (missing.length > 0) {
  if (process.env.CI === 'true') {
    throw new Error(
      `The cluster test needs ${missing.join(' and ')} in CI (.ci/run installs them).`,
    );
  }
  console.warn(`notice: ${missing.join(' and ')} not installed; skipping the cluster test.`);
}

/**
 * Whether the hub carries 2025-era sessions across replicas (the `cluster` config section with
 * its shared secret: sealed `Mcp-Session-Id`s any replica opens).
 */
export const clusterSessions = (() => {
  try {
    parseConfig({ cluster: { secret: 'x'.repeat(32) } }, 'probe', { env: {} });
    return true;
  } catch {
    return false;
  }
})();
const clusterSecret = randomBytes(32).toString('base64url');

/** A `fedmcp serve` process of the cluster. */
export interface Replica {
  id: string;
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  exited: Promise<void>;
}

/** The process ids below `pid` (Linux /proc): the stdio upstreams a replica spawned. */
function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // gone while we looked
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

async function startReplica(id: string, configFile: string, cwd: string): Promise<Replica> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@fedmcp/source',
      '--import',
      `${repositoryRoot}node_modules/tsx/dist/esm/index.mjs`,
      `${repositoryRoot}apps/cli/src/bin.ts`,
      'serve',
      '--config',
      configFile,
      '--port',
      '0',
    ],
    {
      cwd,
      env: {
        ...process.env,
        FORCE_COLOR: '0',
        FEDMCP_REPLICA_ID: id,
        FEDMCP_REPLICA_HEARTBEAT_MS: '300',
        FEDMCP_CLUSTER_SECRET: clusterSecret,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > 200_000) stderr = stderr.slice(-100_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await vi.waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`replica ${id} exited: ${stderr.slice(-2000)}`);
      const found = stdout.match(/serving at (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
      if (!found) throw new Error(`replica ${id} not serving yet`);
      return found;
    },
    { timeout: 60_000, interval: 100 },
  );
  return { id, child, url, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Stops a replica: SIGTERM (a clean shutdown) or SIGKILL of it and its upstreams. */
export async function stopReplica(replica: Replica, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  const below = descendantsOf(replica.child.pid as number);
  killQuietly(replica.child.pid as number, signal);
  if (signal === 'SIGKILL') for (const pid of below) killQuietly(pid, 'SIGKILL');
  await replica.exited;
}

function haproxyConfig(port: number, statsPort: number, replicas: Replica[]): string {
  const servers = replicas.map(
    (replica) => `  server ${replica.id} ${new URL(replica.url).host} check`,
  );
  return [
    'global',
    '  maxconn 512',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  timeout tunnel 60s',
    '  timeout check 2s',
    // A replica that died between two health checks: the request goes to another one.
    '  retries 3',
    '  option redispatch 1',
    // Its statistics (CSV): which replica holds the streams in flight.
    'frontend stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    'frontend mcp',
    `  bind 127.0.0.1:${port}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    // The hub checks the Host header (DNS rebinding protection): the check sends one.
    '  option httpchk',
    '  http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host 127.0.0.1',
    '  http-check expect status 200',
    '  default-server inter 300ms fall 1 rise 2',
    ...servers,
    '',
  ].join('\n');
}

/** A running cluster: three replicas, their Redis and the HAProxy in front. */
export interface Cluster {
  directory: string;
  redis: TestRedisServer;
  replicas: Replica[];
  /** The load balancer: `http://127.0.0.1:<port>`. */
  front: string;
  adminKey: string;
  /** The API keys of two principals, `alice` and `bob`. */
  userKey: string;
  otherKey: string;
  /** Where the upstreams write each `notifications/cancelled` they receive. */
  observeFile: string;
  adminRequest(
    base: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Params }>;
  /** HAProxy's current streams (requests in flight, open SSE streams) per replica id. */
  currentStreams(): Promise<Record<string, number>>;
  /** Which replica answers the next request through the front (`/status`). */
  statusThroughFront(): Promise<{ cluster: { replica: string; replicas?: Array<{ id: string }> } }>;
  close(): Promise<void>;
}

/** What a test adds to the cluster's config (the `ev` upstream and the API keys are always there). */
export interface ClusterOptions {
  /** More `mcpServers` entries (each replica's are ready once `ev` is; wait for them yourself). */
  mcpServers?: Record<string, unknown>;
  /** The hub's `policy` (none: every call allowed). */
  policy?: unknown;
}

/** Starts the cluster (about 20 s on a loaded machine); `close()` stops every process of it. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const directory = await mkdtemp(join(tmpdir(), 'fedmcp-cluster-e2e-'));
  const observeFile = join(directory, 'cancellations.log');
  const redis = await startTestRedisServer();
  const replicas: Replica[] = [];
  const adminKey = generateApiKey();
  const userKey = generateApiKey();
  const otherKey = generateApiKey();
  let haproxy: ChildProcess | undefined;
  let haproxyExited: Promise<void> = Promise.resolve();
  const close = async () => {
    if (haproxy && haproxy.exitCode === null) {
      haproxy.kill('SIGTERM');
      await haproxyExited;
    }
    for (const replica of replicas) await stopReplica(replica, 'SIGTERM');
    await redis[Symbol.asyncDispose]();
    await rm(directory, { recursive: true, force: true });
  };
  const adminRequest: Cluster['adminRequest'] = async (base, method, path, body) => {
    const response = await fetch(`${base}/admin/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${adminKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as Params };
  };
  let front = '';
  let statsPort = 0;
  const currentStreams: Cluster['currentStreams'] = async () => {
    const csv = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
    const streams: Record<string, number> = {};
    for (const line of csv.split('\n')) {
      const [proxy, server, , , current] = line.split(',');
      if (proxy === 'replicas' && server && server !== 'BACKEND') streams[server] = Number(current);
    }
    return streams;
  };
  const statusThroughFront: Cluster['statusThroughFront'] = async () =>
    (await (
      await fetch(`${front}/status?depth=0`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as Awaited<ReturnType<Cluster['statusThroughFront']>>;
  try {
    const configFile = join(directory, 'fedmcp.config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        hub: {
          host: '127.0.0.1',
          port: 0,
          id: 'cluster',
          tasks: { extensionTools: ['ev__echo'], pollIntervalMs: 100 },
        },
        store: redis.url,
        runtime: false,
        auth: {
          apiKeys: [
            { hash: await hashApiKey(adminKey), subject: 'ops', scopes: ['admin'] },
            { hash: await hashApiKey(userKey), subject: 'alice' },
            { hash: await hashApiKey(otherKey), subject: 'bob' },
          ],
        },
        mcpServers: { ev: everythingStdioEntry(observeFile), ...options.mcpServers },
        ...(options.policy === undefined ? {} : { policy: options.policy }),
      }),
    );
    // One after another: the first creates the hub's keys in the shared data directory.
    for (const id of ['r1', 'r2', 'r3'])
      replicas.push(await startReplica(id, configFile, directory));
    for (const replica of replicas) {
      await vi.waitFor(
        async () => {
          const { body } = await adminRequest(replica.url, 'GET', '/upstreams/ev');
          if (body.state !== 'ready') throw new Error(`ev on ${replica.id}: ${body.state}`);
        },
        { timeout: 60_000, interval: 200 },
      );
    }
    const port = await freePort();
    statsPort = await freePort();
    const haproxyFile = join(directory, 'haproxy.cfg');
    await writeFile(haproxyFile, haproxyConfig(port, statsPort, replicas));
    const started = spawn(haproxyBinary as string, ['-f', haproxyFile, '-db'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    haproxy = started;
    let haproxyErrors = '';
    started.stderr?.on('data', (chunk) => {
      haproxyErrors += chunk;
    });
    haproxyExited = new Promise((resolve) => started.once('exit', () => resolve()));
    front = `http://127.0.0.1:${port}`;
    // Up once every replica passed its health checks (three different replicas answer).
    await vi.waitFor(
      async () => {
        if (started.exitCode !== null) throw new Error(`haproxy exited: ${haproxyErrors}`);
        const seen = new Set<string>();
        for (let index = 0; index < 3; index += 1)
          seen.add((await statusThroughFront()).cluster.replica);
        if (seen.size !== 3) throw new Error(`replicas up: ${[...seen].join(', ')}`);
      },
      { timeout: 30_000, interval: 200 },
    );
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
  return {
    directory,
    redis,
    replicas,
    front,
    adminKey,
    userKey,
    otherKey,
    observeFile,
    adminRequest,
    statusThroughFront,
    currentStreams,
    close,
  };
}

/** The `notifications/cancelled` the upstreams of a cluster received so far. */
export function cancellationsSeen(cluster: Cluster): number {
  try {
    return readFileSync(cluster.observeFile, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
}
