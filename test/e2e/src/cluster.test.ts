/**
 * fedmcp as a cluster: three `fedmcp serve` processes (the CLI, from source) on one Redis (a
 * redis-server of this test, on a free port) behind a real HAProxy (round-robin, no stickiness,
 * health checks on `/readyz`), all from one config file. Over the load balancer a 2026-07-28 SDK
 * v2 client lists and calls server-everything's tools, runs a task-augmented call and polls it on
 * every replica; `/status` names a different replica on each request and lists the three; an
 * upstream added through the admin API of one replica reaches a `subscriptions/listen` stream
 * held by another as `list_changed`; a 2025-era SDK v1 session (sealed `Mcp-Session-Id`, the
 * replicas share `FEDMCP_CLUSTER_SECRET`) lists, calls, gets progress and sets its log level with
 * each request on another replica; after a kill -9 of one replica calls keep succeeding and the
 * dead replica drops out of `/status` within its lease. Runs whenever CI=true (a missing
 * redis-server or haproxy fails the run); elsewhere it skips with a printed notice.
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
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHttp } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { everythingStdioEntry, repositoryRoot } from './fixtures/upstreams.js';

type Params = Record<string, unknown>;

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

const missing = [
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
const clusterSessions = (() => {
  try {
    parseConfig({ cluster: { secret: 'x'.repeat(32) } }, 'probe', { env: {} });
    return true;
  } catch {
    return false;
  }
})();
const clusterSecret = randomBytes(32).toString('base64url');

/** A `fedmcp serve` process of the cluster. */
interface Replica {
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
async function stopReplica(replica: Replica, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  if (replica.child.exitCode !== null || replica.child.signalCode !== null) return;
  const below = descendantsOf(replica.child.pid as number);
  killQuietly(replica.child.pid as number, signal);
  if (signal === 'SIGKILL') for (const pid of below) killQuietly(pid, 'SIGKILL');
  await replica.exited;
}

function haproxyConfig(port: number, replicas: Replica[]): string {
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

/** The JSON-RPC messages of an SSE or JSON body. */
function messagesOf(text: string): Params[] {
  return text
    .split('\n')
    .map((line) => (line.startsWith('data:') ? line.slice(5) : line).trim())
    .filter((json) => json.startsWith('{'))
    .map((json) => JSON.parse(json) as Params);
}

/**
 * A 2026-07-28 SDK v2 client: `wire` answers a request with its wire result (the SDK does not
 * decode `resultType: "task"`), `listenFrames` gathers the frames of its listen streams.
 */
async function modernClient(baseUrl: string, apiKey: string, tasks: boolean) {
  const answers: Params[] = [];
  const listenFrames: Params[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      const sent = typeof init?.body === 'string' ? (JSON.parse(init.body) as Params) : {};
      if (sent.method === 'subscriptions/listen' && response.body) {
        const [mine, theirs] = response.body.tee();
        void (async () => {
          const decoder = new TextDecoder();
          let buffer = '';
          const reader = theirs.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            buffer += decoder.decode(value, { stream: true });
            const frames = buffer.split('\n\n');
            buffer = frames.pop() ?? '';
            for (const frame of frames) listenFrames.push(...messagesOf(frame));
          }
        })().catch(() => {});
        return new Response(mine, { status: response.status, headers: response.headers });
      }
      if (init?.method === 'POST') answers.push(...messagesOf(await response.clone().text()));
      return response;
    },
  });
  const client = new Client(
    { name: 'cluster-client', version: '1.0.0' },
    {
      capabilities: (tasks ? { extensions: { 'io.modelcontextprotocol/tasks': {} } } : {}) as never,
      versionNegotiation: { mode: { pin: '2026-07-28' } },
    },
  );
  await client.connect(transport);
  const wire = async (method: string, params: Params): Promise<Params> => {
    await client.request({ method, params } as never, ResultSchema).catch(() => undefined);
    const answer = answers.at(-1) ?? {};
    return (answer.result ?? answer.error) as Params;
  };
  return { client, wire, listenFrames };
}

function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ type: string; text?: string }> }).content ?? [];
  return content.map((item) => item.text ?? '').join('');
}

describe.runIf(missing.length === 0)(
  'three fedmcp serve replicas behind HAProxy on one Redis',
  () => {
    let directory = '';
    let redis: TestRedisServer | undefined;
    let haproxy: ChildProcess | undefined;
    let haproxyExited: Promise<void> = Promise.resolve();
    const replicas: Replica[] = [];
    let front = '';
    const adminKey = generateApiKey();
    const userKey = generateApiKey();
    const closers: Array<() => Promise<unknown>> = [];

    const adminRequest = async (base: string, method: string, path: string, body?: unknown) => {
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
    const statusThroughFront = async () =>
      (await (
        await fetch(`${front}/status?depth=0`, { headers: { authorization: `Bearer ${adminKey}` } })
      ).json()) as { cluster: { replica: string; replicas?: Array<{ id: string }> } };

    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 'fedmcp-cluster-e2e-'));
      redis = await startTestRedisServer();
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
            ],
          },
          mcpServers: { ev: everythingStdioEntry() },
        }),
      );
      // One after another: the first creates the hub's keys in the shared data directory.
      for (const id of ['r1', 'r2', 'r3'])
        replicas.push(await startReplica(id, configFile, directory));
      for (const replica of replicas) {
        await vi.waitFor(
          async () => {
            const { body } = await adminRequest(replica.url, 'GET', '/upstreams/ev');
            expect(body.state).toBe('ready');
          },
          { timeout: 60_000, interval: 200 },
        );
      }
      const port = await freePort();
      const haproxyFile = join(directory, 'haproxy.cfg');
      await writeFile(haproxyFile, haproxyConfig(port, replicas));
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
          expect(seen.size).toBe(3);
        },
        { timeout: 30_000, interval: 200 },
      );
    }, 180_000);

    afterAll(async () => {
      for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
      if (haproxy && haproxy.exitCode === null) {
        haproxy.kill('SIGTERM');
        await haproxyExited;
      }
      for (const replica of replicas) await stopReplica(replica, 'SIGTERM');
      await redis?.[Symbol.asyncDispose]();
      if (directory) await rm(directory, { recursive: true, force: true });
    }, 60_000);

    it('sends each request to another replica, and every replica lists the three', async () => {
      const answered = [];
      for (let index = 0; index < 6; index += 1)
        answered.push((await statusThroughFront()).cluster.replica);
      // Round-robin, no stickiness: never the same replica twice in a row.
      for (let index = 1; index < answered.length; index += 1) {
        expect(answered[index]).not.toBe(answered[index - 1]);
      }
      const { status, body } = await adminRequest(front, 'GET', '/replicas');
      expect(status).toBe(200);
      const listed = body.replicas as Array<{
        id: string;
        upstreams: Array<{ id: string; state: string }>;
      }>;
      expect(listed.map(({ id }) => id).sort()).toEqual(['r1', 'r2', 'r3']);
      for (const replica of listed)
        expect(replica.upstreams).toEqual([{ id: 'ev', state: 'ready' }]);
    });

    it('serves a 2026-07-28 client: list, call, and a task polled on every replica', async () => {
      const plain = await modernClient(front, userKey, false);
      closers.push(() => plain.client.close());
      const { tools } = await plain.client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('ev__echo');
      for (let index = 0; index < 3; index += 1) {
        const result = await plain.client.callTool({
          name: 'ev__echo',
          arguments: { message: `call ${index}` },
        });
        expect(textOf(result)).toBe(`Echo: call ${index}`);
      }

      const tasks = await modernClient(front, userKey, true);
      closers.push(() => tasks.client.close());
      const created = await tasks.wire('tools/call', {
        name: 'ev__echo',
        arguments: { message: 'as a task' },
      });
      expect(created).toMatchObject({ resultType: 'task' });
      const taskId = String(created.taskId);
      // Each poll lands on the next replica; the task record is in the store.
      const polled = await vi.waitFor(
        async () => {
          const state = await tasks.wire('tasks/get', { taskId });
          expect(state.status).toBe('completed');
          return state;
        },
        { timeout: 20_000, interval: 100 },
      );
      expect(JSON.stringify(polled)).toContain('Echo: as a task');
    });

    it('tells a listen stream on one replica of an upstream added through another replica', async () => {
      const [r1, r2] = replicas as [Replica, Replica];
      const listener = await modernClient(r2.url, userKey, false);
      closers.push(() => listener.client.close());
      const subscription = await listener.client.listen({ toolsListChanged: true } as never);
      closers.push(() => subscription.close());
      await vi.waitFor(() =>
        expect(
          listener.listenFrames.some(
            (frame) => frame.method === 'notifications/subscriptions/acknowledged',
          ),
        ).toBe(true),
      );
      const added = await adminRequest(r1.url, 'POST', '/upstreams/extra', everythingStdioEntry());
      expect(added.status).toBe(201);
      await vi.waitFor(
        () =>
          expect(
            listener.listenFrames.some(
              (frame) => frame.method === 'notifications/tools/list_changed',
            ),
          ).toBe(true),
        { timeout: 30_000, interval: 100 },
      );
      const { tools } = await listener.client.listTools();
      expect(tools.map((tool) => tool.name)).toContain('extra__echo');
      expect((await adminRequest(r1.url, 'DELETE', '/upstreams/extra')).status).toBe(204);
      await vi.waitFor(
        async () => {
          const { body } = await adminRequest(r2.url, 'GET', '/upstreams');
          const ids = (body.upstreams as Array<{ id: string }>).map(({ id }) => id);
          expect(ids).not.toContain('extra');
        },
        { timeout: 30_000, interval: 100 },
      );
    }, 90_000);

    it.runIf(clusterSessions)(
      'serves a 2025-era SDK v1 session across replicas: list, call, progress, logging',
      async () => {
        const client = new V1Client({ name: 'cluster-v1', version: '1.0.0' });
        const transport = new V1StreamableHttp(new URL(`${front}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${userKey}` } },
        });
        await client.connect(transport);
        closers.push(async () => {
          await transport.terminateSession().catch(() => {});
          await client.close();
        });
        // Every request of the session goes to the next replica.
        for (let index = 0; index < 3; index += 1) {
          const { tools } = await client.listTools();
          expect(tools.map((tool) => tool.name)).toContain('ev__echo');
          const result = await client.callTool({
            name: 'ev__echo',
            arguments: { message: `v1 ${index}` },
          });
          expect(textOf(result)).toBe(`Echo: v1 ${index}`);
        }
        const progress: number[] = [];
        const long = await client.callTool(
          { name: 'ev__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
          undefined,
          { onprogress: (value) => progress.push(value.progress) },
        );
        expect(textOf(long)).toContain('Long running operation completed');
        expect(progress.length).toBeGreaterThanOrEqual(1);
        for (let index = 0; index < 3; index += 1) await client.setLoggingLevel('info');
      },
    );

    it('keeps serving after a kill -9 of one replica, which drops out of /status within its lease', async () => {
      const client = await modernClient(front, userKey, false);
      closers.push(() => client.client.close());
      const killed = replicas[2] as Replica;
      const killedAt = Date.now();
      await stopReplica(killed, 'SIGKILL');
      for (let index = 0; index < 6; index += 1) {
        const result = await client.client.callTool({
          name: 'ev__echo',
          arguments: { message: `after the kill ${index}` },
        });
        expect(textOf(result)).toBe(`Echo: after the kill ${index}`);
      }
      await vi.waitFor(
        async () => {
          const status = await statusThroughFront();
          expect(status.cluster.replicas?.map(({ id }) => id).sort()).toEqual(['r1', 'r2']);
        },
        { timeout: 15_000, interval: 100 },
      );
      console.log(
        `cluster: replica r3 left /status ${Date.now() - killedAt} ms after kill -9 (heartbeat 300 ms, lease 900 ms)`,
      );
    }, 90_000);
  },
);
