/**
 * Where a config's files are: relative paths in a config file (data directory, sqlite store, key
 * files, pin file, TLS files, secrets files) resolve against the folder of the config file, not
 * the working directory, so a hub started by Claude Desktop in `/` finds the same state as
 * `fedmcp keys show --config <file>` run from anywhere. Without a config file the state lives in
 * the per-user data directory.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve, win32 } from 'node:path';
import type { FedmcpConfig } from './config-schema.js';

/** What {@link userDataDirectory} reads, injectable for tests. */
export interface UserDataDirectoryOptions {
  /** @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** @default process.platform */
  platform?: NodeJS.Platform;
  /** @default os.homedir() */
  home?: string;
}

/**
 * The per-user data directory of fedmcp, where a hub without a config file keeps its state:
 * `$XDG_DATA_HOME/fedmcp` or `~/.local/share/fedmcp` on Linux and other Unix systems,
 * `~/Library/Application Support/fedmcp` on macOS, `%LOCALAPPDATA%\fedmcp` on Windows.
 */
export function userDataDirectory(options: UserDataDirectoryOptions = {}): string {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.home ?? homedir();
  if (platform === 'win32') {
    return win32.join(env.LOCALAPPDATA ?? win32.join(home, 'AppData', 'Local'), 'fedmcp');
  }
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'fedmcp');
  const xdg = env.XDG_DATA_HOME;
  // XDG Base Directory spec: a relative $XDG_DATA_HOME is invalid and must be ignored.
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.local', 'share'), 'fedmcp');
}

/** The file of a `sqlite:PATH` or `sqlite://PATH` store URL, as `createStore` reads it. */
function sqlitePath(store: string | undefined): string | undefined {
  if (!store?.startsWith('sqlite:')) return undefined;
  return store.startsWith('sqlite://')
    ? store.slice('sqlite://'.length)
    : store.slice('sqlite:'.length);
}

/**
 * The config with every relative file path made absolute against `baseDirectory` (absolute paths
 * stay as they are): `hub.dataDir`, `hub.keys.file`, `hub.tls.cert|key|ca`, a `sqlite:` store,
 * `pinning.pinFile`, `secrets.file|keyFile`. `loadConfig` applies it with the config file's
 * folder.
 */
export function resolveConfigPaths(config: FedmcpConfig, baseDirectory: string): FedmcpConfig {
  const at = (path: string) => resolve(baseDirectory, path);
  const { hub } = config;
  const dataDir = at(hub.dataDir);
  const sqlite = sqlitePath(config.store);
  return {
    ...config,
    hub: {
      ...hub,
      dataDir,
      ...(hub.keys?.file ? { keys: { ...hub.keys, file: at(hub.keys.file) } } : {}),
      ...(hub.tls
        ? {
            tls: {
              ...hub.tls,
              cert: at(hub.tls.cert),
              key: at(hub.tls.key),
              ...(hub.tls.ca ? { ca: at(hub.tls.ca) } : {}),
            },
          }
        : {}),
    },
    // `sqlite:` alone is the data directory's state database, as without a `store` key.
    ...(sqlite === undefined || sqlite === ':memory:'
      ? {}
      : { store: `sqlite:${sqlite === '' ? join(dataDir, 'state.db') : at(sqlite)}` }),
    pinning: {
      ...config.pinning,
      ...(config.pinning.pinFile ? { pinFile: at(config.pinning.pinFile) } : {}),
    },
    ...(config.secrets
      ? {
          secrets: {
            ...config.secrets,
            ...(config.secrets.file ? { file: at(config.secrets.file) } : {}),
            ...(config.secrets.keyFile ? { keyFile: at(config.secrets.keyFile) } : {}),
          },
        }
      : {}),
  };
}
