import {
  importedPeers,
  peerUpstreamSpec,
  type UpstreamConfig,
  type UpstreamCredentials,
  type UpstreamOptions,
  type UpstreamSpec,
} from '@fedmcp/federation';
import type { UpstreamOAuthConfig } from '@fedmcp/proxy-auth';
import type { FedmcpConfig, McpServerEntry } from './config/config-schema.js';
import { upstreamIdFromName } from './config/config-schema.js';
import type { TokenExchangeConfig } from './config/token-exchange-config.js';

/** An enabled `mcpServers` entry or an imported peer, ready for the hub's upstream registry. */
export interface ConfiguredUpstream {
  /** The `mcpServers` key it came from, or `peers.<id>` for a peer. */
  name: string;
  /** The peer's id, when the upstream is a peer hub. */
  peer?: string;
  /** The hub's upstream id (the key, or a slug of it). */
  id: string;
  /** Where the upstream lives (Claude Desktop's keys). */
  spec: UpstreamSpec;
  /** How the hub treats it (fedmcp's keys). */
  options: UpstreamOptions;
  /** Its `oauth` block: the hub is an OAuth client of it. */
  oauth?: UpstreamOAuthConfig;
  /** Its `tokenExchange` block: callers' tokens exchanged for its own (RFC 8693). */
  tokenExchange?: TokenExchangeConfig;
}

/** The spec and options of an entry together, as `createHub({ upstreams })` takes them. */
export function toUpstreamConfig(upstream: ConfiguredUpstream): UpstreamConfig {
  return { ...upstream.spec, ...upstream.options } as UpstreamConfig;
}

/** Builds an upstream's per-caller credentials from its `principalCredentials` (see `createPrincipalCredentials`). */
export type CredentialsFactory = (
  name: string,
  template: NonNullable<McpServerEntry['principalCredentials']>,
) => UpstreamCredentials;

function split(
  id: string,
  name: string,
  entry: McpServerEntry,
  credentialsFor: CredentialsFactory | undefined,
): Pick<ConfiguredUpstream, 'spec' | 'options' | 'oauth' | 'tokenExchange'> {
  const {
    enabled: _enabled,
    tools,
    prefix,
    timeoutMs,
    isolation,
    maxConnections,
    failureMode,
    requiresClientCapabilities,
    principalCredentials,
    exposure,
    oauth,
    tokenExchange,
    ...spec
  } = entry as McpServerEntry & {
    oauth?: UpstreamOAuthConfig;
    tokenExchange?: TokenExchangeConfig;
  };
  const options: UpstreamOptions = { prefix: prefix ?? id };
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
  if (isolation !== undefined) options.isolation = isolation;
  if (maxConnections !== undefined) options.maxConnections = maxConnections;
  if (failureMode !== undefined) options.failureMode = failureMode;
  if (requiresClientCapabilities !== undefined) {
    options.requiresClientCapabilities = requiresClientCapabilities;
  }
  if (tools !== undefined) options.tools = tools;
  if (exposure !== undefined) options.exposure = exposure;
  if (principalCredentials && credentialsFor) {
    options.credentials = credentialsFor(name, principalCredentials);
  }
  return {
    spec: spec as UpstreamSpec,
    options,
    ...(oauth && { oauth }),
    ...(tokenExchange && { tokenExchange }),
  };
}

/**
 * The enabled `mcpServers` entries of a config and its imported peers (each `peers` entry without
 * `import: false`: upstream id and prefix = the peer id), keyed by upstream id.
 * @throws Error when two names map to the same upstream id (a peer id included).
 */
export function upstreamsFromConfig(
  config: FedmcpConfig,
  credentialsFor?: CredentialsFactory,
): Map<string, ConfiguredUpstream> {
  const upstreams = new Map<string, ConfiguredUpstream>();
  for (const [name, entry] of Object.entries(config.mcpServers)) {
    if (entry.enabled === false) continue;
    const id = upstreamIdFromName(name);
    const existing = upstreams.get(id);
    if (existing) {
      throw new Error(
        `mcpServers."${existing.name}" and mcpServers."${name}" both become upstream id "${id}"; rename one of them.`,
      );
    }
    upstreams.set(id, { name, id, ...split(id, name, entry, credentialsFor) });
  }
  for (const [id, peer] of importedPeers(config.peers)) {
    const existing = upstreams.get(id);
    if (existing) {
      throw new Error(
        `mcpServers."${existing.name}" and peers."${id}" both become upstream id "${id}"; rename the server, or set peers."${id}".import to false.`,
      );
    }
    const options: UpstreamOptions = { prefix: id };
    if (peer.timeoutMs !== undefined) options.timeoutMs = peer.timeoutMs;
    upstreams.set(id, { name: `peers.${id}`, id, peer: id, spec: peerUpstreamSpec(peer), options });
  }
  return upstreams;
}
