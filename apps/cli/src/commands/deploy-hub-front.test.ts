// The hub `fedmcp deploy` builds serves what the Node hub serves for the same config: consent
// asked and answered, a pinned tool that changed held for review, CORS for an allowed origin and
// a refusal for another, the Host check (DNS rebinding), the OAuth Protected Resource Metadata;
// run in Miniflare (the uploaded Worker) and in Deno (the Supabase function). A credential
// written literally in the config is refused, naming its key, unless --allow-literal-secrets.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Everything, startEverything } from '@fedmcp/test-support';
import { Miniflare } from 'miniflare';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import {
  checkConsentAndPinning,
  checkFrontDoor,
  writeConfig,
  writePins,
} from '../../test/hub-checks.js';
import { runCli } from '../run-cli.js';
import { findDenoBinary } from './dev-deno-binary.js';

let directory: string;
let configFile: string;
let everything: Everything;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const supabaseResource = 'https://abcdefghijklmnopqrst.supabase.co/functions/v1/fedmcp-hub/mcp';

beforeAll(async () => {
  everything = await startEverything();
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-deploy-front-'));
  configFile = join(directory, 'fedmcp.config.json');
  await writePins(directory);
  await writeConfig(configFile);
}, 60_000);

afterAll(async () => {
  await everything?.[Symbol.asyncDispose]();
  await rm(directory, { recursive: true, force: true });
});
afterEach(() => {
  vi.unstubAllEnvs();
});

async function bundleOf(provider: 'cloudflare' | 'supabase', config = configFile) {
  vi.stubEnv('EVERYTHING_URL', everything.url);
  vi.stubEnv('CLOUDFLARE_API_TOKEN', 'cf-token-1234567890');
  vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '023e105f4ecef8ad9ca31a8372d0c353');
  vi.stubEnv('SUPABASE_ACCESS_TOKEN', 'sbp_0123456789abcdef0123456789abcdef01234567');
  vi.stubEnv('SUPABASE_PROJECT_REF', 'abcdefghijklmnopqrst');
  const { out, io } = captureIo();
  const code = await runCli(['deploy', provider, '--config', config, '--dry-run'], io);
  expect(code, out.stderr).toBe(0);
  const requests = JSON.parse(out.stdout) as {
    url: string;
    parts?: { name: string; filename?: string; content: string }[];
  }[];
  const part = requests
    .flatMap((request) => request.parts ?? [])
    .find((candidate) => candidate.name === 'index.js' || candidate.filename === 'index.js');
  return part?.content ?? '';
}

describe('the deployed hub serves the whole config', () => {
  it('in Miniflare (the uploaded Worker): consent, pinning, rate limit, tasks, CORS, Host check, PRM', async () => {
    const code = await bundleOf('cloudflare');
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
      await checkFrontDoor(base);
      await checkConsentAndPinning(new URL('/mcp', base));
    } finally {
      await miniflare.dispose();
    }
  }, 120_000);

  it('in Deno (the Supabase function): consent, pinning, rate limit, tasks, CORS, Host check, PRM', async () => {
    // hub.url is the function's public URL; Supabase routes only /functions/v1/<slug>/… to it.
    const supabaseConfig = join(directory, 'supabase.config.json');
    await writeConfig(supabaseConfig, {}, supabaseResource);
    const code = await bundleOf('supabase', supabaseConfig);
    const functionDirectory = join(directory, 'function');
    await mkdir(functionDirectory, { recursive: true });
    const file = join(functionDirectory, 'index.js');
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
      const base = `http://127.0.0.1:${port}/fedmcp-hub`;
      await checkFrontDoor(
        base,
        supabaseResource,
        '/.well-known/oauth-protected-resource/functions/v1/fedmcp-hub/mcp',
        'https://abcdefghijklmnopqrst.supabase.co/functions/v1/fedmcp-hub/.well-known/oauth-protected-resource/functions/v1/fedmcp-hub/mcp',
      );
      await checkConsentAndPinning(new URL(`${base}/mcp`));
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  }, 120_000);

  it('refuses a credential written literally in the config, naming its key, unless allowed', async () => {
    const literal = join(directory, 'literal.config.json');
    await writeConfig(literal, {
      mcpServers: {
        everything: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
          url: '${EVERYTHING_URL}',
          headers: { authorization: 'Bearer literal-token-never-bundled' },
        },
      },
    });
    vi.stubEnv('EVERYTHING_URL', everything.url);
    vi.stubEnv('CLOUDFLARE_API_TOKEN', 'cf-token-1234567890');
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '023e105f4ecef8ad9ca31a8372d0c353');
    const { out, io } = captureIo();
    const code = await runCli(['deploy', 'cloudflare', '--config', literal, '--dry-run'], io);
    expect(code).not.toBe(0);
    expect(out.stderr).toContain('mcpServers.everything.headers.authorization');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the advice names the reference syntax
    expect(out.stderr).toContain('${secret:NAME}');
    expect(out.stderr).toContain('--allow-literal-secrets');
    expect(out.stdout + out.stderr).not.toContain('literal-token-never-bundled');
    const allowedRun = captureIo();
    expect(
      await runCli(
        ['deploy', 'cloudflare', '--config', literal, '--dry-run', '--allow-literal-secrets'],
        allowedRun.io,
      ),
      allowedRun.out.stderr,
    ).toBe(0);
  }, 60_000);
});
