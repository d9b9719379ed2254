import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCloudflareFake, startFlyFake, startSupabaseFake } from '@fedmcp/edge-providers/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';
import { providerLogsCommand } from './provider-status-logs.js';

// The errors each platform's docs list, answered by its contract fake and run through the real
// `fedmcp deploy|status|logs|scale|destroy`: nothing deployed (404), the platform failing (5xx),
// Cloudflare's Workers-per-account limit (code 10037). Each message says what happened and what
// to do, and never carries the token.

let directory: string;
let bundleDirectory: string;
/** A config in the test's folder: `deploy fly` writes its fly.toml next to it, not in the cwd. */
let configFile: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-deploy-errors-'));
  bundleDirectory = join(directory, 'bundle');
  await mkdir(bundleDirectory);
  configFile = join(directory, 'fedmcp.config.json');
  await writeFile(configFile, JSON.stringify({ hub: { name: 'errors-hub' } }));
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

/** Runs `argv`, expects exit 1 and a message matching `wanted`, without `token`. */
async function fails(argv: string[], wanted: RegExp, token: string): Promise<string> {
  const result = await cli(argv);
  expect(result.code, `${argv.join(' ')}: ${result.stderr}`).toBe(1);
  expect(result.stderr, result.stdout).toMatch(wanted);
  expect(result.stdout + result.stderr).not.toContain(token);
  return result.stderr;
}

/** `status` of a name the platform does not have: exit 1, `missing`, and how to deploy it. */
async function statusMissing(provider: string, token: string): Promise<void> {
  const result = await cli(['status', '--provider', provider, '--name', 'never-deployed']);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`${provider} missing:`);
  expect(result.stderr).toContain(
    `nothing named "never-deployed" is deployed on ${provider}: deploy it with \`fedmcp deploy ${provider} --name never-deployed\``,
  );
  expect(result.stdout + result.stderr).not.toContain(token);
}

const nothing = /HTTP 404.*Nothing is deployed under that name: deploy first, or check the name/;

describe('cloudflare errors through the CLI', () => {
  const token = 'cf-secret-token-errors-1234567890';
  const accountId = '023e105f4ecef8ad9ca31a8372d0c353';

  function useFake(url: string) {
    vi.stubEnv('CLOUDFLARE_API_TOKEN', token);
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', accountId);
    vi.stubEnv('FEDMCP_CLOUDFLARE_API_URL', `${url}/client/v4`);
  }

  it('says nothing is deployed on status, logs (recent and --follow) and destroy of an unknown Worker', async () => {
    await using fake = await startCloudflareFake({ token, accountId });
    useFake(fake.url);
    const name = ['--name', 'never-deployed'];
    await statusMissing('cloudflare', token);
    await fails(['logs', '--provider', 'cloudflare', ...name], nothing, token);
    const { out, io } = captureIo();
    // The tail of a Worker that does not exist: Cloudflare answers 404 (code 10007).
    const follow = await providerLogsCommand(
      ['--provider', 'cloudflare', ...name, '--follow'],
      io,
      { stopSignal: new Promise(() => {}) },
    );
    expect(follow).toBe(1);
    expect(out.stderr).toMatch(nothing);
    expect(out.stderr).not.toContain(token);
    await fails(['destroy', 'cloudflare', ...name], nothing, token);
  });

  it('explains a bundle over the size limit (code 10027)', async () => {
    await using fake = await startCloudflareFake({ token, accountId, maxScriptBytes: 10 });
    useFake(fake.url);
    await fails(
      ['deploy', 'cloudflare', '--bundle', bundleDirectory],
      /HTTP 400 \(Your Worker exceeded the size limit\.\)\. The Worker bundle is over the size limit .*drop unused upstream code/,
      token,
    );
  });

  it('explains a token that may read but not edit Workers (403, code 10000)', async () => {
    const readOnlyToken = 'cf-read-only-token-0987654321';
    await using fake = await startCloudflareFake({ token, accountId, readOnlyToken });
    useFake(fake.url);
    expect((await cli(['deploy', 'cloudflare', '--bundle', bundleDirectory])).code).toBe(0);
    vi.stubEnv('CLOUDFLARE_API_TOKEN', readOnlyToken);
    const edit =
      /HTTP 403 \(Authentication error\)\. The token cannot do this on this account: check CLOUDFLARE_ACCOUNT_ID, and that the token is not expired and has the "Workers Scripts: Edit" permission/;
    await fails(['deploy', 'cloudflare', '--bundle', bundleDirectory], edit, readOnlyToken);
    await fails(['destroy', 'cloudflare'], edit, readOnlyToken);
    expect(fake.scripts.has('fedmcp-hub')).toBe(true);
  });

  it('explains the Workers-per-account limit (code 10037) and an outage (5xx)', async () => {
    await using full = await startCloudflareFake({ token, accountId, scriptLimit: 0 });
    useFake(full.url);
    const quota = await fails(
      ['deploy', 'cloudflare', '--bundle', bundleDirectory, '--name', 'one-too-many'],
      /HTTP 400 \(You have exceeded the limit of 0 Workers on your account\.\)\..*delete unused Workers/,
      token,
    );
    expect(quota).toContain('A Cloudflare limit was reached');
    await using down = await startCloudflareFake({ token, accountId, serverError: true });
    useFake(down.url);
    const outage =
      /HTTP 500 \(Unexpected internal server error\)\. Cloudflare failed on its side: run the command again in a few minutes.*cloudflarestatus\.com/;
    await fails(['deploy', 'cloudflare', '--bundle', bundleDirectory], outage, token);
    await fails(['status', '--provider', 'cloudflare'], outage, token);
    await fails(['destroy', 'cloudflare'], outage, token);
  });
});

describe('supabase errors through the CLI', () => {
  const token = 'sbp_errors56789abcdef0123456789abcdef01234567';
  const projectRef = 'abcdefghijklmnopqrst';

  function useFake(url: string) {
    vi.stubEnv('SUPABASE_ACCESS_TOKEN', token);
    vi.stubEnv('SUPABASE_PROJECT_REF', projectRef);
    vi.stubEnv('FEDMCP_SUPABASE_API_URL', url);
  }

  it('says nothing is deployed on status, destroy and logs of an unknown function', async () => {
    await using fake = await startSupabaseFake({ token, projectRef });
    useFake(fake.url);
    const name = ['--name', 'never-deployed'];
    await statusMissing('supabase', token);
    await fails(['destroy', 'supabase', ...name], nothing, token);
    await fails(['logs', '--provider', 'supabase', ...name], nothing, token);
  });

  it('explains a bundle over the function size limit', async () => {
    await using fake = await startSupabaseFake({ token, projectRef, maxFunctionBytes: 10 });
    useFake(fake.url);
    await fails(
      ['deploy', 'supabase', '--bundle', bundleDirectory],
      /HTTP 400 \(The function size exceeds the allowable limit\)\. The function bundle is over the Edge Functions size limit \(20 MB\)/,
      token,
    );
  });

  it("explains the project's function limit (402)", async () => {
    await using full = await startSupabaseFake({ token, projectRef, functionLimit: 0 });
    useFake(full.url);
    await fails(
      ['deploy', 'supabase', '--bundle', bundleDirectory, '--name', 'one-too-many'],
      /HTTP 402 \(Max number of functions reached for project.*\)\..*delete unused functions/,
      token,
    );
  });

  it('explains an outage (5xx) on deploy, status and logs', async () => {
    await using down = await startSupabaseFake({ token, projectRef, serverError: true });
    useFake(down.url);
    const outage =
      /HTTP 500 \(Internal Server Error\)\. Supabase failed on its side: run the command again.*status\.supabase\.com/;
    await fails(['deploy', 'supabase', '--bundle', bundleDirectory], outage, token);
    await fails(['status', '--provider', 'supabase'], outage, token);
    await fails(['logs', '--provider', 'supabase'], outage, token);
  });
});

describe('fly errors through the CLI', () => {
  const token = 'fly-personal-token-errors-abcdef';

  function useFake(url: string) {
    vi.stubEnv('FLY_API_TOKEN', token);
    vi.stubEnv('FEDMCP_FLY_API_URL', url);
    vi.stubEnv('FEDMCP_FLY_LOGS_API_URL', url);
  }

  it('says nothing is deployed on status, scale, destroy and logs of an unknown app', async () => {
    await using fake = await startFlyFake({ token });
    useFake(fake.url);
    const name = ['--name', 'never-deployed'];
    await statusMissing('fly', token);
    await fails(
      ['scale', 'fly', '--count', '2', ...name],
      /"never-deployed" has no machine to copy: run `fedmcp deploy fly` first/,
      token,
    );
    await fails(['destroy', 'fly', ...name], nothing, token);
    await fails(['logs', '--provider', 'fly', ...name], nothing, token);
  });

  it('explains a machine lease another deploy holds (409) on deploy and destroy', async () => {
    await using fake = await startFlyFake({ token });
    useFake(fake.url);
    const name = ['--name', 'busy'];
    expect((await cli(['deploy', 'fly', '--config', configFile, ...name])).code).toBe(0);
    fake.leaseHeldBy = 'fly-cli-other-deploy';
    const lease =
      /HTTP 409 \(machine ID \w+ lease currently held by fly-cli-other-deploy.*\)\. Another deploy or `fly` command holds the lease on a machine of this app: wait for it to finish.*then run the command again/;
    await fails(['deploy', 'fly', '--config', configFile, ...name], lease, token);
    await fails(['destroy', 'fly', ...name], lease, token);
    fake.leaseHeldBy = undefined;
    expect((await cli(['destroy', 'fly', ...name])).code).toBe(0);
  });

  it('says where to look when the platform has the hub but its /healthz fails', async () => {
    await using fake = await startFlyFake({ token });
    useFake(fake.url);
    vi.stubEnv('FEDMCP_FLY_PUBLIC_URL', `${fake.url}/hub/sick`);
    expect((await cli(['deploy', 'fly', '--config', configFile, '--name', 'sick'])).code).toBe(0);
    for (const machine of fake.apps.get('sick')?.machines.values() ?? []) machine.state = 'stopped';
    const status = await cli(['status', '--provider', 'fly', '--name', 'sick']);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(
      'fly has "sick" but its /healthz answered HTTP 503: see `fedmcp logs --provider fly --name sick`',
    );
    expect(status.stdout + status.stderr).not.toContain(token);
  });

  it('explains an outage (5xx) on deploy, status and scale', async () => {
    await using down = await startFlyFake({ token, serverError: true });
    useFake(down.url);
    const outage =
      /HTTP 500 \(internal server error\)\. Fly\.io failed on its side: run the command again.*status\.flyio\.net/;
    await fails(['deploy', 'fly', '--config', configFile, '--name', 'mine'], outage, token);
    await fails(['status', '--provider', 'fly', '--name', 'mine'], outage, token);
    await fails(['scale', 'fly', '--count', '2', '--name', 'mine'], outage, token);
  });
});

describe('names the platforms refuse', () => {
  it('says the naming rule before sending anything, as a usage mistake (exit 2)', async () => {
    await using cloudflare = await startCloudflareFake({ token: 't', accountId: 'a' });
    await using supabase = await startSupabaseFake({ token: 't', projectRef: 'p' });
    await using fly = await startFlyFake({ token: 't' });
    vi.stubEnv('CLOUDFLARE_API_TOKEN', 't');
    vi.stubEnv('CLOUDFLARE_ACCOUNT_ID', 'a');
    vi.stubEnv('FEDMCP_CLOUDFLARE_API_URL', `${cloudflare.url}/client/v4`);
    vi.stubEnv('SUPABASE_ACCESS_TOKEN', 't');
    vi.stubEnv('SUPABASE_PROJECT_REF', 'p');
    vi.stubEnv('FEDMCP_SUPABASE_API_URL', supabase.url);
    vi.stubEnv('FLY_API_TOKEN', 't');
    vi.stubEnv('FEDMCP_FLY_API_URL', fly.url);
    const cases: Array<[string[], string]> = [
      [
        ['deploy', 'cloudflare', '--bundle', bundleDirectory, '--name', 'My_Hub'],
        '"My_Hub" cannot be used as a name on cloudflare: a Worker name is 1 to 63 lowercase letters',
      ],
      [
        ['status', '--provider', 'supabase', '--name', '9lives'],
        '"9lives" cannot be used as a name on supabase: a function slug starts with a letter',
      ],
      [
        ['destroy', 'fly', '--name', 'hub_one'],
        '"hub_one" cannot be used as a name on fly: a Fly app name is 1 to 63 lowercase letters',
      ],
    ];
    for (const [argv, wanted] of cases) {
      const result = await cli(argv);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(wanted);
      expect(result.stderr).toContain('Choose another with --name.');
    }
    expect([...cloudflare.seen, ...supabase.seen, ...fly.seen]).toEqual([]);
  });
});
