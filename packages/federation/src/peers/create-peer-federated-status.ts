/**
 * The federated status of a hub with peers: `createFederatedStatus`, each peer's own status
 * fetched from the peer's `/status` with this hub's peer token.
 */
import {
  createPeerTokenCache,
  createPeerTokenFetch,
  type HubKeyring,
  type PeerTokenCache,
} from '@fedmcp/proxy-auth';
import { createFederatedStatus, type FederatedStatus } from '../federated-status.js';
import type { UpstreamStatus } from '../hub-options.js';
import { assertSecurePeerUrl, type PeersOptions } from './peer-options.js';

/** Options of {@link createPeerFederatedStatus}. */
export interface PeerFederatedStatusOptions {
  /** This hub's id, name and version. */
  hub(): { id: string; name: string; version: string };
  /** The upstreams and their states (`hub.upstreams.list()`). */
  upstreams(): ReadonlyArray<Pick<UpstreamStatus, 'id' | 'state' | 'tools' | 'error'>>;
  /** The peer id behind an upstream id, when the upstream is a peer. @default the upstream id, when it is an imported peer's */
  peerOf?(upstreamId: string): string | undefined;
  /** The peers in force. */
  peers(): PeersOptions | undefined;
  /** The keyring in force, e.g. `identity.keyring()`. */
  keyring(): Promise<HubKeyring>;
  /** Largest depth served (the hub's max hops). @default 4 */
  maxDepth?: number;
  /** How long a peer's answer is reused. @default 5000 */
  cacheMs?: number;
  /** Timeout of one peer status fetch. @default 3000 */
  timeoutMs?: number;
  /** The fetch under the peer token fetch. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * The federated status of a running hub: peers are asked with this hub's peer tokens (never over
 * plain http:// to another machine without `allowInsecure`).
 *
 * @example
 * ```ts
 * const status = createPeerFederatedStatus({ hub: () => info, upstreams: () => hub.upstreams.list(),
 *   peers: () => peers, keyring: identity.keyring });
 * await status.status({ depth: 2 });
 * ```
 */
export function createPeerFederatedStatus(options: PeerFederatedStatusOptions): FederatedStatus {
  let tokens: PeerTokenCache | undefined;
  const cacheFor = (issuer: string): PeerTokenCache => {
    if (tokens?.issuer !== issuer) {
      tokens = createPeerTokenCache({ keyring: options.keyring, issuer });
    }
    return tokens;
  };
  const peerOf =
    options.peerOf ??
    ((upstreamId: string) => {
      const peer = options.peers()?.[upstreamId];
      return peer && peer.import !== false ? upstreamId : undefined;
    });
  return createFederatedStatus({
    hub: options.hub,
    upstreams: options.upstreams,
    ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
    ...(options.cacheMs === undefined ? {} : { cacheMs: options.cacheMs }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    peer(upstreamId) {
      const id = peerOf(upstreamId);
      const peer = id === undefined ? undefined : options.peers()?.[id];
      if (id === undefined || !peer) return undefined;
      const issuer = options.hub().id;
      const peerFetch = createPeerTokenFetch({
        cache: cacheFor(issuer),
        audience: id,
        subject: issuer,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      return {
        url: peer.url,
        fetch: async (input, init) => {
          // Never send a peer token over plain http:// to another machine.
          assertSecurePeerUrl(id, peer);
          return peerFetch(input, init);
        },
      };
    },
  });
}
