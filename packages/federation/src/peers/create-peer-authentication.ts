/**
 * Peer tokens at the hub's front door. A request whose bearer token is a peer token (its `typ` is
 * `fedmcp-peer+jwt`, or its issuer is a known peer) is authenticated by the peer token verifier —
 * against the peer's keys, with the audience bound to this hub's id and replayed `jti`s refused
 * through the replay store — and every other request is left to the hub's own authentication.
 * The principal carries `authMethod: 'peer'`, the end user as `subject` and `via` (the hubs).
 */

import { FedmcpError } from '@fedmcp/protocol';
import {
  type AuditLog,
  authenticateRequest,
  authenticationErrorResponse,
  createPeerTokenVerifier,
  PEER_TOKEN_TYPE,
  type PeerTokenVerifier,
  type Principal,
} from '@fedmcp/proxy-auth';
import type { KeyValueStore } from '@fedmcp/store';
import type { McpAuthRequest } from '@fedmcp/transports';
import { type PeersOptions, toTrustedPeers } from './peer-options.js';

/** Options of {@link createPeerAuthentication}. */
export interface PeerAuthenticationOptions {
  /** This hub's id (the `aud` peer tokens must carry). */
  hubId: string;
  /** The peers whose tokens are accepted (every peer, imported or not). */
  peers: PeersOptions | undefined;
  /** Where used token ids are remembered (`store.kv`; share it between replicas). */
  replayStore: Pick<KeyValueStore, 'compareAndSet' | 'get'>;
  /** Where authentication results are recorded. @default none */
  audit?: AuditLog;
  /** The fetch for peers' discovery documents and key sets. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Successful authentications of one principal are recorded once per interval. @default 60000 */
  successAuditIntervalMs?: number;
  /** Minimum time between two key set fetches of one peer. @default 30000 */
  jwksCooldownMs?: number;
}

/** Peer authentication of a running hub. See {@link createPeerAuthentication}. */
export interface PeerAuthentication {
  /**
   * The principal, or the 401 response to send, when the request carries a peer token;
   * `undefined` when it does not (the hub's own authentication decides then).
   */
  authenticate(request: McpAuthRequest): Promise<Principal | Response> | undefined;
  /** Applies a new set of peers (a reload). */
  setPeers(peers: PeersOptions | undefined): void;
}

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The answer to a peer token that cannot be checked yet because the peer's keys (or its discovery
 * document) cannot be fetched: 503 with `Retry-After` and the reason, not a 500 — the calling hub
 * is typically still starting, and retries.
 */
function keysUnavailableResponse(error: FedmcpError): Response {
  const retryAfterMs = error.data?.retryAfterMs;
  const seconds =
    typeof retryAfterMs === 'number' && retryAfterMs > 0 ? Math.ceil(retryAfterMs / 1000) : 1;
  const { code } = error.toJsonRpcError();
  return new Response(
    JSON.stringify({
      jsonrpc: '2.0',
      id: null,
      error: {
        code,
        message: `The peer token cannot be checked now: ${error.message} Retry later.`,
      },
    }),
    {
      status: 503,
      headers: {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        'retry-after': String(seconds),
      },
    },
  );
}

const decoder = new TextDecoder();

// Unverified: only decides which authenticator looks at the token, never whether it is accepted.
function decodeSegment(segment: string): Record<string, unknown> | undefined {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), '='));
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  const value: unknown = JSON.parse(decoder.decode(bytes));
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Most peer tokens remembered as such. */
const MAX_REMEMBERED_PEER_TOKENS = 10_000;

/**
 * Builds the peer authentication of a hub: put its `authenticate` first in the host's
 * authenticate hook, and fall back to the hub's own when it answers `undefined`.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when a peer has no source of keys.
 * @example
 * ```ts
 * const peerAuthentication = createPeerAuthentication({ hubId: 'b', peers, replayStore: store.kv });
 * createMcpHttpHost({ authenticate: (request) => peerAuthentication.authenticate(request) ?? ownAuth(request), … });
 * ```
 */
export function createPeerAuthentication(options: PeerAuthenticationOptions): PeerAuthentication {
  const intervalMs = options.successAuditIntervalMs ?? 60_000;
  const lastSuccess = new Map<string, number>();
  const build = (peers: PeersOptions | undefined) => {
    const trustedPeers = toTrustedPeers(peers);
    const verifier: PeerTokenVerifier = createPeerTokenVerifier({
      selfId: options.hubId,
      trustedPeers,
      replayStore: options.replayStore,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.jwksCooldownMs === undefined ? {} : { jwksCooldownMs: options.jwksCooldownMs }),
    });
    return { verifier, peerIds: new Set(Object.keys(trustedPeers)) };
  };
  let state = build(options.peers);

  // A peer reuses its tokens for many requests: the peer tokens seen are remembered (by the whole
  // token, as the verifier remembers them; forgotten with the peers, whose ids decide it too).
  // Other bearer tokens (API keys, OAuth tokens) are looked at each time and never kept.
  let peerTokens = new Set<string>();
  const classify = (token: string): boolean => {
    const [header, payload, signature] = token.split('.');
    if (header === undefined || payload === undefined || signature === undefined) return false;
    try {
      if (decodeSegment(header)?.typ === PEER_TOKEN_TYPE) return true;
      const issuer = decodeSegment(payload)?.iss;
      return typeof issuer === 'string' && state.peerIds.has(issuer);
    } catch {
      return false;
    }
  };
  /** The request's bearer token when it is a peer token. */
  const peerTokenOf = (request: McpAuthRequest): string | undefined => {
    const match = BEARER.exec(request.headers.get('authorization') ?? '');
    const token = match?.[1];
    if (token === undefined) return undefined;
    if (peerTokens.has(token)) return token;
    if (!classify(token)) return undefined;
    if (peerTokens.size >= MAX_REMEMBERED_PEER_TOKENS) peerTokens = new Set();
    peerTokens.add(token);
    return token;
  };

  /** Records a success once per interval per principal (the promise of the record, if any). */
  const recordSuccess = (request: McpAuthRequest, principal: Principal) => {
    const key = `${principal.issuer}\u0000${principal.subject}\u0000${(principal.via ?? []).join(',')}`;
    const last = lastSuccess.get(key);
    if (last !== undefined && Date.now() - last < intervalMs) return undefined;
    if (lastSuccess.size >= 10_000) lastSuccess.clear();
    lastSuccess.set(key, Date.now());
    return options.audit?.record({
      type: 'auth',
      outcome: 'success',
      principal,
      action: `${request.method} ${new URL(request.url).pathname}`,
    });
  };

  async function authenticate(request: McpAuthRequest): Promise<Principal | Response> {
    // Only audit records need it (once a minute per principal on success).
    const actionOf = () => `${request.method} ${new URL(request.url).pathname}`;
    try {
      const principal = await authenticateRequest({ headers: request.headers }, [state.verifier]);
      await recordSuccess(request, principal);
      return principal;
    } catch (error) {
      const refusal = authenticationErrorResponse(error);
      const unavailable =
        !refusal && FedmcpError.isInstance(error) && error.code === 'UPSTREAM_UNAVAILABLE'
          ? keysUnavailableResponse(error)
          : undefined;
      const status = (refusal ?? unavailable)?.status;
      await options.audit?.record({
        type: 'auth',
        outcome: refusal ? 'failure' : 'error',
        action: actionOf(),
        reason: error instanceof Error ? error.message : String(error),
        details: { method: 'peer', ...(status === undefined ? {} : { status }) },
      });
      if (refusal) return refusal;
      if (unavailable) return unavailable;
      throw error;
    }
  }

  return {
    authenticate(request) {
      const token = peerTokenOf(request);
      if (token === undefined) return undefined;
      // A reusable token verified before (every check passed then, authenticateRequest's too):
      // the remembered principal, without another pass through the authenticator list.
      const principal = state.verifier.remembered(token);
      if (!principal) return authenticate(request);
      const recorded = recordSuccess(request, principal);
      return recorded ? recorded.then(() => principal) : Promise.resolve(principal);
    },
    setPeers(peers) {
      state = build(peers);
      peerTokens = new Set();
    },
  };
}
