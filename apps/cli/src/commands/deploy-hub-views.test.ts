// The config's views reach the hub `fedmcp deploy` bundles: `--dry-run` names each view's URL, and
// the bundle serves `/mcp/<view>` with only the view's tools — in Miniflare (the uploaded Worker,
// both protocol eras) and in Deno (the Supabase function, under its `/<slug>` prefix).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  dryRunDeploy,
  startFunction,
  startWorker,
  useDeployTestBed,
} from './deploy-hub.fixtures.js';

let configFile: string;
const bed = useDeployTestBed('fedmcp-deploy-views-');

beforeAll(async () => {
  configFile = join(bed.directory, 'fedmcp.config.json');
  const config = {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
    mcpServers: { everything: { url: '${EVERYTHING_URL}' } },
    views: { echo: { include: { tools: ['everything__echo'] } } },
  };
  await writeFile(configFile, JSON.stringify(config));
}, 60_000);

/** The bundle of a `--dry-run` deploy (which must succeed), and what it printed on stderr. */
async function dryRun(provider: 'cloudflare' | 'supabase') {
  vi.stubEnv('EVERYTHING_URL', bed.everything.url);
  const run = await dryRunDeploy(provider, configFile);
  expect(run.exitCode, run.stderr).toBe(0);
  return { code: run.bundle, stderr: run.stderr };
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
    await using worker = await startWorker(code, { EVERYTHING_URL: bed.everything.url });
    await checkView(new URL('/mcp/echo', worker.origin), { pin: '2026-07-28' });
    await checkView(new URL('/mcp/echo', worker.origin), 'legacy');
    const unknown = await fetch(new URL('/mcp/nope', worker.origin), {
      method: 'POST',
      body: '{}',
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('no view \\"nope\\"');
  }, 120_000);

  it('in Deno (the Supabase function): /functions/v1/<slug>/mcp/<view>', async () => {
    const { code, stderr } = await dryRun('supabase');
    expect(stderr).toMatch(/view\s+\/functions\/v1\/fedmcp-hub\/mcp\/echo\n/);
    await using deno = await startFunction(code, join(bed.directory, 'index.js'), {
      EVERYTHING_URL: bed.everything.url,
    });
    // The function sees `/<slug>/…` (Supabase strips `/functions/v1`).
    await checkView(new URL(`${deno.origin}/fedmcp-hub/mcp/echo`), 'legacy');
  }, 120_000);
});
