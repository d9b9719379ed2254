/**
 * What `fedmcp deploy` uploads: the bundle directory (`--bundle DIR`, every file under it) or,
 * without one, the hub built from the config (`deploy-hub-bundle.ts`), the hub's config file
 * text, `--var NAME=VALUE` and `--secret NAME` (value from the environment or the secrets file);
 * the config's own `${NAME}` references become secrets too.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Bundle, DeployPlan, ProviderId } from '@fedmcp/edge-providers';
import { CliUsageError } from './connect-target.js';
import { buildHubBundle } from './deploy-hub-bundle.js';
import {
  type ProviderCommandOptions,
  type ProviderFlags,
  readCredential,
} from './provider-setup.js';
import { resolveConfig } from './resolve-config.js';

const ENTRY_CANDIDATES = ['index.js', 'index.mjs', 'index.ts', 'worker.js', 'main.ts'];

async function filesUnder(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Reads `--bundle DIR` into a {@link Bundle}; the entry is `--entry` or the first of index.js, index.mjs, index.ts, worker.js, main.ts. */
export async function readBundle(directory: string, entry: string | undefined): Promise<Bundle> {
  let paths: string[];
  try {
    paths = await filesUnder(directory);
  } catch (error) {
    throw new CliUsageError(
      `--bundle ${directory} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
  const files = await Promise.all(
    paths.map(async (path) => ({
      path: relative(directory, path).split(sep).join('/'),
      content: await readFile(path),
    })),
  );
  const names = files.map((file) => file.path);
  const chosen = entry ?? ENTRY_CANDIDATES.find((candidate) => names.includes(candidate));
  if (chosen === undefined || !names.includes(chosen)) {
    throw new CliUsageError(
      `${entry === undefined ? `--bundle ${directory} has none of ${ENTRY_CANDIDATES.join(', ')}` : `--entry ${entry} is not in --bundle ${directory}`}: name the entry module with --entry.`,
    );
  }
  return {
    entry: chosen,
    files: files.map((file) => ({ path: file.path, content: new Uint8Array(file.content) })),
  };
}

/** The stdio upstreams of a config (`command` entries), which cannot run at the edge. */
function stdioUpstreams(configText: string): string[] {
  const servers =
    (JSON.parse(configText) as { mcpServers?: Record<string, { command?: unknown }> }).mcpServers ??
    {};
  return Object.entries(servers)
    .filter(([, server]) => server.command !== undefined)
    .map(([id]) => id);
}

/** The values of `fedmcp deploy` that make its plan. */
export interface DeployInputs {
  bundle?: string | undefined;
  entry?: string | undefined;
  var?: string[] | undefined;
  secret?: string[] | undefined;
  /** Bundle credentials written literally in the config (refused otherwise). */
  'allow-literal-secrets'?: boolean | undefined;
}

/** Builds the {@link DeployPlan} from flags; warns through `warn` about what cannot run at the edge. */
export async function readDeployPlan(
  id: ProviderId,
  flags: ProviderFlags & DeployInputs,
  options: ProviderCommandOptions,
  warn: (line: string) => void,
): Promise<DeployPlan> {
  const { file } = await resolveConfig(flags.config);
  const config = file === undefined ? undefined : await readFile(file, 'utf8');
  if (config !== undefined && id !== 'fly') {
    const local = stdioUpstreams(config);
    if (local.length > 0)
      warn(
        `stdio upstreams cannot run at the edge and will be unavailable there: ${local.join(', ')}`,
      );
  }
  // Without --bundle, the hub itself, built from the config; the names it refers to are secrets.
  const hub =
    id !== 'fly' && flags.bundle === undefined
      ? await buildHubBundle(file, id, flags.name ?? 'fedmcp-hub', {
          allowLiteralSecrets: flags['allow-literal-secrets'] === true,
        })
      : undefined;
  const vars: Record<string, string> = {};
  for (const pair of flags.var ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliUsageError(`--var ${pair}: write NAME=VALUE.`);
    vars[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const secrets: Record<string, string> = {};
  for (const name of flags.secret ?? []) {
    const value = await readCredential(name, flags, options);
    if (value === undefined)
      throw new CliUsageError(
        `--secret ${name}: set ${name} in the environment or with \`fedmcp secrets set ${name}\`.`,
      );
    secrets[name] = value;
  }
  for (const name of hub?.references ?? []) {
    if (name in secrets || name in vars) continue;
    const value = await readCredential(name, flags, options);
    if (value === undefined)
      throw new CliUsageError(
        `the config refers to \${${name}}: set ${name} in the environment or with \`fedmcp secrets set ${name}\`; the deploy uploads it as a secret.`,
      );
    secrets[name] = value;
  }
  return {
    ...(hub === undefined ? {} : { bundle: hub.bundle }),
    ...(flags.bundle === undefined ? {} : { bundle: await readBundle(flags.bundle, flags.entry) }),
    ...(config === undefined ? {} : { config }),
    vars,
    secrets,
  };
}
