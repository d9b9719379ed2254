import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { type FedmcpConfig, loadConfig, parseConfig, userDataDirectory } from '@fedmcp/server';

/** The default config file, looked up in the working directory. */
export const defaultConfigFile = 'fedmcp.config.json';

/** A config and the file it came from (none when the defaults are in use). */
export interface ResolvedConfig {
  config: FedmcpConfig;
  file: string | undefined;
}

/**
 * Loads `--config FILE` (which must exist), else `./fedmcp.config.json` when present, else the
 * built-in defaults (no upstreams, state in the per-user data directory). Relative paths of a
 * config file are resolved against its folder, whatever the working directory.
 * @throws ConfigError naming the bad keys.
 */
export async function resolveConfig(option: string | undefined): Promise<ResolvedConfig> {
  if (option !== undefined) {
    const file = resolve(option);
    return { config: await loadConfig(file), file };
  }
  const file = resolve(defaultConfigFile);
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (exists) return { config: await loadConfig(file), file };
  // No config file: state in the per-user data directory, never the working directory (Claude
  // Desktop starts its servers in `/`).
  return {
    config: parseConfig({ hub: { dataDir: userDataDirectory() } }, '(defaults)'),
    file: undefined,
  };
}
