// `fedmcp deploy cloudflare|supabase` without --bundle builds the hub of the user's config: the
// dry run shows the Worker upload (the bundle, the config's `${NAME}` references as secret_text
// bindings with their values redacted, the Durable Objects and their migration), no secret value
// anywhere in the output or the bundle; the uploaded module, run in Miniflare with the uploaded
// bindings, serves the configured hub: its upstream (reached with the secret header), API keys
// at the door, the policy's denial, and an elicitation; the Supabase function runs in Deno.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startCloudflareFake } from '@fedmcp/edge-providers/node';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import {
  dropSchema,
  postgresAvailable,
  postgresUrl,
  runSchema,
} from '@fedmcp/test-support/postgres';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';
import {
  dryRunDeploy,
  startFunction,
  startWorker,
  useDeployTestBed,
} from './deploy-hub.fixtures.js';

const upstreamToken = 'upstream-token-value-never-printed';
const apiKey = generateApiKey();
const schema = runSchema('deploy_supabase');
const bed = useDeployTestBed('fedmcp-deploy-hub-');
let configFile: string;

beforeAll(async () => {
  configFile = join(bed.directory, 'fedmcp.config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      hub: { id: 'cf-hub', dataDir: join(bed.directory, 'data') },
      mcpServers: {
        everything: {
          // A reference in a key the config validates (an absolute URL) works too.
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
          url: '${EVERYTHING_URL}',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
          headers: { 'x-upstream-token': '${UPSTREAM_TOKEN}' },
        },
        local: { command: 'node', args: ['server.js'] },
      },
      auth: { apiKeys: [{ hash: await hashApiKey(apiKey), subject: 'ada' }] },
      policy: {
        rules: [
          {
            effect: 'deny',
            subjects: ['*'],
            actions: ['tools/call'],
            targets: ['everything__get-env'],
          },
          { effect: 'allow', subjects: ['*'], actions: ['*'] },
        ],
      },
    }),
  );
}, 60_000);

afterAll(async () => {
  if (postgresAvailable) await dropSchema(schema);
});
beforeEach(() => {
  vi.stubEnv('EVERYTHING_URL', bed.everything.url);
});

type Binding = { name: string; type: string; text?: string; class_name?: string };

/** The requests of a `--dry-run` deploy (which must succeed) and all it printed. */
async function dryRun(provider: 'cloudflare' | 'supabase', config = configFile) {
  const run = await dryRunDeploy(provider, config);
  expect(run.exitCode, run.stderr).toBe(0);
  return { requests: run.requests, out: run.stdout + run.stderr };
}

describe('fedmcp deploy builds the hub from the config', () => {
  it('uploads the Worker with secrets as secret bindings, and that Worker serves the configured hub', async () => {
    vi.stubEnv('UPSTREAM_TOKEN', upstreamToken);
    const { requests, out } = await dryRun('cloudflare');
    expect(out).not.toContain(upstreamToken);
    expect(out).toContain('stdio upstreams cannot run at the edge');
    const upload = requests.find(
      (request) =>
        request.method === 'PUT' && /\/workers\/scripts\/fedmcp-hub(\?|$)/.test(request.url),
    );
    const metadata = JSON.parse(
      upload?.parts?.find((part) => part.name === 'metadata')?.content ?? '{}',
    ) as { main_module: string; bindings: Binding[]; migrations?: Record<string, unknown> };
    expect(metadata.main_module).toBe('index.js');
    expect(metadata.bindings).toEqual(
      expect.arrayContaining([
        { name: 'UPSTREAM_TOKEN', type: 'secret_text', text: '[redacted]' },
        { name: 'EVERYTHING_URL', type: 'secret_text', text: '[redacted]' },
        { name: 'FEDMCP_STORE', type: 'durable_object_namespace', class_name: 'FedmcpStoreObject' },
        { name: 'FEDMCP_HUB', type: 'durable_object_namespace', class_name: 'FedmcpHubObject' },
      ]),
    );
    expect(metadata.migrations).toMatchObject({
      new_sqlite_classes: ['FedmcpStoreObject', 'FedmcpHubObject'],
    });
    const module = upload?.parts?.find((part) => part.name === 'index.js');
    expect(module?.contentType).toBe('application/javascript+module');
    const code = module?.content ?? '';
    // The reference stays in the code, resolved from the binding when the hub starts.
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
    expect(code).toContain('${UPSTREAM_TOKEN}');
    expect(code).not.toContain(upstreamToken);
    expect(code).not.toContain(bed.everything.url);

    // The uploaded Worker, with the uploaded bindings (the secret's real value, as Cloudflare has it).
    const secretValues: Record<string, string> = {
      UPSTREAM_TOKEN: upstreamToken,
      EVERYTHING_URL: bed.everything.url,
    };
    const bindings: Record<string, string> = {};
    for (const binding of metadata.bindings)
      if (binding.type === 'plain_text' || binding.type === 'secret_text')
        bindings[binding.name] =
          binding.type === 'secret_text'
            ? (secretValues[binding.name] ?? '')
            : (binding.text ?? '');
    await using worker = await startWorker(code, bindings);
    const mcpUrl = new URL('/mcp', worker.origin);
    const refused = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(refused.status).toBe(401);
    await refused.body?.cancel();
    const client = new Client(
      { name: 'deployed', version: '1.0.0' },
      { capabilities: { elicitation: { form: {} } } },
    );
    client.setRequestHandler('elicitation/create', () => ({ action: 'decline' as const }));
    await client.connect(
      new StreamableHTTPClientTransport(mcpUrl, {
        requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
      }),
    );
    try {
      const names = (await client.listTools()).tools.map((tool) => tool.name);
      expect(names).toContain('everything__echo');
      const echoed = await client.callTool({
        name: 'everything__echo',
        arguments: { message: 'cf' },
      });
      expect(echoed.content).toEqual([{ type: 'text', text: 'Echo: cf' }]);
      const denied = await client.callTool({ name: 'everything__get-env', arguments: {} }).then(
        (result) => JSON.stringify(result),
        (error: Error) => error.message,
      );
      expect(denied).toMatch(/denied|not allowed|policy/i);
      const elicited = await client.callTool({
        name: 'everything__trigger-elicitation-request',
        arguments: {},
      });
      expect(JSON.stringify(elicited)).toMatch(/declined/i);
    } finally {
      await client.close();
    }
  }, 120_000);

  it('deploys that Worker to the Cloudflare contract fake, which accepts its bindings and migration', async () => {
    const token = 'cf-token-1234567890';
    const accountId = '023e105f4ecef8ad9ca31a8372d0c353';
    await using fake = await startCloudflareFake({ token, accountId });
    vi.stubEnv('UPSTREAM_TOKEN', upstreamToken);
    vi.stubEnv('CLOUDFLARE_API_TOKEN', token);
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', accountId);
    vi.stubEnv('FEDMCP_CLOUDFLARE_API_URL', `${fake.url}/client/v4`);
    vi.stubEnv('FEDMCP_CLOUDFLARE_PUBLIC_URL', `${fake.url}/hub/fedmcp-hub`);
    const { out, io } = captureIo();
    const code = await runCli(['deploy', 'cloudflare', '--config', configFile], io);
    expect(code, out.stderr).toBe(0);
    expect(out.stderr).toContain('Durable Object class FedmcpHubObject bound as FEDMCP_HUB');
    expect(`${out.stdout}${out.stderr}`).not.toContain(upstreamToken);
    const script = fake.scripts.get('fedmcp-hub');
    expect(script?.classes).toEqual(['FedmcpStoreObject', 'FedmcpHubObject']);
    // A second deploy keeps the classes (no migration sent again).
    expect(await runCli(['deploy', 'cloudflare', '--config', configFile], captureIo().io)).toBe(0);
    expect(fake.scripts.get('fedmcp-hub')?.classes).toEqual([
      'FedmcpStoreObject',
      'FedmcpHubObject',
    ]);
  }, 60_000);

  it('refuses to deploy while a referenced secret has no value, naming it', async () => {
    vi.stubEnv('UPSTREAM_TOKEN', undefined);
    vi.stubEnv('CLOUDFLARE_API_TOKEN', 'cf-token-1234567890');
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '023e105f4ecef8ad9ca31a8372d0c353');
    const { out, io } = captureIo();
    const code = await runCli(['deploy', 'cloudflare', '--config', configFile, '--dry-run'], io);
    expect(code).toBe(1);
    expect(out.stderr).toContain('environment variable UPSTREAM_TOKEN is not set');
  }, 60_000);

  it('uploads the Supabase function built from the config (its secrets project secrets), which serves the hub in Deno with its state in PostgreSQL', async () => {
    // The config names the project's database (a reference, so a secret) when PostgreSQL is here.
    const supabaseConfig = join(bed.directory, 'supabase.config.json');
    const databaseUrl = `${postgresUrl}?schema=${schema}`;
    await writeFile(
      supabaseConfig,
      JSON.stringify({
        ...JSON.parse(await readFile(configFile, 'utf8')),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
        ...(postgresAvailable ? { store: '${DATABASE_URL}' } : {}),
      }),
    );
    vi.stubEnv('UPSTREAM_TOKEN', upstreamToken);
    vi.stubEnv('DATABASE_URL', databaseUrl);
    const { requests, out } = await dryRun('supabase', supabaseConfig);
    expect(out).not.toContain(upstreamToken);
    expect(out).not.toContain(schema);
    const upload = requests.find((request) => request.url.includes('/functions/deploy'));
    const code = upload?.parts?.find((part) => part.filename === 'index.js')?.content ?? '';
    expect(code).toContain('Deno.serve');
    for (const value of [upstreamToken, bed.everything.url, databaseUrl])
      expect(code).not.toContain(value);
    const secrets = requests.find((request) => request.url.endsWith('/secrets'));
    expect(JSON.stringify(secrets)).toContain('UPSTREAM_TOKEN');
    if (postgresAvailable) expect(JSON.stringify(secrets)).toContain('DATABASE_URL');

    // The function as Supabase runs it (Deno.serve, its secrets in the environment), at
    // /functions/v1/<slug> → /<slug>; started twice: the signing key outlives it in PostgreSQL.
    const env = {
      UPSTREAM_TOKEN: upstreamToken,
      EVERYTHING_URL: bed.everything.url,
      DATABASE_URL: databaseUrl,
    };
    let keys: unknown;
    for (const run of [1, 2]) {
      await using deno = await startFunction(
        code,
        join(bed.directory, 'function', 'index.js'),
        env,
      );
      const jwks = await (await fetch(`${deno.origin}/fedmcp-hub/.well-known/jwks.json`)).json();
      if (run === 2 && postgresAvailable) expect(jwks).toEqual(keys);
      keys = jwks;
      const client = new Client({ name: 'supabase', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${deno.origin}/fedmcp-hub/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${apiKey}` } },
        }),
      );
      try {
        const echoed = await client.callTool({
          name: 'everything__echo',
          arguments: { message: `sb ${run}` },
        });
        expect(echoed.content).toEqual([{ type: 'text', text: `Echo: sb ${run}` }]);
      } finally {
        await client.close();
      }
      expect(deno.output()).not.toContain(upstreamToken);
    }
  }, 90_000);
});
