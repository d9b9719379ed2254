import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloudflareFake, startFlyFake, startSupabaseFake } from '@fedmcp/edge-providers/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';
import { providerLogsCommand } from './provider-status-logs.js';

// deploy → status → logs --follow → scale → destroy through the CLI against each platform's
// contract fake, and the documented errors (bad token, name taken, rate limit / quota).

let directory: string;
let configFile: string;
let bundleDirectory: string;
const secretValue = 'hub-api-key-value-do-not-print';

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-deploy-'));
  configFile = join(directory, 'fedmcp.config.json');
  bundleDirectory = join(directory, 'bundle');
  await writeFile(
    configFile,
    JSON.stringify({
      hub: { dataDir: join(directory, 'data') },
      mcpServers: { local: { command: 'node', args: ['server.js'] } },
    }),
  );
  await import('node:fs/promises').then((fs) => fs.mkdir(bundleDirectory));
  await writeFile(
    join(bundleDirectory, 'index.js'),
    'export default { fetch: () => new Response("placeholder hub") };\n',
  );
});
afterAll(() => rm(directory, { recursive: true, force: true }));
afterEach(() => {
  vi.unstubAllEnvs();
});

async function cli(argv: string[]) {
  const { out, io } = captureIo();
  const code = await runCli(argv, io);
  return { code, ...out };
}

/** `logs --provider P --follow` until a line containing `wanted` arrives. */
async function followUntil(argv: string[], wanted: string): Promise<string> {
  const { out, io } = captureIo();
  let stop: () => void = () => {};
  const stopSignal = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const following = providerLogsCommand([...argv, '--follow'], io, {
    stopSignal,
    pollIntervalMs: 20,
  });
  while (!out.stdout.includes(wanted) && !out.stderr.includes('fedmcp logs:')) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  stop();
  expect(await following).toBe(0);
  return out.stdout;
}

describe('fedmcp deploy cloudflare', () => {
  const token = 'cf-secret-token-1234567890';
  const accountId = '023e105f4ecef8ad9ca31a8372d0c353';

  it('deploys, reports status, follows the tail, refuses to scale, destroys', async () => {
    await using fake = await startCloudflareFake({ token, accountId });
    vi.stubEnv('CLOUDFLARE_API_TOKEN', token);
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', accountId);
    vi.stubEnv('FEDMCP_CLOUDFLARE_API_URL', `${fake.url}/client/v4`);
    vi.stubEnv('FEDMCP_CLOUDFLARE_PUBLIC_URL', `${fake.url}/hub/hub-cli`);
    vi.stubEnv('HUB_API_KEY', secretValue);
    const name = ['--name', 'hub-cli'];
    const deploy = await cli([
      'deploy',
      'cloudflare',
      '--config',
      configFile,
      '--bundle',
      bundleDirectory,
      '--secret',
      'HUB_API_KEY',
      ...name,
    ]);
    expect(deploy.code).toBe(0);
    expect(deploy.stderr).toContain(
      'warning: stdio upstreams cannot run at the edge and will be unavailable there: local',
    );
    expect(deploy.stderr.indexOf('Will create on cloudflare:')).toBeLessThan(
      deploy.stderr.indexOf('→ upload worker script'),
    );
    expect(deploy.stderr).toContain(
      'create-or-update Worker script "hub-cli" (1 module, entry index.js)',
    );
    expect(deploy.stderr).toContain('✓ enable the workers.dev route');
    expect(deploy.stdout).toBe(`Deployed to cloudflare: ${fake.url}/hub/hub-cli\n`);
    expect(`${deploy.stdout}${deploy.stderr}`).not.toMatch(new RegExp(`${token}|${secretValue}`));
    expect(fake.scripts.get('hub-cli')?.metadata.bindings).toContainEqual({
      name: 'FEDMCP_CONFIG',
      type: 'plain_text',
      text: await readFile(configFile, 'utf8'),
    });

    const status = await cli(['status', '--provider', 'cloudflare', ...name]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /^cloudflare deployed: .*\n {2}deployment .* 100%\n {2}health: ok\n$/,
    );

    expect(await followUntil(['--provider', 'cloudflare', ...name], 'fedmcp hub ready')).toMatch(
      /request POST https:\/\/hub.example\/mcp ok\n.*log {5}fedmcp hub ready\n/,
    );

    const scale = await cli(['scale', 'cloudflare', '--count', '2', ...name]);
    expect(scale.code).toBe(1);
    expect(scale.stderr).toContain('Cloudflare Workers scale by themselves');

    expect((await cli(['destroy', 'cloudflare', ...name])).code).toBe(0);
    expect(fake.scripts.size).toBe(0);
    const gone = await cli(['status', '--provider', 'cloudflare', ...name]);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toContain('cloudflare missing');
  });

  it('prints the exact requests of --dry-run and sends nothing, even without credentials', async () => {
    await using fake = await startCloudflareFake({ token, accountId });
    vi.stubEnv('CLOUDFLARE_API_TOKEN', '');
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', '');
    vi.stubEnv('FEDMCP_CLOUDFLARE_API_URL', `${fake.url}/client/v4`);
    const dry = await cli(['deploy', 'cloudflare', '--dry-run', '--bundle', bundleDirectory]);
    expect(dry.code).toBe(0);
    expect(fake.seen).toEqual([]);
    expect(dry.stderr).toContain('Would create on cloudflare:');
    const requests = JSON.parse(dry.stdout) as Array<{
      method: string;
      url: string;
      headers: Record<string, string>;
      parts?: unknown[];
    }>;
    expect(requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      `PUT ${fake.url}/client/v4/accounts/%3CCLOUDFLARE_ACCOUNT_ID%3E/workers/scripts/fedmcp-hub`,
      `POST ${fake.url}/client/v4/accounts/%3CCLOUDFLARE_ACCOUNT_ID%3E/workers/scripts/fedmcp-hub/subdomain`,
      `GET ${fake.url}/client/v4/accounts/%3CCLOUDFLARE_ACCOUNT_ID%3E/workers/subdomain`,
    ]);
    expect(requests[0]?.headers.authorization).toBe('Bearer [redacted]');
    expect(requests[0]?.parts?.[1]).toEqual({
      name: 'index.js',
      filename: 'index.js',
      contentType: 'application/javascript+module',
      content: 'export default { fetch: () => new Response("placeholder hub") };\n',
    });
  });

  it('says what to do about a bad token, a missing credential and the rate limit', async () => {
    await using fake = await startCloudflareFake({ token, accountId });
    vi.stubEnv('CLOUDFLARE_API_TOKEN', 'not-the-token');
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', accountId);
    vi.stubEnv('FEDMCP_CLOUDFLARE_API_URL', `${fake.url}/client/v4`);
    const bad = await cli(['deploy', 'cloudflare', '--bundle', bundleDirectory]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('HTTP 401 (Invalid API Token). Check CLOUDFLARE_API_TOKEN');
    expect(bad.stderr).not.toContain('not-the-token');
    vi.stubEnv('CLOUDFLARE_API_TOKEN', '');
    const missing = await cli(['deploy', 'cloudflare', '--bundle', bundleDirectory]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('CLOUDFLARE_API_TOKEN is not set');
    await using limited = await startCloudflareFake({ token, accountId, rateLimited: true });
    vi.stubEnv('CLOUDFLARE_API_TOKEN', token);
    vi.stubEnv('FEDMCP_CLOUDFLARE_API_URL', `${limited.url}/client/v4`);
    const quota = await cli(['deploy', 'cloudflare', '--bundle', bundleDirectory]);
    expect(quota.code).toBe(1);
    expect(quota.stderr).toMatch(/HTTP 429 .*wait a few minutes/);
  });
});

describe('fedmcp deploy supabase', () => {
  const token = 'sbp_0123456789abcdef0123456789abcdef01234567';
  const projectRef = 'abcdefghijklmnopqrst';

  it('deploys with secrets, reports status, follows polled logs, refuses to scale, destroys', async () => {
    await using fake = await startSupabaseFake({ token, projectRef });
    vi.stubEnv('SUPABASE_ACCESS_TOKEN', token);
    vi.stubEnv('SUPABASE_PROJECT_REF', projectRef);
    vi.stubEnv('FEDMCP_SUPABASE_API_URL', fake.url);
    vi.stubEnv('FEDMCP_SUPABASE_PUBLIC_URL', `${fake.url}/functions/v1/hub-cli`);
    vi.stubEnv('HUB_API_KEY', secretValue);
    const name = ['--name', 'hub-cli'];
    const deploy = await cli([
      'deploy',
      'supabase',
      '--config',
      configFile,
      '--bundle',
      bundleDirectory,
      '--secret',
      'HUB_API_KEY',
      ...name,
    ]);
    expect(deploy.code).toBe(0);
    expect(deploy.stderr).toContain(
      `create-or-update Edge Function "hub-cli" in project ${projectRef} (1 file, verify_jwt off)`,
    );
    expect(deploy.stderr).toContain('✓ upload function (version 1, ACTIVE)');
    expect(deploy.stderr).toContain('✓ set secrets');
    expect(`${deploy.stdout}${deploy.stderr}`).not.toMatch(new RegExp(`${token}|${secretValue}`));
    expect(fake.functions.get('hub-cli')).toMatchObject({
      entrypoint_path: 'index.js',
      verify_jwt: false,
      files: ['index.js', 'fedmcp.config.json'],
    });
    expect(fake.secrets.get('HUB_API_KEY')).toBe(secretValue);

    const status = await cli(['status', '--provider', 'supabase', ...name]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('function hub-cli ACTIVE, version 1');
    expect(status.stdout).toContain('health: ok');

    expect(await followUntil(['--provider', 'supabase', ...name], 'booted (version 1)')).toMatch(
      /log {5}booted \(version 1\)\n/,
    );

    expect((await cli(['scale', 'supabase', '--count', '2', ...name])).stderr).toContain(
      'Supabase Edge Functions scale by themselves',
    );
    expect((await cli(['destroy', 'supabase', ...name])).code).toBe(0);
    expect(fake.functions.size).toBe(0);
  });

  it('says what to do about a bad token, a foreign project and the rate limit', async () => {
    await using fake = await startSupabaseFake({ token, projectRef });
    vi.stubEnv('SUPABASE_ACCESS_TOKEN', 'sbp_wrong');
    vi.stubEnv('SUPABASE_PROJECT_REF', projectRef);
    vi.stubEnv('FEDMCP_SUPABASE_API_URL', fake.url);
    const bad = await cli(['deploy', 'supabase', '--bundle', bundleDirectory]);
    expect(bad.stderr).toContain('HTTP 401 (Unauthorized). Check SUPABASE_ACCESS_TOKEN');
    vi.stubEnv('SUPABASE_ACCESS_TOKEN', token);
    vi.stubEnv('SUPABASE_PROJECT_REF', 'someoneelsesproject0');
    expect((await cli(['deploy', 'supabase', '--bundle', bundleDirectory])).stderr).toContain(
      'check SUPABASE_PROJECT_REF',
    );
    await using limited = await startSupabaseFake({ token, projectRef, rateLimited: true });
    vi.stubEnv('SUPABASE_PROJECT_REF', projectRef);
    vi.stubEnv('FEDMCP_SUPABASE_API_URL', limited.url);
    const quota = await cli(['deploy', 'supabase', '--bundle', bundleDirectory]);
    expect(quota.code).toBe(1);
    expect(quota.stderr).toMatch(/HTTP 429 .*wait a minute/);
  });
});

describe('fedmcp deploy fly', () => {
  const token = 'fly-personal-token-abcdef';

  it('creates the app and machines, writes fly.toml, follows logs, scales, destroys', async () => {
    await using fake = await startFlyFake({ token });
    vi.stubEnv('FLY_API_TOKEN', token);
    vi.stubEnv('FEDMCP_FLY_API_URL', fake.url);
    vi.stubEnv('FEDMCP_FLY_LOGS_API_URL', fake.url);
    vi.stubEnv('FEDMCP_FLY_PUBLIC_URL', `${fake.url}/hub/hub-cli`);
    const name = ['--name', 'hub-cli'];
    const deploy = await cli(['deploy', 'fly', '--config', configFile, '--region', 'fra', ...name]);
    expect(deploy.code).toBe(0);
    expect(deploy.stderr).toContain('create-or-update Fly app "hub-cli" in org personal');
    expect(deploy.stderr).toContain('✓ create or update machines (1 machine(s))');
    expect(deploy.stderr).not.toContain('stdio upstreams cannot run');
    const toml = await readFile(join(directory, 'fly.toml'), 'utf8');
    expect(toml).toContain('app = "hub-cli"\nprimary_region = "fra"');
    expect(toml).toContain('path = "/healthz"');
    const [machine] = fake.apps.get('hub-cli')?.machines.values() ?? [];
    const file = (machine?.config.files ?? [])[0] as { guest_path: string; raw_value: string };
    expect(Buffer.from(file.raw_value, 'base64').toString('utf8')).toBe(
      await readFile(configFile, 'utf8'),
    );

    const status = await cli(['status', '--provider', 'fly', ...name]);
    expect(status.stdout).toMatch(/machine \S+ fra started\n {2}health: ok\n$/);
    expect(await followUntil(['--provider', 'fly', ...name], 'listening')).toContain(
      'info    fedmcp hub listening on 0.0.0.0:8080',
    );

    const up = await cli([
      'scale',
      'fly',
      '--count',
      '3',
      '--auto-stop',
      'suspend',
      '--min-running',
      '1',
      ...name,
    ]);
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/^(machine \S+ fra started\n){3}$/);
    for (const each of fake.apps.get('hub-cli')?.machines.values() ?? []) {
      expect(each.config.services?.[0]).toMatchObject({
        autostop: 'suspend',
        min_machines_running: 1,
      });
    }
    const down = await cli(['scale', 'fly', '--count', '1', ...name]);
    expect(down.code).toBe(0);
    expect(down.stdout).toMatch(/^machine \S+ fra started\n$/);
    // Scale-down drains: stop with SIGTERM, wait for stopped, then destroy without force.
    expect(fake.seen.filter((line) => /\/stop$|state=stopped|^DELETE/.test(line))).toEqual([
      expect.stringMatching(/^POST \/v1\/apps\/hub-cli\/machines\/\w+\/stop$/),
      expect.stringMatching(
        /^GET \/v1\/apps\/hub-cli\/machines\/\w+\/wait\?state=stopped&timeout=60&instance_id=[\w-]+$/,
      ),
      expect.stringMatching(/^DELETE \/v1\/apps\/hub-cli\/machines\/\w+$/),
      expect.stringMatching(/^POST .*\/stop$/),
      expect.stringMatching(/state=stopped/),
      expect.stringMatching(/^DELETE \/v1\/apps\/hub-cli\/machines\/\w+$/),
    ]);
    const badCount = await cli(['scale', 'fly', '--count', 'many', ...name]);
    expect(badCount.code).toBe(2);
    expect(badCount.stderr).toContain('--count N is required: a whole number ≥ 0, got "many"');

    expect((await cli(['destroy', 'fly', ...name])).code).toBe(0);
    expect(fake.apps.size).toBe(0);
  });

  it('--dry-run prints the app and machine requests and writes fly.toml, sending nothing', async () => {
    await using fake = await startFlyFake({ token });
    vi.stubEnv('FLY_API_TOKEN', token);
    vi.stubEnv('FEDMCP_FLY_API_URL', fake.url);
    const dry = await cli([
      'deploy',
      'fly',
      '--dry-run',
      '--config',
      configFile,
      '--name',
      'dry-hub',
    ]);
    expect(dry.code).toBe(0);
    expect(fake.seen).toEqual([]);
    const requests = JSON.parse(dry.stdout) as Array<{
      method: string;
      url: string;
      json?: { config?: { files?: unknown[] } };
    }>;
    expect(
      requests.map((request) => `${request.method} ${request.url.replace(fake.url, '')}`),
    ).toEqual([
      'GET /v1/apps/dry-hub',
      'POST /v1/apps',
      'GET /v1/apps/dry-hub/machines',
      'POST /v1/apps/dry-hub/machines',
    ]);
    expect(requests[3]?.json?.config?.files).toHaveLength(1);
    expect(await readFile(join(directory, 'fly.toml'), 'utf8')).toContain('app = "dry-hub"');
  });

  it('refuses a bad --count, an unknown option and an unknown platform as usage mistakes', async () => {
    const count = await cli(['deploy', 'fly', '--dry-run', '--count', 'two']);
    expect(count).toMatchObject({
      code: 2,
      stderr: 'fedmcp deploy: --count must be a whole number ≥ 1, got "two".\n',
    });
    const option = await cli(['status', '--provider', 'fly', '--depth', '2']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("Unknown option '--depth'");
    const platform = await cli(['deploy', 'heroku']);
    expect(platform).toMatchObject({
      code: 2,
      stderr:
        'fedmcp deploy: unknown platform "heroku": fedmcp deploy <cloudflare|supabase|fly>.\n',
    });
  });

  it('says what to do about a taken name, a bad token and the rate limit', async () => {
    await using fake = await startFlyFake({ token, takenNames: ['popular'] });
    vi.stubEnv('FLY_API_TOKEN', token);
    vi.stubEnv('FEDMCP_FLY_API_URL', fake.url);
    const taken = await cli(['deploy', 'fly', '--name', 'popular']);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(
      'That app name is taken (Fly app names are global): choose another with --name.',
    );
    vi.stubEnv('FLY_API_TOKEN', 'wrong');
    expect((await cli(['deploy', 'fly', '--name', 'mine'])).stderr).toContain(
      'HTTP 401 (unauthorized). Check FLY_API_TOKEN',
    );
    await using limited = await startFlyFake({ token, rateLimited: true });
    vi.stubEnv('FLY_API_TOKEN', token);
    vi.stubEnv('FEDMCP_FLY_API_URL', limited.url);
    expect((await cli(['deploy', 'fly', '--name', 'mine'])).stderr).toMatch(
      /HTTP 429 .*wait a minute/,
    );
  });
});
