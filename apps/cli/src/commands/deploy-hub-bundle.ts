/**
 * The hub bundle `fedmcp deploy cloudflare|supabase` builds from the user's config when no
 * `--bundle` is given: `deploy-hub-entry.ts` bundled with esbuild, the config's HTTP(S) upstreams,
 * peers, `auth` and `policy` baked in with their `${NAME}` references unresolved, and the names
 * of those references, which the deploy uploads as secrets (never inlined).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Bundle, DurableObjectBinding } from '@fedmcp/edge-providers';
import type { PeersOptions, UpstreamConfig } from '@fedmcp/federation';
import { loadConfig, toUpstreamConfig, upstreamsFromConfig } from '@fedmcp/server';
import { CliUsageError } from './connect-target.js';
import type { DeployDefinition } from './deploy-hub-entry.js';

/** The Durable Objects the Worker of the hub bundle exports, for the upload's bindings and migration. */
export const HUB_DURABLE_OBJECTS: DurableObjectBinding[] = [
  { binding: 'FEDMCP_STORE', className: 'FedmcpStoreObject' },
  { binding: 'FEDMCP_HUB', className: 'FedmcpHubObject' },
];

/** What {@link buildHubBundle} makes. */
export interface HubBundle {
  bundle: Bundle;
  /** The environment names the config refers to (`${NAME}`, `${secret:NAME}`), sorted. */
  references: string[];
  /** What the deployed hub serves, for the summary. */
  upstreams: string[];
}

// The entry's source in the repository; its build next to the CLI's chunks once published.
const entryCandidates = [
  './deploy-hub-entry.ts',
  './deploy-hub-entry.js',
  './commands/deploy-hub-entry.js',
].map((path) => fileURLToPath(new URL(path, import.meta.url)));

const SECRET_REFERENCE = /\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Loads the config keeping every `${NAME}` reference as it is written; collects the names. */
async function loadWithReferences(file: string): Promise<{
  config: Awaited<ReturnType<typeof loadConfig>>;
  references: Set<string>;
}> {
  const references = new Set<string>();
  const env = new Proxy<Record<string, string>>(
    {},
    {
      get: (_target, name) => {
        if (typeof name !== 'string') return undefined;
        references.add(name);
        return `\${${name}}`;
      },
    },
  );
  const config = await loadConfig(file, { env });
  const text = JSON.stringify(config);
  for (const match of text.matchAll(SECRET_REFERENCE)) if (match[1]) references.add(match[1]);
  return { config, references };
}

/**
 * Builds the hub bundle of `file` for `target`.
 *
 * @throws {CliUsageError} without a config file, or when it names no upstream the edge can reach.
 */
export async function buildHubBundle(
  file: string | undefined,
  target: 'cloudflare' | 'supabase',
  slug: string,
): Promise<HubBundle> {
  if (file === undefined)
    throw new CliUsageError(
      `a ${target} deploy builds the hub from its config: pass --config FILE (or run in the folder of fedmcp.config.json), or give a built bundle with --bundle DIR.`,
    );
  const { config, references } = await loadWithReferences(file);
  const upstreams: Record<string, UpstreamConfig> = {};
  for (const upstream of upstreamsFromConfig(config).values()) {
    // stdio entries cannot run at the edge (the deploy warned); peers are passed as peers.
    if (upstream.peer !== undefined || !('url' in upstream.spec)) continue;
    upstreams[upstream.id] = toUpstreamConfig(upstream);
  }
  const definition: DeployDefinition = {
    hubId: config.hub.id ?? 'edge',
    ...(config.hub.name === undefined ? {} : { name: config.hub.name }),
    upstreams,
    ...(config.peers === undefined ? {} : { peers: config.peers as PeersOptions }),
    ...(config.auth === undefined ? {} : { auth: config.auth }),
    ...(config.policy === undefined ? {} : { policy: config.policy.rules }),
    ...(config.hub.url === undefined ? {} : { resource: config.hub.url }),
    ...(target === 'supabase' ? { slug } : {}),
  };
  const entry = entryCandidates.find((path) => existsSync(path));
  if (!entry) throw new Error(`The hub entry of fedmcp deploy is missing: ${entryCandidates[0]}`);
  const { build } = await import('esbuild');
  // Supabase runs a function that calls Deno.serve; FEDMCP_PORT serves it on 127.0.0.1 locally.
  const supabaseMain = `import hub from ${JSON.stringify(entry)};
const port = Deno.env.get('FEDMCP_PORT');
Deno.serve(port ? { port: Number(port), hostname: '127.0.0.1' } : {}, (request) => hub.fetch(request));
`;
  const result = await build({
    ...(target === 'cloudflare'
      ? { entryPoints: [entry] }
      : { stdin: { contents: supabaseMain, resolveDir: process.cwd(), loader: 'js' as const } }),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['@fedmcp/source', 'workerd', 'worker', 'browser'],
    target: 'es2022',
    minify: true,
    external: ['node:*'],
    define: { __FEDMCP_DEPLOY__: JSON.stringify(definition) },
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no bundle for the hub');
  const path = 'index.js';
  return {
    bundle: { entry: path, files: [{ path, content: output.text }] },
    references: [...references].sort(),
    upstreams: [...Object.keys(upstreams), ...Object.keys(config.peers ?? {})],
  };
}
