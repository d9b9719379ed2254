/**
 * Upstream credentials: `${secret:NAME}` references in `mcpServers` headers and env, resolved from
 * the encrypted secrets file (key from `FEDMCP_SECRET_KEY` or `<dataDir>/secret.key`, 0600), and
 * the set of secret values the logger and the audit log must never print.
 */
import { isAbsolute, join } from 'node:path';
import { resolveSecretReferences, SECRET_KEY_PATTERN } from '@fedmcp/proxy-auth';
import {
  loadOrCreateKeyFile,
  openSecretsFile,
  parseSecretKey,
  type SecretsFile,
} from '@fedmcp/proxy-auth/node';
import type { FedmcpConfig } from '../config/config-schema.js';

/** Where the secrets of a config live. */
export interface SecretsLocation {
  /** The encrypted file. @default `<dataDir>/secrets.enc.json` */
  file: string;
  /** The key file, used when `FEDMCP_SECRET_KEY` is not set. @default `<dataDir>/secret.key` */
  keyFile: string;
}

/** The secrets file and key file paths of a config, relative paths resolved from `baseDirectory`. */
export function secretsLocation(config: FedmcpConfig, baseDirectory: string): SecretsLocation {
  const at = (path: string) => (isAbsolute(path) ? path : join(baseDirectory, path));
  const dataDir = at(config.hub.dataDir);
  return {
    file: config.secrets?.file ? at(config.secrets.file) : join(dataDir, 'secrets.enc.json'),
    keyFile: config.secrets?.keyFile ? at(config.secrets.keyFile) : join(dataDir, 'secret.key'),
  };
}

/**
 * Opens the encrypted secrets file of a config. The key comes from `FEDMCP_SECRET_KEY` when set,
 * otherwise from the key file, created (0600) on first use.
 * @throws {FedmcpError} `INVALID_CONFIG` for a malformed key or a group/world-readable key file.
 */
export async function openConfigSecrets(
  config: FedmcpConfig,
  options: { baseDirectory: string; env: Readonly<Record<string, string | undefined>> },
): Promise<SecretsFile> {
  const location = secretsLocation(config, options.baseDirectory);
  const fromEnvironment = options.env.FEDMCP_SECRET_KEY;
  const key = fromEnvironment
    ? parseSecretKey(fromEnvironment)
    : await loadOrCreateKeyFile(location.keyFile);
  return openSecretsFile({ path: location.file, key });
}

function mentionsSecret(value: unknown): boolean {
  return JSON.stringify(value).includes('${secret:');
}

/**
 * Resolves `${secret:NAME}` in `mcpServers` and `auth` and adds every credential-like value of the
 * config (resolved secrets, upstream headers and env values under secret-like names, shared
 * secrets) to `secretValues`, so
 * no log line carries them. The secrets file is opened only when a reference needs it.
 * @throws {FedmcpError} `INVALID_CONFIG` naming the config path of a missing secret.
 */
export async function resolveConfigSecrets(
  config: FedmcpConfig,
  options: {
    baseDirectory: string;
    env: Readonly<Record<string, string | undefined>>;
    secretValues: Set<string>;
  },
): Promise<FedmcpConfig> {
  let resolved = config;
  const sharedParts = Object.values(config.mcpServers).map(
    ({ principalCredentials: _perCaller, ...rest }) => rest,
  );
  if (mentionsSecret(sharedParts) || mentionsSecret(config.auth ?? {})) {
    const secrets = await openConfigSecrets(config, options);
    const resolve = <T>(value: T, path: string) =>
      resolveSecretReferences(value, {
        env: options.env,
        secrets,
        path,
        onResolved: (secret) => options.secretValues.add(secret),
      });
    const mcpServers = { ...config.mcpServers };
    for (const [name, entry] of Object.entries(mcpServers)) {
      // Per-caller credentials are resolved when a caller's connection opens, not here.
      const { principalCredentials, ...rest } = entry;
      if (!mentionsSecret(rest)) continue;
      const resolvedEntry = await resolve(rest, `mcpServers.${name}`);
      mcpServers[name] = (
        principalCredentials ? { ...resolvedEntry, principalCredentials } : resolvedEntry
      ) as typeof entry;
    }
    resolved = {
      ...config,
      mcpServers,
      ...(config.auth && mentionsSecret(config.auth)
        ? { auth: await resolve(config.auth, 'auth') }
        : {}),
    };
  }
  for (const entry of Object.values(resolved.mcpServers)) {
    const fields = 'url' in entry ? (entry.headers ?? {}) : (entry.env ?? {});
    for (const [key, value] of Object.entries(fields)) {
      if (!SECRET_KEY_PATTERN.test(key)) continue;
      // "Bearer xyz": keep the credential part out of logs too.
      const credential = value.replace(/^(Bearer|Basic|Token)\s+/i, '');
      if (credential.length >= 4) options.secretValues.add(credential);
      if (value.length >= 4) options.secretValues.add(value);
    }
    // The hub's client secret at a token exchange endpoint (RFC 8693), even when written in the file.
    const exchangeSecret = (entry as { tokenExchange?: { clientSecret?: string } }).tokenExchange
      ?.clientSecret;
    if (exchangeSecret) options.secretValues.add(exchangeSecret);
  }
  for (const issuer of [resolved.auth?.oauth ?? []].flat()) {
    if (issuer.sharedSecret) options.secretValues.add(issuer.sharedSecret);
    // The hub's own client secret at an introspection endpoint, even when written in the file.
    if (issuer.introspection) options.secretValues.add(issuer.introspection.clientSecret);
  }
  return resolved;
}
