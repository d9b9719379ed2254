/**
 * The running hub's identity: its id and its signing keys, kept in the keys file (created with
 * one key on first start, mode 0600). The file is re-read when it changes, so a `fedmcp keys
 * rotate` while the hub runs is served at `/.well-known/jwks.json` without a restart.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { createHubKeyring, DEFAULT_KEY_GRACE_PERIOD_MS, type HubKeyring } from '@fedmcp/proxy-auth';
import { hubKeysPath, loadOrCreateHubKeys } from '@fedmcp/proxy-auth/node';
import { type FedmcpConfig, upstreamIdFromName } from '../config/config-schema.js';

/** The hub's keys, as the running server sees them. */
export interface ServerHubIdentity {
  /** The keys file. */
  readonly path: string;
  /** The keyring, re-read when the keys file changed since the last call. */
  keyring(): Promise<HubKeyring>;
}

/** The keys file of a config: `hub.keys.file`, or `<dataDir>/hub-keys.json`, from `baseDirectory`. */
export function hubKeysFile(config: FedmcpConfig, baseDirectory: string): string {
  const file = config.hub.keys?.file;
  if (file !== undefined) return isAbsolute(file) ? file : join(baseDirectory, file);
  const dataDirectory = isAbsolute(config.hub.dataDir)
    ? config.hub.dataDir
    : join(baseDirectory, config.hub.dataDir);
  return hubKeysPath(dataDirectory);
}

/** The grace period of a config's `hub.keys.gracePeriodHours`, in ms. */
export function keyGracePeriodMs(config: FedmcpConfig): number {
  const hours = config.hub.keys?.gracePeriodHours;
  return hours === undefined ? DEFAULT_KEY_GRACE_PERIOD_MS : hours * 3_600_000;
}

/**
 * The hub id: `hub.id`, else one derived from the canonical URL's host and port
 * (`https://hub.example.com/mcp` → `hub-example-com`), as a valid hub id
 * (`[a-z0-9][a-z0-9-]{0,31}`) — the protocol's ids are namespace prefixes, so a URL cannot be one.
 */
export function hubIdOf(config: FedmcpConfig, resource: string): string {
  if (config.hub.id !== undefined) return upstreamIdFromName(config.hub.id);
  const url = new URL(resource);
  const defaultPort = url.port === '' || url.port === (url.protocol === 'https:' ? '443' : '80');
  return upstreamIdFromName(defaultPort ? url.hostname : `${url.hostname}-${url.port}`);
}

/**
 * Opens the hub's keys, creating the keys file on first start — or, with `lazy`, on first use
 * (for ephemeral hubs on the `memory:` store, which should not write to disk until federation is
 * used).
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when the keys file is readable by others or invalid.
 */
export async function openServerHubIdentity(options: {
  config: FedmcpConfig;
  baseDirectory: string;
  now?: () => number;
  /** Create or read the keys file on the first {@link ServerHubIdentity.keyring} call. @default false */
  lazy?: boolean;
}): Promise<ServerHubIdentity> {
  const path = hubKeysFile(options.config, options.baseDirectory);
  const keyringOptions = {
    gracePeriodMs: keyGracePeriodMs(options.config),
    ...(options.now ? { now: options.now } : {}),
  };
  const algorithm = options.config.hub.keys?.algorithm;
  const open = async () => {
    const { keys } = await loadOrCreateHubKeys(path, algorithm ? { algorithm } : {});
    const keyring = await createHubKeyring({ keys, ...keyringOptions });
    return { keyring, loadedAt: (await stat(path)).mtimeMs };
  };
  let opened = options.lazy ? undefined : await open();
  let reloading: Promise<HubKeyring> | undefined;

  async function reload(): Promise<HubKeyring> {
    if (!opened) {
      opened = await open();
      return opened.keyring;
    }
    const changedAt = (await stat(path)).mtimeMs;
    if (changedAt === opened.loadedAt) return opened.keyring;
    const next = await loadOrCreateHubKeys(path, algorithm ? { algorithm } : {});
    opened = {
      keyring: await createHubKeyring({ keys: next.keys, ...keyringOptions }),
      loadedAt: changedAt,
    };
    return opened.keyring;
  }

  return {
    path,
    async keyring() {
      reloading ??= reload().finally(() => {
        reloading = undefined;
      });
      // A broken rewrite of the file keeps the last good keys in service.
      return reloading.catch((error: unknown) => {
        if (opened) return opened.keyring;
        throw error;
      });
    },
  };
}
