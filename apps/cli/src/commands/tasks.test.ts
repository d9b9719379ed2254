/**
 * Durable tasks through a real `fedmcp serve` (SQLite store in its data directory, API keys):
 * task-augmented calls of tools whose upstreams know nothing of tasks survive a kill -9 of the
 * hub — the idempotent server-everything tool is resumed and its result is read after the
 * restart, a non-idempotent call in flight reads as failed with the reason; a cancel stops a task;
 * another principal can neither see, read nor cancel it; `fedmcp tasks` reads the same records.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';

type Params = Record<string, unknown>;

/** Takes any result as it is (a Standard Schema): task results are not the SDK's tools/call shape. */
const anyResult = {
  '~standard': { version: 1, vendor: 'fedmcp-test', validate: (value: unknown) => ({ value }) },
} as const;

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const tsx = pathToFileURL(join(repositoryRoot, 'node_modules/tsx/dist/esm/index.mjs')).href;
const bin = join(repositoryRoot, 'apps/cli/src/bin.ts');
const everything = join(
  repositoryRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);
const ledger = fileURLToPath(new URL('./tasks-test-upstream.ts', import.meta.url));

interface Hub {
  child: ChildProcess;
  url: string;
  exited: Promise<unknown>;
}

/** Polls `probe` until it returns a value (for events we cannot subscribe to; bounded). */
async function until<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
): Promise<T> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `fedmcp serve` in its own process group (its stdio upstreams exit when their stdin closes). */
async function startHub(configFile: string, cwd: string): Promise<Hub> {
  const child = spawn(
    process.execPath,
    ['--conditions=@fedmcp/source', '--import', tsx, bin, 'serve', '--config', configFile],
    {
      cwd,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr = `${stderr}${chunk}`.slice(-20_000);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await until(() => {
    if (child.exitCode !== null) throw new Error(`fedmcp serve exited: ${stderr}`);
    return /everything\s+ready/.test(stdout) && /ledger\s+ready/.test(stdout)
      ? stdout.match(/serving at (http:\/\/127\.0\.0\.1:\d+)/)?.[1]
      : undefined;
  }, 'the hub and its upstreams');
  return { child, url, exited };
}

/** kill -9 of the hub's process group (the hub and the upstreams it started). */
async function kill(hub: Hub): Promise<void> {
  if (hub.child.exitCode === null && hub.child.signalCode === null) {
    process.kill(-(hub.child.pid as number), 'SIGKILL');
  }
  await hub.exited;
}

async function connect(hub: Hub, apiKey: string) {
  const client = new Client({ name: 'tasks-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${hub.url}/mcp`), {
      requestInit: { headers: { 'x-api-key': apiKey } },
    }),
  );
  const request = (method: string, params: Params) =>
    client.request({ method, params } as never, anyResult as never) as Promise<Params>;
  return { client, request };
}

describe('durable tasks through fedmcp serve', () => {
  const ada = generateApiKey();
  const eve = generateApiKey();
  let directory: string;
  let configFile: string;
  const hubs: Hub[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-tasks-'));
    configFile = join(directory, 'fedmcp.config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        hub: {
          port: 0,
          dataDir: join(directory, 'state'),
          tasks: { leaseMs: 1500, pollIntervalMs: 200 },
        },
        runtime: false,
        auth: {
          apiKeys: [
            { hash: await hashApiKey(ada), subject: 'ada' },
            { hash: await hashApiKey(eve), subject: 'eve' },
          ],
        },
        mcpServers: {
          everything: { command: process.execPath, args: [everything, 'stdio'] },
          ledger: {
            command: process.execPath,
            args: ['--conditions=@fedmcp/source', '--import', tsx, ledger],
          },
        },
      }),
    );
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    for (const hub of hubs) await kill(hub);
    await rm(directory, { recursive: true, force: true });
  });

  it('a task survives kill -9 of the hub: resumed if idempotent, else failed with the reason', {
    timeout: 240_000,
  }, async () => {
    const first = await startHub(configFile, directory);
    hubs.push(first);
    const { client, request } = await connect(first, ada);
    clients.push(client);
    const resumable = (await request('tools/call', {
      name: 'everything__trigger-long-running-operation',
      arguments: { duration: 2, steps: 2 },
      task: { ttl: 600_000 },
    })) as { task: Params };
    const charge = (await request('tools/call', {
      name: 'ledger__charge',
      arguments: { ms: 120_000 },
      task: { ttl: 600_000 },
    })) as { task: Params };
    expect(String(resumable.task.taskId)).toMatch(/^hubtask\./);
    expect((await request('tasks/get', { taskId: charge.task.taskId })).status).toBe('working');

    await kill(first);
    const second = await startHub(configFile, directory);
    hubs.push(second);
    const again = await connect(second, ada);
    clients.push(again.client);
    const result = await again.request('tasks/result', { taskId: resumable.task.taskId });
    expect(JSON.stringify(result.content)).toContain('Long running operation completed');
    const failed = await until(async () => {
      const task = await again.request('tasks/get', { taskId: charge.task.taskId });
      return task.status === 'failed' ? task : undefined;
    }, 'the non-idempotent task to fail');
    expect(failed.statusMessage).toMatch(/stopped before it finished.*not marked idempotent/);
    await expect(
      again.request('tasks/result', { taskId: charge.task.taskId }),
    ).rejects.toMatchObject({
      code: -32603,
    });
    const listed = await again.request('tasks/list', {});
    expect((listed.tasks as Params[]).map((task) => task.taskId)).toEqual(
      expect.arrayContaining([resumable.task.taskId, charge.task.taskId]),
    );

    // The operator's view, from the same store, while the hub runs.
    const list = captureIo();
    expect(await runCli(['tasks', 'list', '--config', configFile], list.io)).toBe(0);
    expect(list.out.stdout).toMatch(
      /completed\s+everything__trigger-long-running-operation\s+owner=ada/,
    );
    expect(list.out.stdout).toMatch(/failed\s+ledger__charge\s+owner=ada/);
    const get = captureIo();
    expect(
      await runCli(
        ['tasks', 'get', String(charge.task.taskId), '--json', '--config', configFile],
        get.io,
      ),
    ).toBe(0);
    expect(JSON.parse(get.out.stdout)).toMatchObject({ status: 'failed', attempts: 1 });
    const resumed = captureIo();
    expect(
      await runCli(
        ['tasks', 'get', String(resumable.task.taskId), '--json', '--config', configFile],
        resumed.io,
      ),
    ).toBe(0);
    expect(JSON.parse(resumed.out.stdout)).toMatchObject({ status: 'completed', attempts: 2 });
  });

  it('cancels a task; another principal can neither see, read nor cancel it', {
    timeout: 240_000,
  }, async () => {
    const hub = hubs.at(-1)!;
    const owner = await connect(hub, ada);
    const stranger = await connect(hub, eve);
    clients.push(owner.client, stranger.client);
    const { task } = (await owner.request('tools/call', {
      name: 'ledger__charge',
      arguments: { ms: 120_000 },
      task: { ttl: 60_000 },
    })) as { task: Params };
    expect((await stranger.request('tasks/list', {})).tasks).toEqual([]);
    for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel']) {
      await expect(stranger.request(method, { taskId: task.taskId })).rejects.toMatchObject({
        code: -32602,
      });
    }
    const denied = captureIo();
    expect(
      await runCli(['tasks', 'cancel', 'hubtask.unknown', '--config', configFile], denied.io),
    ).toBe(1);
    expect(denied.out.stderr).toContain('No task hubtask.unknown');
    expect((await owner.request('tasks/cancel', { taskId: task.taskId })).status).toBe('cancelled');
    expect((await owner.request('tasks/get', { taskId: task.taskId })).status).toBe('cancelled');
    await expect(owner.request('tasks/cancel', { taskId: task.taskId })).rejects.toMatchObject({
      code: -32602,
    });
  });
});
