// The hub `fedmcp deploy` builds serves what the Node hub serves for the same config: consent
// asked and answered, a pinned tool that changed held for review, CORS for an allowed origin and
// a refusal for another, the Host check (DNS rebinding), the OAuth Protected Resource Metadata;
// run in Miniflare (the uploaded Worker) and in Deno (the Supabase function). A credential
// written literally in the config is refused, naming its key, unless --allow-literal-secrets.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { type Everything, startEverything } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Miniflare } from 'miniflare';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';
import { findDenoBinary } from './dev-deno-binary.js';

const apiKey = generateApiKey();
/** Takes any result as it is (a Standard Schema): a task result is not the tools/call shape. */
const anyResult = {
  '~standard': { version: 1, vendor: 'fedmcp-test', validate: (value: unknown) => ({ value }) },
} as const;
const allowed = 'https://app.example.com';
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

/** A GET with any `Host` header (fetch keeps its own), answered with its status. */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: { host } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
}

const supabaseResource = 'https://abcdefghijklmnopqrst.supabase.co/functions/v1/fedmcp-hub/mcp';

async function writeConfig(
  file: string,
  extra: Record<string, unknown> = {},
  url = 'https://hub.example.com/mcp',
) {
  await writeFile(
    file,
    JSON.stringify({
      hub: {
        id: 'front-hub',
        name: 'Front hub',
        url,
        dataDir: join(directory, 'data'),
        allowedHosts: ['127.0.0.1', 'localhost', 'hub.example.com'],
        cors: { allowedOrigins: [allowed] },
        instructions: 'The front hub answers.',
        tasks: { pollIntervalMs: 4321, maxTtlMs: 120_000 },
      },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
      mcpServers: { everything: { url: '${EVERYTHING_URL}' } },
      auth: {
        apiKeys: [{ hash: await hashApiKey(apiKey), subject: 'ada' }],
        oauth: {
          issuer: 'https://auth.example.com/',
          jwksUri: 'https://auth.example.com/jwks',
          scopesSupported: ['mcp'],
        },
      },
      policy: {
        rules: [
          { id: 'everyone', effect: 'allow', subjects: ['*'], actions: ['*'] },
          {
            id: 'ask-before-echo',
            subjects: ['*'],
            actions: ['tools/call'],
            targets: ['everything__echo'],
            consent: 'required',
          },
          {
            id: 'two-echoes',
            subjects: ['*'],
            actions: ['tools/call'],
            targets: ['everything__echo'],
            rateLimit: { limit: 2, per: 'hour', by: ['principal'] },
          },
        ],
      },
      consent: { periods: ['1h'] },
      // get-sum is pinned at a digest it no longer has: it changed, so it is held for review.
      pinning: { pinFile: './pins.json' },
      ...extra,
    }),
  );
}

beforeAll(async () => {
  everything = await startEverything();
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-deploy-front-'));
  configFile = join(directory, 'fedmcp.config.json');
  await writeFile(
    join(directory, 'pins.json'),
    JSON.stringify({
      version: 1,
      upstreams: {
        everything: {
          tools: {
            'get-sum': { digest: `sha256:${'0'.repeat(64)}`, pinnedAt: '2026-01-01T00:00:00Z' },
          },
        },
      },
    }),
  );
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

/**
 * What every runtime must answer at its hub base URL (`base` ends without a slash): `metadataPath`
 * is where the function serves the metadata of `resource`, `metadataUrl` what challenges name.
 */
async function checkFrontDoor(
  base: string,
  resource = 'https://hub.example.com/mcp',
  metadataPath = '/.well-known/oauth-protected-resource/mcp',
  metadataUrl = 'https://hub.example.com/.well-known/oauth-protected-resource/mcp',
) {
  // A preflight from the allowed origin is answered; another origin is refused.
  const preflight = await fetch(`${base}/mcp`, {
    method: 'OPTIONS',
    headers: {
      origin: allowed,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, authorization, mcp-protocol-version',
    },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(allowed);
  expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  const foreign = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: {
      origin: 'https://evil.example.com',
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${apiKey}`,
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  expect(foreign.status).toBe(403);
  expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  await foreign.body?.cancel();
  // DNS rebinding: a name the hub is not served under.
  expect(await getWithHost(`${base}/healthz`, 'rebound.attacker.example')).toBe(403);
  expect(await getWithHost(`${base}/healthz`, 'hub.example.com')).toBe(200);
  // RFC 9728: the metadata document, and the 401 challenge that points at it.
  const metadata = await fetch(`${base}${metadataPath}`);
  expect(metadata.status).toBe(200);
  expect(await metadata.json()).toMatchObject({
    resource,
    authorization_servers: ['https://auth.example.com/'],
    scopes_supported: ['mcp'],
    resource_name: 'Front hub',
  });
  const anonymous = await fetch(`${base}/mcp`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toContain(`resource_metadata="${metadataUrl}"`);
  await anonymous.body?.cancel();
}

/** Consent asked and answered, and the held tool hidden and refused. */
async function checkConsentAndPinning(mcpUrl: URL) {
  const asked: string[] = [];
  const client = new Client(
    { name: 'front', version: '1.0.0' },
    { capabilities: { elicitation: { form: {} } } },
  );
  client.setRequestHandler('elicitation/create', (request) => {
    asked.push(String(request.params.message));
    return { action: 'accept' as const, content: { decision: 'always_allow' } };
  });
  await client.connect(
    new StreamableHTTPClientTransport(mcpUrl, {
      requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
    }),
  );
  try {
    const echoed = await client.callTool({
      name: 'everything__echo',
      arguments: { message: 'hi' },
    });
    expect(echoed.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('everything__echo');
    // Remembered ("always allow"): not asked again.
    await client.callTool({ name: 'everything__echo', arguments: { message: 'again' } });
    expect(asked).toHaveLength(1);
    // The rule's rate limit (two an hour), counted in the hub's store.
    const limited = await client
      .callTool({ name: 'everything__echo', arguments: { message: 'third' } })
      .then(
        (result) => JSON.stringify(result),
        (error: Error) => error.message,
      );
    expect(limited).toMatch(/rate limit/i);
    expect(client.getInstructions()).toContain('The front hub answers.');
    // hub.tasks: a task-augmented call gets the configured poll interval, its ttl capped.
    const created = (await client.request(
      {
        method: 'tools/call',
        params: { name: 'everything__get-env', arguments: {}, task: { ttl: 600_000 } },
      },
      anyResult,
    )) as { task?: { taskId?: string; ttl?: number; pollInterval?: number } };
    expect(created.task).toMatchObject({ ttl: 120_000, pollInterval: 4321 });
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('everything__echo');
    expect(names).not.toContain('everything__get-sum');
    const held = await client
      .callTool({ name: 'everything__get-sum', arguments: { a: 1, b: 2 } })
      .then(
        (result) => JSON.stringify(result),
        (error: Error) => error.message,
      );
    expect(held).toMatch(/quarantined \(definition changed\) until an operator reviews it/);
  } finally {
    await client.close();
  }
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
