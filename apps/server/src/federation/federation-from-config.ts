/**
 * The config file's federation settings as the options of the `@fedmcp/federation` peer pieces:
 * the hub id, the keys file, the discovery document and the trusted peers of a `FedmcpConfig`.
 */
import { isAbsolute, join } from 'node:path';
import { createDiscoveryDocument, hubIdFromUrl, toTrustedPeers } from '@fedmcp/federation';
import { type HubIdentityFile, openHubIdentityFile } from '@fedmcp/federation/node';
import { type DiscoveryDocument, FEDMCP_VERSION } from '@fedmcp/protocol';
import { DEFAULT_KEY_GRACE_PERIOD_MS, type TrustedPeer } from '@fedmcp/proxy-auth';
import { hubKeysPath } from '@fedmcp/proxy-auth/node';
import { type FedmcpConfig, upstreamIdFromName } from '../config/config-schema.js';

/** The software version in discovery documents and `/status`. */
export const FEDMCP_SERVER_VERSION: string = FEDMCP_VERSION;

/** The hub's keys, as the running server sees them (its keys file). */
export type ServerHubIdentity = HubIdentityFile;

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
 * (`https://hub.example.com/mcp` → `hub-example-com`; see `hubIdFromUrl`).
 */
export function hubIdOf(config: FedmcpConfig, resource: string): string {
  if (config.hub.id !== undefined) return upstreamIdFromName(config.hub.id);
  return hubIdFromUrl(resource);
}

/**
 * The discovery document of a hub whose canonical MCP endpoint is `resource`.
 *
 * @example
 * ```ts
 * buildDiscoveryDocument(config, 'https://hub.example.com/mcp'); // { hubId: 'hub-example-com', … }
 * ```
 */
export function buildDiscoveryDocument(config: FedmcpConfig, resource: string): DiscoveryDocument {
  return createDiscoveryDocument({
    hubId: hubIdOf(config, resource),
    endpoint: resource,
    name: config.hub.name ?? 'fedmcp',
    version: FEDMCP_SERVER_VERSION,
    transports: config.hub.transports,
    ...(config.hub.maxHops === undefined ? {} : { maxHops: config.hub.maxHops }),
  });
}

/** The trusted peers of a config's `peers` section, as the peer token verifier takes them. */
export function trustedPeersOf(config: FedmcpConfig): Record<string, TrustedPeer> {
  return toTrustedPeers(config.peers);
}

/**
 * Opens the hub's keys file (see {@link hubKeysFile}), creating it on first start — or, with
 * `lazy`, on first use (for ephemeral hubs on the `memory:` store, which should not write to disk
 * until federation is used).
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when the keys file is readable by others or invalid.
 */
export function openServerHubIdentity(options: {
  config: FedmcpConfig;
  baseDirectory: string;
  now?: () => number;
  /** Create or read the keys file on the first `keyring()` call. @default false */
  lazy?: boolean;
}): Promise<ServerHubIdentity> {
  const algorithm = options.config.hub.keys?.algorithm;
  return openHubIdentityFile({
    path: hubKeysFile(options.config, options.baseDirectory),
    gracePeriodMs: keyGracePeriodMs(options.config),
    ...(algorithm ? { algorithm } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.lazy ? { lazy: true } : {}),
  });
}
