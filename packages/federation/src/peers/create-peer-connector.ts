/**
 * Peers as upstreams: an upstream at the MCP endpoint of an imported peer is spoken to over
 * Streamable HTTP, and every HTTP request to it carries a peer token of this hub: `iss` this hub,
 * `aud` the peer, `sub` the end user the request is for (its `io.fedmcp/onBehalfOf`, else this
 * hub), `act` this hub and the hubs before it (its hop trail). Tokens come from one cache per hub
 * (one reusable token per end user and chain); requests to one peer go through one bounded fetch
 * (at most `maxConcurrentRequests` awaiting their answer, over the runtime's keep-alive pool).
 */
import {
  createPeerTokenCache,
  createPeerTokenFetch,
  type HubKeyring,
  type PeerTokenCache,
} from '@fedmcp/proxy-auth';
import { connectUpstream, type UpstreamVerdictCache } from '@fedmcp/transports';
import type { Client } from '@modelcontextprotocol/client';
import { connectRemoteUpstream } from '../connect-remote-upstream.js';
import { withTraceHeaders } from '../observe/trace-headers.js';
import type {
  UpstreamConnectOptions,
  UpstreamConnector,
  UpstreamSpec,
} from '../upstream-options.js';
import { type BoundedFetch, createBoundedFetch } from './bounded-fetch.js';
import {
  assertSecurePeerUrl,
  importedPeers,
  type PeersOptions,
  peerMcpEndpoint,
} from './peer-options.js';

/** Options of {@link createPeerConnector}. */
export interface PeerConnectorOptions {
  /**
   * The connector of every other upstream. @default remote upstreams only (`connectRemoteUpstream`;
   * `connectNodeUpstream` from `@fedmcp/federation/node` adds stdio)
   */
  base?: UpstreamConnector;
  /** The peers in force (asked at each connection, so a reload is seen). */
  peers(): PeersOptions | undefined;
  /** This hub's id (`iss` of its peer tokens). */
  hubId(): string;
  /** The keyring in force (re-read after a rotation), e.g. `identity.keyring()`. */
  keyring(): Promise<HubKeyring>;
  /** The fetch under the peer token fetch. @default globalThis.fetch */
  fetch?: typeof fetch;
  /**
   * Most requests to one peer awaiting their response headers at once; more wait their turn
   * (see `createBoundedFetch`). `0`: no bound. @default 256
   */
  maxConcurrentRequests?: number;
}

/**
 * The hub's upstream connector with peers (`createHub({ connect })`): a spec at the MCP endpoint
 * of an imported peer is connected with the peer token fetch; every other spec goes to `base`.
 *
 * @throws {InvalidConfigError} (from the returned connector) for a peer at plain http:// on
 * another machine without `allowInsecure`.
 * @example
 * ```ts
 * const hub = createHub({
 *   hubId: 'a',
 *   upstreams: peerUpstreams(peers),
 *   connect: createPeerConnector({ peers: () => peers, hubId: () => 'a', keyring: identity.keyring }),
 * });
 * ```
 */
export function createPeerConnector(options: PeerConnectorOptions): UpstreamConnector {
  const base = options.base ?? connectRemoteUpstream;
  let tokens: PeerTokenCache | undefined;
  // One bound per peer, kept across reconnects of its upstream.
  const boundedFetches = new Map<string, BoundedFetch>();
  const boundedFetchFor = (peerId: string): BoundedFetch => {
    let bounded = boundedFetches.get(peerId);
    if (!bounded) {
      bounded = createBoundedFetch({
        maxConcurrentRequests: options.maxConcurrentRequests ?? 256,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      boundedFetches.set(peerId, bounded);
    }
    return bounded;
  };
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
    if (!entry || !('url' in spec)) return base(spec, connectOptions);
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
      fetch: boundedFetchFor(id),
    });
    return connectUpstream(spec, {
      clientInfo: connectOptions.clientInfo,
      capabilities: connectOptions.capabilities,
      onClientCreated: (client) => connectOptions.configure(client),
      verdictCache: connectOptions.verdictCache as UpstreamVerdictCache,
      timeoutMs: connectOptions.timeoutMs,
      logger: connectOptions.logger,
      // The trace context of `_meta` also in HTTP headers, for what sits between the hubs.
      fetch: withTraceHeaders(peerFetch),
    });
  };
}
