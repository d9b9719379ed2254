/**
 * Peer tokens at the hub's front door. A request whose bearer token is a peer token (its `typ`
 * is `fedmcp-peer+jwt`, or its issuer is a configured peer) is authenticated by the peer token
 * verifier — against the peer's keys, with the audience bound to this hub's id and replayed
 * `jti`s refused through the store — and every other request goes to the configured `auth`.
 * The principal carries `authMethod: 'peer'`, the end user as `subject` and `via` (the hubs).
 */
import {
  type AuditLog,
  authenticateRequest,
  authenticationErrorResponse,
  createPeerTokenVerifier,
  PEER_TOKEN_TYPE,
  type PeerTokenVerifier,
  type Principal,
  type TrustedPeer,
} from '@fedmcp/proxy-auth';
import type { KeyValueStore } from '@fedmcp/store';
import type { FedmcpConfig } from '../config/config-schema.js';
import { peerBaseUrl } from './peers-config.js';

/** Options of {@link createPeerAuthentication}. */
export interface PeerAuthenticationOptions {
  config: FedmcpConfig;
  /** This hub's id (the `aud` peer tokens must carry). */
  hubId: string;
  /** Where used token ids are remembered (`store.kv`). */
  replayStore: Pick<KeyValueStore, 'compareAndSet' | 'get'>;
  audit: AuditLog;
  /** The fetch for peers' discovery documents and key sets. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Successful authentications of one principal are recorded once per interval. @default 60000 */
  successAuditIntervalMs?: number;
  /** Minimum time between two key set fetches of one peer. @default 30000 */
  jwksCooldownMs?: number;
}

/** Peer authentication of a running hub. */
export interface PeerAuthentication {
  /**
   * The principal or the 401 response when the request carries a peer token; `undefined` when it
   * does not (the configured `auth` decides then).
   */
  authenticate(request: Request): Promise<Principal | Response> | undefined;
  /** Applies a new `peers` section. */
  reload(config: FedmcpConfig): void;
}

/** The trusted peers of a `peers` section, as the verifier takes them. */
export function trustedPeersOf(config: FedmcpConfig): Record<string, TrustedPeer> {
  return Object.fromEntries(
    Object.entries(config.peers ?? {}).map(([id, peer]) => [
      id,
      {
        url: peerBaseUrl(peer.url),
        ...(peer.jwksUri ? { jwksUri: peer.jwksUri } : {}),
        ...(peer.keys ? { keys: peer.keys as TrustedPeer['keys'] & object } : {}),
        ...(peer.fingerprint ? { fingerprint: peer.fingerprint } : {}),
        ...(peer.acceptGroups ? { acceptGroups: true } : {}),
      },
    ]),
  );
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

// Unverified: only decides which authenticator looks at the token, never whether it is accepted.
function decodeSegment(segment: string): Record<string, unknown> | undefined {
  const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Builds the peer authentication of a hub.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when a peer has no source of keys.
 */
export function createPeerAuthentication(options: PeerAuthenticationOptions): PeerAuthentication {
  const intervalMs = options.successAuditIntervalMs ?? 60_000;
  const lastSuccess = new Map<string, number>();
  const build = (config: FedmcpConfig) => {
    const trustedPeers = trustedPeersOf(config);
    const verifier: PeerTokenVerifier = createPeerTokenVerifier({
      selfId: options.hubId,
      trustedPeers,
      replayStore: options.replayStore,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.jwksCooldownMs === undefined ? {} : { jwksCooldownMs: options.jwksCooldownMs }),
    });
    return { verifier, peerIds: new Set(Object.keys(trustedPeers)) };
  };
  let state = build(options.config);

  const isPeerToken = (request: Request): boolean => {
    const match = BEARER.exec(request.headers.get('authorization') ?? '');
    const token = match?.[1];
    const [header, payload, signature] = token?.split('.') ?? [];
    if (header === undefined || payload === undefined || signature === undefined) return false;
    try {
      if (decodeSegment(header)?.typ === PEER_TOKEN_TYPE) return true;
      const issuer = decodeSegment(payload)?.iss;
      return typeof issuer === 'string' && state.peerIds.has(issuer);
    } catch {
      return false;
    }
  };

  async function authenticate(request: Request): Promise<Principal | Response> {
    const action = `${request.method} ${new URL(request.url).pathname}`;
    try {
      const principal = await authenticateRequest({ headers: request.headers }, [state.verifier]);
      const key = `${principal.issuer}\u0000${principal.subject}\u0000${(principal.via ?? []).join(',')}`;
      const last = lastSuccess.get(key);
      if (last === undefined || Date.now() - last >= intervalMs) {
        if (lastSuccess.size >= 10_000) lastSuccess.clear();
        lastSuccess.set(key, Date.now());
        await options.audit.record({ type: 'auth', outcome: 'success', principal, action });
      }
      return principal;
    } catch (error) {
      const refusal = authenticationErrorResponse(error);
      await options.audit.record({
        type: 'auth',
        outcome: refusal ? 'failure' : 'error',
        action,
        reason: error instanceof Error ? error.message : String(error),
        details: { method: 'peer', ...(refusal ? { status: refusal.status } : {}) },
      });
      if (refusal) return refusal;
      throw error;
    }
  }

  return {
    authenticate: (request) => (isPeerToken(request) ? authenticate(request) : undefined),
    reload(config) {
      state = build(config);
    },
  };
}
