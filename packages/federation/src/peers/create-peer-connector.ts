/**
 * Peers as upstreams: an upstream at the MCP endpoint of an imported peer is spoken to over
 * Streamable HTTP, and every HTTP request to it carries a peer token of this hub: `iss` this hub,
 * `aud` the peer, `sub` the end user the request is for (its `io.fedmcp/onBehalfOf`, else this
 * hub), `act` this hub and the hubs before it (its hop trail). Tokens come from one cache per hub
 * (one reusable token per end user and chain); requests to one peer go through one bounded fetch
 * (at most `maxConcurrentRequests` awaiting their answer, over the runtime's keep-alive pool).
 */

import { UpstreamUnavailableError } from '@fedmcp/protocol';
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
import { withDirectPeerCalls } from './direct-peer-calls.js';
import { createNodePeerFetch } from './node-peer-fetch.js';
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
  /**
   * The fetch under the peer token fetch. @default on Node, `node:http` for `http://` peers
   * (lighter than undici's fetch, see node-peer-fetch.ts) and globalThis.fetch for the rest;
   * elsewhere globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * Most requests to one peer awaiting their response headers at once; more wait their turn
   * (see `createBoundedFetch`). `0`: no bound. @default 256
   */
  maxConcurrentRequests?: number;
  /**
   * Send a plain forwarded `tools/call` to a 2026-07-28 peer as one JSON-RPC POST of the hub's
   * own instead of through the SDK client (see direct-peer-calls.ts); `false` sends every
   * request through the SDK client. @default true
   */
  directCalls?: boolean;
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
  const underlyingFetch =
    options.fetch ??
    createNodePeerFetch() ??
    ((input: RequestInfo | URL, init?: RequestInit) => globalThis.fetch(input, init));
  const boundedFetchFor = (peerId: string): BoundedFetch => {
    let bounded = boundedFetches.get(peerId);
    if (!bounded) {
      bounded = createBoundedFetch({
        maxConcurrentRequests: options.maxConcurrentRequests ?? 256,
        fetch: withoutRedirects(peerId, underlyingFetch),
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
    const client = await connectUpstream(spec, {
      clientInfo: connectOptions.clientInfo,
      capabilities: connectOptions.capabilities,
      onClientCreated: (client) => connectOptions.configure(client),
      verdictCache: connectOptions.verdictCache as UpstreamVerdictCache,
      timeoutMs: connectOptions.timeoutMs,
      logger: connectOptions.logger,
      // The trace context of `_meta` also in HTTP headers, for what sits between the hubs.
      fetch: withTraceHeaders(peerFetch),
    });
    if (options.directCalls === false) return client;
    // Plain tools/calls go to the peer as one POST of the hub's own (direct-peer-calls.ts).
    const tokens = cacheFor(issuer);
    return withDirectPeerCalls(client, {
      url: spec.url,
      fetch: boundedFetchFor(id),
      authorization: async (subject, actorChain) =>
        `Bearer ${(await tokens.get({ audience: id, subject: subject ?? issuer, actorChain })).token}`,
    });
  };
}

/**
 * A peer's requests with `redirect: 'error'`: a peer token is never sent on to where a redirect
 * points (peer discovery does not follow redirects either, discover-peer.ts), and, per the Fetch
 * standard's HTTP-network-or-cache fetch (step 8.1), a request that cannot be redirected is not
 * cloned — Node's fetch otherwise tees every request body for a possible replay (issue #18
 * profile of a peer hop: `cloneRequest` → `readableStreamTee`, ~1% of the hubs' busy time). A
 * redirect answer fails the request with an error that names the peer.
 */
function withoutRedirects(peerId: string, fetchImplementation: typeof fetch): typeof fetch {
  return async (input, init) => {
    // `manual` (the upstream transport's own same-origin redirect policy) becomes `error` too.
    if (input instanceof Request || (init?.redirect !== undefined && init.redirect !== 'manual')) {
      return fetchImplementation(input, init);
    }
    if (manualRedirectsOnly) return refuseRedirect(peerId, fetchImplementation, input, init);
    try {
      return await fetchImplementation(input, { ...init, redirect: 'error' });
    } catch (error) {
      // workerd's fetch takes only `follow` and `manual` (it throws before sending anything).
      if (error instanceof TypeError && /invalid redirect value/i.test(error.message)) {
        manualRedirectsOnly = true;
        return refuseRedirect(peerId, fetchImplementation, input, init);
      }
      const cause = (error as { cause?: { message?: unknown } } | undefined)?.cause;
      if (typeof cause?.message !== 'string' || !/redirect/i.test(cause.message)) throw error;
      throw new UpstreamUnavailableError({
        upstreamId: peerId,
        message: `Peer ${peerId} answered with a redirect, which peer requests do not follow: configure the peer's final URL.`,
        cause: error,
      });
    }
  };
}

/** Set once the runtime's fetch refused `redirect: 'error'` (workerd). */
let manualRedirectsOnly = false;

/** `redirect: 'manual'`, and a redirect answer fails the request as `error` would. */
async function refuseRedirect(
  peerId: string,
  fetchImplementation: typeof fetch,
  input: Parameters<typeof fetch>[0],
  init: RequestInit | undefined,
): Promise<Response> {
  const response = await fetchImplementation(input, { ...init, redirect: 'manual' });
  if (response.status < 300 || response.status >= 400 || response.status === 304) return response;
  await response.body?.cancel();
  throw new UpstreamUnavailableError({
    upstreamId: peerId,
    message: `Peer ${peerId} answered with a redirect, which peer requests do not follow: configure the peer's final URL.`,
  });
}
