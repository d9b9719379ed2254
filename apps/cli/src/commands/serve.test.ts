import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const bin = join(repositoryRoot, 'apps/cli/src/bin.ts');
const everything = join(
  repositoryRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);
const tsx = pathToFileURL(join(repositoryRoot, 'node_modules/tsx/dist/esm/index.mjs')).href;
const nodeArguments = ['--conditions=@fedmcp/source', '--import', tsx, bin];

function everythingServer(extra: Record<string, unknown> = {}) {
  return { command: process.execPath, args: [everything, 'stdio'], ...extra };
}

interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function startCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunningCli {
  const child = spawn(process.execPath, [...nodeArguments, ...args], {
    cwd,
    env: { ...process.env, FORCE_COLOR: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function until<T>(probe: () => T | undefined, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('fedmcp serve', () => {
  let directory: string;
  const running: RunningCli[] = [];
  const clients: Client[] = [];

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-serve-'));
  });
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((client) => client.close()));
    for (const cli of running.splice(0)) {
      if (cli.child.exitCode === null) cli.child.kill('SIGTERM');
      await cli.exited;
    }
    await rm(directory, { recursive: true, force: true });
  });

  it('serves a stdio upstream over HTTP, prints its URL and upstreams, and applies config edits live', async () => {
    const config = join(directory, 'fedmcp.config.json');
    await writeFile(
      config,
      JSON.stringify({ hub: { port: 0 }, mcpServers: { everything: everythingServer() } }),
    );
    const cli = startCli(['serve', '--config', config], directory);
    running.push(cli);
    const url = await until(
      () => cli.stdout().match(/serving at (http:\/\/127\.0\.0\.1:\d+)/)?.[1],
      'the serving URL',
    );
    await until(
      () => (cli.stdout().includes('everything') ? true : undefined),
      'the upstream list',
    );
    expect(cli.stdout()).toMatch(/everything\s+ready\s+\d+ tools/);

    const health = await fetch(`${url}/healthz`);
    expect(await health.json()).toEqual({ status: 'ok' });

    const client = new Client({ name: 'serve-test', version: '1.0.0' });
    clients.push(client);
    let listChanged = 0;
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      listChanged += 1;
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('everything__echo');
    const result = await client.callTool({
      name: 'everything__echo',
      arguments: { message: 'hi' },
    });
    expect(result.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);

    // One banner block; the first start's pins folded into one line; no info line per call.
    expect(cli.stdout()).toMatch(/Upstreams {2}1 of 1 ready, \d+ tools\n/);
    expect(cli.stdout()).toMatch(/Auth {7}anonymous\n {2}Store {6}sqlite:\S+state\.db\n/);
    await until(
      () =>
        /pinned \d+ tool and prompt definitions of \d+ upstreams?/.test(cli.stderr())
          ? true
          : undefined,
      'the pin summary',
    );
    expect(cli.stderr()).not.toContain('audit pin pinned');
    expect(cli.stderr()).not.toContain('audit call success');

    // A config edit adds an upstream without dropping this session.
    await writeFile(
      config,
      JSON.stringify({
        hub: { port: 0 },
        mcpServers: { everything: everythingServer(), second: everythingServer({ prefix: 'two' }) },
      }),
    );
    const deadline = Date.now() + 30_000;
    let seen: string[] = [];
    while (Date.now() < deadline && !seen.includes('two__echo')) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      seen = (await client.listTools()).tools.map((tool) => tool.name);
    }
    expect(seen).toContain('two__echo');
    expect(seen).toContain('everything__echo');
    await until(() => (listChanged > 0 ? true : undefined), 'a tools/list_changed notification');

    // An invalid edit is refused and the running config stays.
    await writeFile(config, JSON.stringify({ hub: { port: 'x' } }));
    await until(
      () => (cli.stderr().includes('config change refused') ? true : undefined),
      'the refusal in the log',
    );
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('two__echo');

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  }, 90_000);

  it('serves over stdio for hosts like Claude Desktop, logging only to stderr', async () => {
    const config = join(directory, 'fedmcp.config.json');
    await writeFile(config, JSON.stringify({ mcpServers: { everything: everythingServer() } }));
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...nodeArguments, 'serve', '--stdio', '--config', config],
      cwd: directory,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-test', version: '1.0.0' });
    clients.push(client);
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('everything__get-sum');
    const result = await client.callTool({
      name: 'everything__get-sum',
      arguments: { a: 2, b: 3 },
    });
    expect(JSON.stringify(result.content)).toContain('5');
  }, 60_000);

  it('refuses a bad config with a message naming the key, and a non-zero exit', async () => {
    const config = join(directory, 'fedmcp.config.json');
    await writeFile(config, JSON.stringify({ mcpServers: { broken: { command: 42 } } }));
    const cli = startCli(['serve', '--config', config], directory);
    running.push(cli);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('mcpServers.broken.command: expected a string');
  }, 30_000);

  it('says how to create a config file that --config names but does not exist', async () => {
    const cli = startCli(['serve', '--config', join(directory, 'none.json')], directory);
    running.push(cli);
    expect(await cli.exited).toBe(1);
    expect(cli.stderr()).toContain('fedmcp init');
  }, 30_000);

  it('starts with no config at all (the embedded defaults, state in the per-user data directory) and says how to add an upstream', async () => {
    const xdg = join(directory, 'xdg');
    const cli = startCli(['serve', '--port', '0'], directory, { XDG_DATA_HOME: xdg });
    running.push(cli);
    const url = await until(
      () => cli.stdout().match(/serving at (http:\/\/127\.0\.0\.1:\d+)/)?.[1],
      'the serving URL',
    );
    await until(() => (cli.stdout().includes('Upstreams  none') ? true : undefined), 'the hint');
    expect(cli.stdout()).toContain('fedmcp init');
    expect(cli.stdout()).toContain(`Store      sqlite:${join(xdg, 'fedmcp', 'state.db')}`);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    cli.child.kill('SIGINT');
    expect(await cli.exited).toBe(0);
    expect(existsSync(join(xdg, 'fedmcp', 'hub-keys.json'))).toBe(true);
    // Nothing in the working directory.
    expect(existsSync(join(directory, '.fedmcp'))).toBe(false);
  }, 30_000);

  it('refuses an unknown --log-level before starting anything', async () => {
    const cli = startCli(['serve', '--log-level', 'loud'], directory);
    running.push(cli);
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toContain(
      '--log-level must be one of trace, debug, info, warn, error, fatal, silent',
    );
  }, 30_000);
});
