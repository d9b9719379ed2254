/**
 * Peers as upstreams: each configured peer (unless `import: false`) is an upstream of the hub
 * with the peer's id as upstream id and prefix (`b__c__everything__echo`), spoken to over
 * Streamable HTTP at its MCP endpoint. Every HTTP request to it carries a peer token of this hub:
 * `iss` this hub, `aud` the peer, `sub` the end user the request is for (its
 * `io.fedmcp/onBehalfOf`, else this hub), `act` this hub and the hubs before it (its hop trail).
 */
import {
  HubError,
  type UpstreamConnectOptions,
  type UpstreamConnector,
  type UpstreamSpec,
} from '@fedmcp/federation';
import {
  createPeerTokenCache,
  createPeerTokenFetch,
  type HubKeyring,
  isLoopbackHost,
  type PeerTokenCache,
} from '@fedmcp/proxy-auth';
import { connectUpstream, type UpstreamVerdictCache } from '@fedmcp/transports';
import type { Client } from '@modelcontextprotocol/client';
import type { PeerConfig, PeersConfig } from './peers-config.js';

/** The MCP endpoint of a peer: its URL when it ends with `/mcp`, else `<url>/mcp`. */
export function peerMcpEndpoint(url: string): string {
  const parsed = new URL(url);
  parsed.hash = '';
  if (!/\/mcp\/?$/.test(parsed.pathname)) {
    parsed.pathname = `${parsed.pathname.replace(/\/$/, '')}/mcp`;
  }
  return parsed.href;
}

/** The peers a hub imports (every peer without `import: false`), by id. */
export function importedPeers(peers: PeersConfig | undefined): Array<[string, PeerConfig]> {
  return Object.entries(peers ?? {}).filter(([, peer]) => peer.import !== false);
}

/** The upstream spec of a peer: Streamable HTTP to its MCP endpoint (no SSE fallback). */
export function peerUpstreamSpec(peer: PeerConfig): UpstreamSpec {
  return { url: peerMcpEndpoint(peer.url), type: 'streamable-http' };
}

/**
 * Refuses plain http:// to a peer on another machine unless it has `allowInsecure` (the config
 * check says so too; this guards specs built in code).
 * @throws {HubError} `INVALID_CONFIG`.
 */
export function assertSecurePeerUrl(id: string, peer: PeerConfig): void {
  const url = new URL(peerMcpEndpoint(peer.url));
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && peer.allowInsecure !== true) {
    throw new HubError(
      'INVALID_CONFIG',
      `Peer "${id}" is at plain http:// on another machine (${url.origin}): peer tokens and calls would travel unencrypted. Use https://, or set peers.${id}.allowInsecure: true.`,
    );
  }
}

/** Options of {@link createPeerConnector}. */
export interface PeerConnectorOptions {
  /** The connector of every other upstream. */
  base: UpstreamConnector;
  /** The `peers` section in force. */
  peers(): PeersConfig | undefined;
  /** This hub's id (`iss` of its peer tokens). */
  hubId(): string;
  /** The keyring in force (re-read after a rotation). */
  keyring(): Promise<HubKeyring>;
  /** The fetch under the peer token fetch. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * The hub's upstream connector with peers: a spec at the MCP endpoint of an imported peer is
 * connected with the peer token fetch; every other spec goes to `base`.
 */
export function createPeerConnector(options: PeerConnectorOptions): UpstreamConnector {
  let tokens: PeerTokenCache | undefined;
  const cacheFor = (issuer: string): PeerTokenCache => {
    if (tokens?.issuer !== issuer) {
      tokens = createPeerTokenCache({ keyring: options.keyring, issuer });
    }
    return tokens;
  };

  return async (spec: UpstreamSpec, connectOptions: UpstreamConnectOptions): Promise<Client> => {
    const url = 'url' in spec ? spec.url : undefined;
    const entry =
      url === undefined
        ? undefined
        : importedPeers(options.peers()).find(([, peer]) => peerMcpEndpoint(peer.url) === url);
    if (!entry || !('url' in spec)) return options.base(spec, connectOptions);
    const [id, peer] = entry;
    assertSecurePeerUrl(id, peer);
    const issuer = options.hubId();
    const peerFetch = createPeerTokenFetch({
      cache: cacheFor(issuer),
      audience: id,
      // Requests that are not made for an end user (initialize, lists, notifications, answers
      // to the peer's requests, GET streams) are this hub's own.
      subject: issuer,
      delegationFromBody: true,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    return connectUpstream(spec, {
      clientInfo: connectOptions.clientInfo,
      capabilities: connectOptions.capabilities,
      onClientCreated: (client) => connectOptions.configure(client),
      verdictCache: connectOptions.verdictCache as UpstreamVerdictCache,
      timeoutMs: connectOptions.timeoutMs,
      logger: connectOptions.logger,
      fetch: peerFetch,
    });
  };
}

/**
 * The session owner of a peer principal: the calling hub (`peer|<issuer>`), not the end user. A
 * hub carries many users' requests over one upstream session, each with a token naming its user;
 * binding the session to the user of its first request would refuse every other user's.
 * `undefined` for other principals.
 */
export function peerSessionOwner(principal: unknown): string | undefined {
  const { authMethod, issuer } = (principal ?? {}) as { authMethod?: unknown; issuer?: unknown };
  return authMethod === 'peer' && typeof issuer === 'string' ? `peer|${issuer}` : undefined;
}
