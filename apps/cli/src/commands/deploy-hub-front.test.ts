import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import {
  checkConsentAndPinning,
  checkFrontDoor,
  writeConfig,
  writePins,
} from '../../test/hub-checks.js';
import { runCli } from '../run-cli.js';
import {
  dryRunDeploy,
  startFunction,
  startWorker,
  useDeployTestBed,
} from './deploy-hub.fixtures.js';

let configFile: string;
const bed = useDeployTestBed('fedmcp-deploy-front-');

const supabaseResource = 'https://abcdefghijklmnopqrst.supabase.co/functions/v1/fedmcp-hub/mcp';

beforeAll(async () => {
  configFile = join(bed.directory, 'fedmcp.config.json');
  await writePins(bed.directory);
  await writeConfig(configFile);
}, 60_000);

/** The bundle a `--dry-run` deploy (which must succeed) uploads. */
async function bundleOf(provider: 'cloudflare' | 'supabase', config = configFile) {
  vi.stubEnv('EVERYTHING_URL', bed.everything.url);
  const run = await dryRunDeploy(provider, config);
  expect(run.exitCode, run.stderr).toBe(0);
  return run.bundle;
}

describe('the deployed hub serves the whole config', () => {
  it('in Miniflare (the uploaded Worker): consent, pinning, rate limit, tasks, CORS, Host check, PRM', async () => {
    const code = await bundleOf('cloudflare');
    await using worker = await startWorker(code, { EVERYTHING_URL: bed.everything.url });
    await checkFrontDoor(worker.origin);
    await checkConsentAndPinning(new URL('/mcp', worker.origin));
  }, 120_000);

  it('in Deno (the Supabase function): consent, pinning, rate limit, tasks, CORS, Host check, PRM', async () => {
    // hub.url is the function's public URL; Supabase routes only /functions/v1/<slug>/… to it.
    const supabaseConfig = join(bed.directory, 'supabase.config.json');
    await writeConfig(supabaseConfig, {}, supabaseResource);
    const code = await bundleOf('supabase', supabaseConfig);
    await using deno = await startFunction(code, join(bed.directory, 'function', 'index.js'), {
      EVERYTHING_URL: bed.everything.url,
    });
    const base = `${deno.origin}/fedmcp-hub`;
    await checkFrontDoor(
      base,
      supabaseResource,
      '/.well-known/oauth-protected-resource/functions/v1/fedmcp-hub/mcp',
      'https://abcdefghijklmnopqrst.supabase.co/functions/v1/fedmcp-hub/.well-known/oauth-protected-resource/functions/v1/fedmcp-hub/mcp',
    );
    await checkConsentAndPinning(new URL(`${base}/mcp`));
  }, 120_000);

  it('refuses a credential written literally in the config, naming its key, unless allowed', async () => {
    const literal = join(bed.directory, 'literal.config.json');
    await writeConfig(literal, {
      mcpServers: {
        everything: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
          url: '${EVERYTHING_URL}',
          headers: { authorization: 'Bearer literal-token-never-bundled' },
        },
      },
    });
    vi.stubEnv('EVERYTHING_URL', bed.everything.url);
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
