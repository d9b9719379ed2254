/**
 * The hub bundle `fedmcp deploy cloudflare|supabase` builds from the user's config when no
 * `--bundle` is given: `deploy-hub-entry.ts` bundled with esbuild, the config's HTTP(S) upstreams,
 * peers, `auth` and `policy` baked in with their `${NAME}` references in place of the values,
 * and the names of those references, which the deploy uploads as secrets (never inlined).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Bundle, DurableObjectBinding } from '@fedmcp/edge-providers';
import { type PeersOptions, parsePinFile, type UpstreamConfig } from '@fedmcp/federation';
import {
  type FedmcpConfig,
  loadConfig,
  toUpstreamConfig,
  upstreamsFromConfig,
} from '@fedmcp/server';
import { DASHBOARD_FILES } from '@fedmcp/server/admin';
import { normalizeOrigin } from '@fedmcp/transports';
import { CliUsageError } from './connect-target.js';
import type { DeployDefinition } from './deploy-hub-entry.js';
import type { FrontDoorDefinition } from './deploy-hub-front.js';
import { refuseLiteralCredentials } from './deploy-hub-literals.js';
import { upstreamAuthOf } from './deploy-hub-oauth.js';
import { shardsDefinitionOf } from './deploy-hub-shards.js';
import { viewsDefinitionOf } from './deploy-hub-views.js';

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
const entryCandidates = (name: string) =>
  [`./${name}.ts`, `./${name}.js`, `./commands/${name}.js`].map((path) =>
    fileURLToPath(new URL(path, import.meta.url)),
  );

const ENV_REFERENCE = /(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g;
const SECRET_REFERENCE = /\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * The config as the hub loads it (`${NAME}` resolved from the environment, so every key is
 * validated with its real value), and the names it refers to: the `${NAME}` that are set, and
 * every `${secret:NAME}` (resolved from the secrets file, so left as written).
 */
async function loadWithReferences(file: string) {
  const config = await loadConfig(file, { env: process.env });
  const text = await readFile(file, 'utf8');
  const values = new Map<string, string>();
  for (const match of text.matchAll(ENV_REFERENCE)) {
    const name = match[1] ?? '';
    const value = process.env[name];
    if (value !== undefined && value !== '') values.set(name, value);
  }
  const secrets = new Set<string>();
  for (const match of text.matchAll(SECRET_REFERENCE)) if (match[1]) secrets.add(match[1]);
  return { config, values, secrets };
}

/**
 * The definition as JSON with each referenced value put back as its `${NAME}` reference (the
 * hub resolves it from the same value, uploaded as a secret): no value of the environment is
 * baked into the bundle.
 */
function withReferences(definition: DeployDefinition, values: Map<string, string>): string {
  let text = JSON.stringify(definition);
  // Longest first, so a value inside another is not cut out of it.
  const byLength = [...values].sort(([, a], [, b]) => b.length - a.length);
  for (const [name, value] of byLength) {
    text = text.split(JSON.stringify(value).slice(1, -1)).join(`\${${name}}`);
  }
  for (const [name, value] of values) {
    if (text.includes(value))
      throw new CliUsageError(
        `the value of ${name} cannot be kept out of the hub bundle: write it in the config only as \${${name}}.`,
      );
  }
  return text;
}

/**
 * `hub.allowedHosts`, `hub.cors` and the deprecated `hub.allowedOrigins` as the Node hub's host
 * reads them: full origins of `allowedOrigins` join the CORS origins, bare hostnames only pass
 * the Origin check.
 */
function frontDoorOf(hub: FedmcpConfig['hub']): FrontDoorDefinition | undefined {
  const folded: string[] = [];
  const hostnames: string[] = [];
  for (const entry of hub.allowedOrigins ?? []) {
    try {
      folded.push(normalizeOrigin(entry));
    } catch {
      hostnames.push(entry);
    }
  }
  const origins = [...new Set([...(hub.cors?.allowedOrigins ?? []), ...folded])];
  const front: FrontDoorDefinition = {
    ...(hub.allowedHosts ? { allowedHosts: hub.allowedHosts } : {}),
    ...(hostnames.length > 0 ? { allowedOrigins: hostnames } : {}),
    ...(origins.length > 0
      ? {
          cors: {
            origins,
            allowCredentials: hub.cors?.allowCredentials ?? false,
            ...(hub.cors?.maxAgeSeconds === undefined
              ? {}
              : { maxAgeSeconds: hub.cors.maxAgeSeconds }),
          },
        }
      : {}),
  };
  return Object.keys(front).length > 0 ? front : undefined;
}

/** `pinning`, with the pin file (relative to the config's folder) read and checked. */
async function pinningOf(
  pinning: FedmcpConfig['pinning'],
  file: string,
): Promise<DeployDefinition['pinning']> {
  const { enabled, newItems, onQuarantined, pinFile } = pinning;
  if (pinFile === undefined) return { enabled, newItems, onQuarantined };
  const path = resolve(dirname(file), pinFile);
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CliUsageError(`pinning.pinFile (${pinFile}) cannot be read: ${error.message}`);
  });
  return {
    enabled,
    newItems,
    onQuarantined,
    pinFile: parsePinFile(text, `pinning.pinFile (${pinFile})`),
  };
}

/**
 * The dashboard's files (`@fedmcp/server`'s `ui/`), inlined into the bundle as a JSON object for
 * the edge hub's `/ui` (deploy-hub-admin.ts).
 */
async function dashboardDefine(): Promise<string> {
  const folder = createRequire(import.meta.url)
    .resolve.paths('@fedmcp/server')
    ?.map((modules) => join(modules, '@fedmcp', 'server', 'ui'))
    .find((candidate) => existsSync(join(candidate, 'index.html')));
  if (!folder) throw new Error('The dashboard of @fedmcp/server (its ui/ folder) is missing');
  const { transform } = await import('esbuild');
  const files = await Promise.all(
    DASHBOARD_FILES.map(async (file) => {
      const text = await readFile(join(folder, file), 'utf8');
      const loader = file.endsWith('.js') ? 'js' : file.endsWith('.css') ? 'css' : undefined;
      // Minified: the Worker bundle has a size budget (1 MiB).
      const content = loader ? (await transform(text, { loader, minify: true })).code : text;
      return [file, content];
    }),
  );
  return JSON.stringify(Object.fromEntries(files));
}

/** Options of {@link buildHubBundle}. */
export interface HubBundleOptions {
  /** Bundle credentials written literally in the config (refused otherwise). @default false */
  allowLiteralSecrets?: boolean;
}

/**
 * Builds the hub bundle of `file` for `target` (the same bundle `fedmcp dev` runs locally).
 *
 * @throws {CliUsageError} without a config file, when it names no upstream the edge can reach,
 * or when it writes a credential literally (unless `allowLiteralSecrets`).
 */
export async function buildHubBundle(
  file: string | undefined,
  target: 'cloudflare' | 'supabase',
  /** Supabase: the function's slug (its `/<slug>` prefix is stripped); none for `fedmcp dev`. */
  slug: string | undefined,
  options: HubBundleOptions = {},
): Promise<HubBundle> {
  if (file === undefined)
    throw new CliUsageError(
      `a ${target} deploy builds the hub from its config: pass --config FILE (or run in the folder of fedmcp.config.json), or give a built bundle with --bundle DIR.`,
    );
  const { config, values, secrets } = await loadWithReferences(file);
  const upstreams: Record<string, UpstreamConfig> = {};
  for (const upstream of upstreamsFromConfig(config).values()) {
    // stdio entries cannot run at the edge (the deploy warned); peers are passed as peers.
    if (upstream.peer !== undefined || !('url' in upstream.spec)) continue;
    upstreams[upstream.id] = toUpstreamConfig(upstream);
  }
  // `oauth` and `tokenExchange` blocks, and the secret sealing upstream tokens (deploy-hub-oauth.ts).
  const upstreamAuth = upstreamAuthOf(
    upstreamsFromConfig(config).values(),
    (reason) => new CliUsageError(reason),
  );
  const definition: DeployDefinition = {
    hubId: config.hub.id ?? 'edge',
    ...(config.hub.name === undefined ? {} : { name: config.hub.name }),
    upstreams,
    ...upstreamAuth.definition,
    ...(config.peers === undefined ? {} : { peers: config.peers as PeersOptions }),
    ...(config.auth === undefined ? {} : { auth: config.auth }),
    ...(config.policy === undefined ? {} : { policy: config.policy.rules }),
    ...(config.hub.url === undefined ? {} : { resource: config.hub.url }),
    ...(target === 'supabase' && slug !== undefined ? { slug } : {}),
    // Supabase keeps the state in the project's PostgreSQL when the config names it.
    ...(target === 'supabase' && config.store !== undefined && /^postgres(ql)?:/.test(config.store)
      ? { store: config.store }
      : {}),
    ...(config.consent === undefined ? {} : { consent: config.consent }),
    pinning: await pinningOf(config.pinning, file),
    ...(() => {
      const { instructions, maxInstructionsChars, pageSize, maxHops } = config.hub;
      const hub = { instructions, maxInstructionsChars, pageSize, maxHops };
      const set = Object.entries(hub).filter(([, value]) => value !== undefined);
      return set.length > 0 ? { hub: Object.fromEntries(set) } : {};
    })(),
    ...(config.hub.tasks === undefined ? {} : { tasks: config.hub.tasks }),
    ...viewsDefinitionOf(config.views),
    ...(target === 'cloudflare' ? shardsDefinitionOf(config.hub) : {}),
    ...(() => {
      const front = frontDoorOf(config.hub);
      return front ? { front } : {};
    })(),
  };
  const text = withReferences(definition, values);
  refuseLiteralCredentials(JSON.parse(text), options.allowLiteralSecrets === true);
  const candidates = entryCandidates(
    target === 'cloudflare' ? 'deploy-hub-entry' : 'deploy-hub-function',
  );
  const entry = candidates.find((path) => existsSync(path));
  if (!entry) throw new Error(`The hub entry of fedmcp deploy is missing: ${candidates[0]}`);
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    // Deno: not `workerd` (postgres.js would take its Cloudflare sockets build).
    conditions: [
      '@fedmcp/source',
      target === 'cloudflare' ? 'workerd' : 'deno',
      'worker',
      'browser',
    ],
    target: 'es2022',
    minify: true,
    external: ['node:*'],
    // Deno has Node's built-ins under `node:`; postgres.js imports them by bare name.
    plugins:
      target === 'supabase'
        ? [
            {
              name: 'node-builtins',
              setup(build) {
                const names = new Set(builtinModules);
                build.onResolve({ filter: /^[a-z_]+(\/[a-z_]+)?$/ }, (args) =>
                  names.has(args.path) ? { path: `node:${args.path}`, external: true } : undefined,
                );
              },
            },
          ]
        : [],
    define: { __FEDMCP_DEPLOY__: text, __FEDMCP_DASHBOARD__: await dashboardDefine() },
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild produced no bundle for the hub');
  const path = 'index.js';
  return {
    bundle: { entry: path, files: [{ path, content: output.text }] },
    references: [...new Set([...values.keys(), ...secrets, ...upstreamAuth.references])].sort(),
    upstreams: [...Object.keys(upstreams), ...Object.keys(config.peers ?? {})],
  };
}
