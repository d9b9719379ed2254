/**
 * How the CLI builds an edge provider: which platform, its credentials (environment first, then
 * the hub's encrypted secrets file; never printed), API base URLs overridable by environment
 * (`FEDMCP_CLOUDFLARE_API_URL`, … — for contract fakes and proxies), and progress on stderr.
 */
import {
  createCloudflareProvider,
  createFlyProvider,
  createSupabaseProvider,
  type DurableObjectBinding,
  EdgeProviderError,
  type Provider,
  type ProviderId,
} from '@fedmcp/edge-providers';
import { openConfigSecrets } from '@fedmcp/server';
import WebSocket from 'ws';
import type { CliIo } from '../cli-io.js';
import { CliUsageError } from './connect-target.js';
import { resolveConfig } from './resolve-config.js';

/** The platforms `fedmcp deploy` knows. */
export const providerIds: readonly ProviderId[] = ['cloudflare', 'supabase', 'fly'];

/** The environment variables each platform needs, in the order they are asked for. */
export const providerCredentials: Record<ProviderId, readonly string[]> = {
  cloudflare: ['CLOUDFLARE_API_TOKEN', 'CLOUDFLARE_ACCOUNT_ID'],
  supabase: ['SUPABASE_ACCESS_TOKEN', 'SUPABASE_PROJECT_REF'],
  fly: ['FLY_API_TOKEN'],
};

/** What the provider commands read besides argv; injectable for tests. */
export interface ProviderCommandOptions {
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Resolves when `logs --follow` should stop. @default SIGINT or SIGTERM */
  stopSignal?: Promise<unknown>;
  /** How often polled logs are asked again. @default 2000 */
  pollIntervalMs?: number;
  /** Where `fly.toml` goes, and where relative secrets-file paths start. @default the config file's folder (fly.toml), else process.cwd() */
  baseDirectory?: string;
}

/** The flags every provider command shares (`--name`, `--config`, Fly's placement). */
export const providerFlagOptions = {
  name: { type: 'string' },
  config: { type: 'string', short: 'c' },
  region: { type: 'string' },
  org: { type: 'string' },
  image: { type: 'string' },
} as const;

/** The shared flag values. */
export interface ProviderFlags {
  name?: string | undefined;
  config?: string | undefined;
  region?: string | undefined;
  org?: string | undefined;
  image?: string | undefined;
}

/** Parses a platform name, naming the ones there are when it is not one. */
export function parseProviderId(value: string | undefined, command: string): ProviderId {
  if (value !== undefined && (providerIds as readonly string[]).includes(value))
    return value as ProviderId;
  throw new CliUsageError(
    `${value === undefined ? 'give a platform' : `unknown platform "${value}"`}: fedmcp ${command} <${providerIds.join('|')}>.`,
  );
}

/** True when argv asks a platform (`--provider P`) rather than the local hub. */
export function wantsProvider(argv: readonly string[]): boolean {
  return argv.some((argument) => argument === '--provider' || argument.startsWith('--provider='));
}

/** Reads a credential: the environment, else the config's secrets file; undefined when neither has it. */
export async function readCredential(
  name: string,
  flags: ProviderFlags,
  options: ProviderCommandOptions,
): Promise<string | undefined> {
  const env = options.env ?? process.env;
  const fromEnvironment = env[name];
  if (fromEnvironment !== undefined && fromEnvironment !== '') return fromEnvironment;
  const { config, file } = await resolveConfig(flags.config);
  if (file === undefined) return undefined;
  const secrets = await openConfigSecrets(config, {
    baseDirectory: options.baseDirectory ?? process.cwd(),
    env,
  });
  return secrets.get(name);
}

/** Settings of {@link createCliProvider}. */
export interface CliProviderSettings {
  id: ProviderId;
  flags: ProviderFlags;
  io: CliIo;
  options: ProviderCommandOptions;
  /** Record requests instead of sending them; missing credentials become placeholders. */
  dryRun?: boolean;
  /** Fly: machines a first deploy creates. */
  count?: number;
  /** Cloudflare: the Durable Objects the uploaded Worker exports (the hub bundle's). */
  durableObjects?: DurableObjectBinding[];
}

/** Builds the provider for a CLI command from flags, environment and secrets file. */
export async function createCliProvider(settings: CliProviderSettings): Promise<Provider> {
  const { id, flags, io, options } = settings;
  const env = options.env ?? process.env;
  const values: Record<string, string> = {};
  for (const name of providerCredentials[id]) {
    const value = await readCredential(name, flags, options);
    if (value === undefined && !settings.dryRun) {
      throw new CliUsageError(
        `${name} is not set: export it, or store it with \`fedmcp secrets set ${name}\` (the config's secrets file).`,
      );
    }
    values[name] = value ?? `<${name}>`;
  }
  const common = {
    ...(flags.name === undefined ? {} : { name: flags.name }),
    ...(settings.dryRun ? { dryRun: true } : {}),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
    onProgress: (event: { step: string; state: 'start' | 'done'; detail?: string }) =>
      io.stderr(
        event.state === 'start'
          ? `→ ${event.step}…\n`
          : `✓ ${event.step}${event.detail === undefined ? '' : ` (${event.detail})`}\n`,
      ),
  };
  const optional = (key: string, value: string | undefined) =>
    value === undefined || value === '' ? {} : { [key]: value };
  if (id === 'cloudflare') {
    return createCloudflareProvider({
      ...common,
      token: values.CLOUDFLARE_API_TOKEN ?? '',
      accountId: values.CLOUDFLARE_ACCOUNT_ID ?? '',
      createWebSocket: (url, protocol) => new WebSocket(url, protocol),
      ...(settings.durableObjects === undefined ? {} : { durableObjects: settings.durableObjects }),
      ...optional('baseUrl', env.FEDMCP_CLOUDFLARE_API_URL),
      ...optional('publicUrl', env.FEDMCP_CLOUDFLARE_PUBLIC_URL),
    });
  }
  if (id === 'supabase') {
    return createSupabaseProvider({
      ...common,
      token: values.SUPABASE_ACCESS_TOKEN ?? '',
      projectRef: values.SUPABASE_PROJECT_REF ?? '',
      ...optional('baseUrl', env.FEDMCP_SUPABASE_API_URL),
      ...optional('publicUrl', env.FEDMCP_SUPABASE_PUBLIC_URL),
    });
  }
  return createFlyProvider({
    ...common,
    token: values.FLY_API_TOKEN ?? '',
    ...optional('region', flags.region),
    ...optional('org', flags.org),
    ...optional('image', flags.image),
    ...(settings.count === undefined ? {} : { count: settings.count }),
    ...optional('baseUrl', env.FEDMCP_FLY_API_URL),
    ...optional('logsBaseUrl', env.FEDMCP_FLY_LOGS_API_URL),
    ...optional('publicUrl', env.FEDMCP_FLY_PUBLIC_URL),
  });
}

/**
 * Runs a provider command: a usage mistake exits 2 with its message, a platform's refusal exits 1
 * with the platform's what-to-do message.
 */
export async function runProviderCommand(
  command: string,
  io: CliIo,
  work: () => Promise<number>,
): Promise<number> {
  try {
    return await work();
  } catch (error) {
    // parseArgs refuses unknown options and missing values with ERR_PARSE_ARGS_* codes.
    const usage = String((error as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS');
    io.stderr(`fedmcp ${command}: ${(error as Error).message}\n`);
    // A name the platform would refuse is caught before any request: a usage mistake too.
    const badName =
      EdgeProviderError.isInstance(error) && error.code === 'INVALID' && error.status === undefined;
    return error instanceof CliUsageError || usage || badName ? 2 : 1;
  }
}
