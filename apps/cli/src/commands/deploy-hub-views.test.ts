// The config's views reach the hub `fedmcp deploy` bundles: `--dry-run` names each view's URL, and
// the bundle serves `/mcp/<view>` with only the view's tools — in Miniflare (the uploaded Worker,
// both protocol eras) and in Deno (the Supabase function, under its `/<slug>` prefix).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Everything, startEverything } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Miniflare } from 'miniflare';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';
import { findDenoBinary } from './dev-deno-binary.js';

let directory: string;
let configFile: string;
let everything: Everything;

beforeAll(async () => {
  everything = await startEverything();
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-deploy-views-'));
  configFile = join(directory, 'fedmcp.config.json');
  const config = {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
    mcpServers: { everything: { url: '${EVERYTHING_URL}' } },
    views: { echo: { include: { tools: ['everything__echo'] } } },
  };
  await writeFile(configFile, JSON.stringify(config));
}, 60_000);

afterAll(async () => {
  await everything?.[Symbol.asyncDispose]();
  await rm(directory, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The bundle of a `--dry-run` deploy, and what it printed on stderr. */
async function dryRun(provider: 'cloudflare' | 'supabase') {
  vi.stubEnv('EVERYTHING_URL', everything.url);
  vi.stubEnv('CLOUDFLARE_API_TOKEN', 'cf-token-1234567890');
  vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '023e105f4ecef8ad9ca31a8372d0c353');
  vi.stubEnv('SUPABASE_ACCESS_TOKEN', 'sbp_0123456789abcdef0123456789abcdef01234567');
  vi.stubEnv('SUPABASE_PROJECT_REF', 'abcdefghijklmnopqrst');
  const { out, io } = captureIo();
  const code = await runCli(['deploy', provider, '--config', configFile, '--dry-run'], io);
  expect(code, out.stderr).toBe(0);
  const requests = JSON.parse(out.stdout) as {
    parts?: { name: string; filename?: string; content: string }[];
  }[];
  const part = requests
    .flatMap((request) => request.parts ?? [])
    .find((candidate) => candidate.name === 'index.js' || candidate.filename === 'index.js');
  return { code: part?.content ?? '', stderr: out.stderr };
}

/** A client of `era` at `url` sees only the view's tool and is refused another. */
async function checkView(url: URL, mode: 'legacy' | { pin: '2026-07-28' }): Promise<void> {
  const client = new Client({ name: 'views', version: '1.0.0' }, { versionNegotiation: { mode } });
  await client.connect(new StreamableHTTPClientTransport(url));
  try {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['everything__echo']);
    const echoed = await client.callTool({ name: 'everything__echo', arguments: { message: 'v' } });
    expect(JSON.stringify(echoed.content)).toContain('Echo: v');
    const refused = await client
      .callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } })
      .then((result) => (result.isError ? JSON.stringify(result.content) : 'answered'))
      .catch((error: unknown) => String(error));
    expect(refused).not.toBe('answered');
  } finally {
    await client.close();
  }
}

describe('views in the deployed hub', () => {
  it('in Miniflare (the uploaded Worker): /mcp/<view> in both eras, an unknown view 404', async () => {
    const { code, stderr } = await dryRun('cloudflare');
    expect(stderr).toMatch(/view\s+\/mcp\/echo\n/);
    const miniflare = new Miniflare({
      modules: [{ type: 'ESModule', path: 'index.js', contents: code }],
      compatibilityDate: '2025-09-01',
      compatibilityFlags: ['nodejs_compat'],
      durableObjects: {
        FEDMCP_STORE: { className: 'FedmcpStoreObject', useSQLite: true },
        FEDMCP_HUB: { className: 'FedmcpHubObject', useSQLite: true },
      },
      bindings: { EVERYTHING_URL: everything.url },
      host: '127.0.0.1',
      port: 0,
      cf: false,
    });
    try {
      const base = new URL(await miniflare.ready).origin;
      await checkView(new URL('/mcp/echo', base), { pin: '2026-07-28' });
      await checkView(new URL('/mcp/echo', base), 'legacy');
      const unknown = await fetch(new URL('/mcp/nope', base), { method: 'POST', body: '{}' });
      expect(unknown.status).toBe(404);
      expect(await unknown.text()).toContain('no view \\"nope\\"');
    } finally {
      await miniflare.dispose();
    }
  }, 120_000);

  it('in Deno (the Supabase function): /functions/v1/<slug>/mcp/<view>', async () => {
    const { code, stderr } = await dryRun('supabase');
    expect(stderr).toMatch(/view\s+\/functions\/v1\/fedmcp-hub\/mcp\/echo\n/);
    const file = join(directory, 'index.js');
    await writeFile(file, code);
    const port = await freePort();
    const child = spawn(findDenoBinary(), ['run', '--allow-net', '--allow-env', file], {
      env: {
        PATH: process.env.PATH ?? '',
        NO_COLOR: '1',
        FEDMCP_PORT: String(port),
        EVERYTHING_URL: everything.url,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      let output = '';
      await new Promise<void>((resolve, reject) => {
        const onData = (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes('Listening on')) resolve();
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        child.once('exit', (exitCode) => reject(new Error(`deno exited (${exitCode}): ${output}`)));
      });
      // The function sees `/<slug>/…` (Supabase strips `/functions/v1`).
      await checkView(new URL(`http://127.0.0.1:${port}/fedmcp-hub/mcp/echo`), 'legacy');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  }, 120_000);
});
