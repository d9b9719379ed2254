/**
 * Rate limits through two `fedmcp serve` processes sharing one Redis store: the bucket is the
 * store's, so a burst split across both hubs is limited as one, while another principal is not.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateApiKey, hashApiKey, readAuditEvents } from '@fedmcp/proxy-auth';
import { createStore } from '@fedmcp/store/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = join(repositoryRoot, 'apps/cli/src/bin.ts');
const everything = join(
  repositoryRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);
const tsx = pathToFileURL(join(repositoryRoot, 'node_modules/tsx/dist/esm/index.mjs')).href;
const redisUrl = process.env.FEDMCP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisReachable(): Promise<boolean> {
  const { hostname, port } = new URL(redisUrl);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(1_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const redisAvailable = await redisReachable();
if (!redisAvailable) {
  if (process.env.CI === 'true') {
    throw new Error(
      `Redis is required in CI but not reachable at ${redisUrl}; start redis-server.`,
    );
  }
  console.warn(`notice: Redis not reachable at ${redisUrl}; skipping the shared rate-limit test.`);
}

interface Hub {
  child: ChildProcess;
  url: string;
  exited: Promise<unknown>;
}

async function startHub(config: string, cwd: string): Promise<Hub> {
  const child = spawn(
    process.execPath,
    ['--conditions=@fedmcp/source', '--import', tsx, bin, 'serve', '--config', config],
    { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start: ${stderr}`)), 30_000);
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
      const match = stdout.match(/serving at (http:\/\/127\.0\.0\.1:\d+)/);
      if (match?.[1] && /everything\s+ready/.test(stdout)) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`hub exited (${code}): ${stderr}`)));
  });
  return { child, url, exited };
}

async function connect(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'rate-limit-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  return client;
}

describe.runIf(redisAvailable)('rate limits shared through Redis', () => {
  let directory: string;
  const hubs: Hub[] = [];
  const clients: Client[] = [];
  const alice = generateApiKey();
  const bob = generateApiKey();
  // A rule id unique to this run: the buckets (and their keys in Redis) are its own.
  const rule = `echo-burst-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-rate-'));
    const config = {
      hub: { host: '127.0.0.1', port: 0 },
      store: redisUrl,
      auth: {
        apiKeys: [
          { hash: await hashApiKey(alice), subject: 'alice' },
          { hash: await hashApiKey(bob), subject: 'bob' },
        ],
      },
      policy: {
        rules: [
          { id: 'everyone', effect: 'allow', subjects: ['*'], actions: ['*'] },
          {
            id: rule,
            subjects: ['*'],
            actions: ['tools/call'],
            targets: ['everything__echo'],
            rateLimit: { limit: 3, per: 'hour', by: ['principal'] },
          },
        ],
      },
      mcpServers: { everything: { command: process.execPath, args: [everything, 'stdio'] } },
    };
    const file = join(directory, 'fedmcp.config.json');
    await writeFile(file, JSON.stringify(config));
    hubs.push(...(await Promise.all([startHub(file, directory), startHub(file, directory)])));
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    for (const hub of hubs) {
      hub.child.kill('SIGTERM');
      await hub.exited;
    }
    await rm(directory, { recursive: true, force: true });
  });

  it('refuses a burst split across two hubs, with a retry-after, while bob is unaffected', async () => {
    const [one, two] = hubs as [Hub, Hub];
    const aliceOne = await connect(one.url, alice);
    const aliceTwo = await connect(two.url, alice);
    const bobOne = await connect(one.url, bob);
    clients.push(aliceOne, aliceTwo, bobOne);
    const echo = (client: Client, message: string) =>
      client.callTool({ name: 'everything__echo', arguments: { message } });

    await echo(aliceOne, '1');
    await echo(aliceTwo, '2');
    await echo(aliceOne, '3');
    const refused = await echo(aliceTwo, '4').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toMatchObject({
      code: -32064,
      message: expect.stringMatching(new RegExp(`${rule}.*retry after \\d+ s`)),
      data: { retryAfterMs: expect.any(Number) },
    });
    await expect(echo(aliceOne, '5')).rejects.toMatchObject({ code: -32064 });
    // Another principal has its own bucket.
    const result = await echo(bobOne, 'b');
    expect(JSON.stringify(result.content)).toContain('b');

    const store = await createStore(redisUrl);
    try {
      const events = (await readAuditEvents(store.streams, { limit: 100_000 })).map(
        ({ event }) => event,
      );
      const limited = events.filter((event) => event.type === 'rate-limit' && event.rule === rule);
      expect(limited.length).toBeGreaterThanOrEqual(2);
      expect(limited[0]).toMatchObject({
        outcome: 'limited',
        principal: { subject: 'alice' },
        target: 'everything__echo',
      });
    } finally {
      await store.close();
    }
  }, 60_000);
});
