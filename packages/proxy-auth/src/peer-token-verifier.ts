/**
 * The receiving side of peer tokens: verifies the JWT a peer hub sent against that peer's keys
 * (a pinned JWK Set, its `jwksUri`, or the `jwksUri` of its discovery document, optionally pinned
 * to key fingerprints; fetched keys are cached, refetched on an unknown `kid` at most once per
 * cooldown), checks audience, lifetime (≤ 300 s) and the actor chain, and yields a principal with
 * `authMethod: 'peer'` and `via`.
 *
 * Replay. A one-time token (no `reusable` claim) is refused the second time through the replay
 * store (accepted again only inside the MCP session it was first used in). A `reusable` token —
 * what a calling hub's `createPeerTokenCache` mints, so that a hop signs and verifies nothing on
 * the hot path — is verified once and its principal remembered, keyed by the whole token, until
 * the token expires (plus the clock tolerance): every later request with it costs a map lookup.
 * Such a token can be replayed within its lifetime by whoever holds it, as a 2025-era session's
 * token always could be by whoever held the session id that travels beside it; what bounds it is
 * what it is signed for — this hub only (`aud`), one end user and one delegation chain — its
 * lifetime (≤ 300 s, 120 s by default), TLS between hubs on different machines, and the trust
 * settings: a new set of trusted peers builds a new verifier with an empty cache.
 */
import {
  actorChain,
  DISCOVERY_DOCUMENT_PATH,
  FedmcpError,
  PEER_TOKEN_MAX_LIFETIME_SECONDS,
  PeerTokenClaimsSchema,
  parseDiscoveryDocument,
} from '@fedmcp/protocol';
import type { KeyValueStore } from '@fedmcp/store';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { API_KEY_PREFIX } from './api-keys.js';
import { invalidCredentialsError } from './auth-errors.js';
import type { Authenticator, HeadersLike } from './authenticate-request.js';
import { normaliseFingerprint } from './hub-identity.js';
import { createJwksCache } from './jwks-cache.js';
import { PEER_TOKEN_REUSABLE_CLAIM } from './peer-token.js';
import type { Principal } from './principal.js';

/** The algorithms peer tokens may use. */
export const PEER_TOKEN_ALGORITHMS: readonly string[] = ['EdDSA', 'Ed25519', 'ES256'];

/** How a receiving hub trusts one peer. Give at least one of `keys`, `jwksUri`, `url`. */
export interface TrustedPeer {
  /** The peer's key set URL. @default the `jwksUri` of the discovery document at `url` */
  jwksUri?: string;
  /** Pinned public keys; no fetch then. */
  keys?: JSONWebKeySet;
  /** Only keys with these fingerprints (`SHA256:<thumbprint>`) are accepted. */
  fingerprint?: string | readonly string[];
  /** The peer's base URL, to find its discovery document when `jwksUri` and `keys` are absent. */
  url?: string;
  /**
   * Take the end user's groups from the token's `groups` claim (the peer vouches for them), so
   * `group:` policy subjects match users arriving through this peer. @default false: no groups
   */
  acceptGroups?: boolean;
}

/** Options of {@link createPeerTokenVerifier}. */
export interface PeerTokenVerifierOptions {
  /** This hub's id: the required `aud`. */
  selfId: string;
  /** The peers this hub accepts tokens from, by hub id. */
  trustedPeers: Readonly<Record<string, TrustedPeer>>;
  /** Where used `jti`s are remembered until the token expires (`store.kv`); share it between replicas. */
  replayStore: Pick<KeyValueStore, 'compareAndSet' | 'get'>;
  /** Key prefix of the replay records. @default 'peer-jti:' */
  replayKeyPrefix?: string;
  /** The fetch for key sets and discovery documents. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Allowed clock skew in seconds. @default 30 */
  clockToleranceSeconds?: number;
  /** The clock. @default Date.now */
  now?: () => number;
  /** Minimum time between two key set fetches of a peer. @default 30000 */
  jwksCooldownMs?: number;
  /**
   * Most verified `reusable` tokens remembered (the oldest is forgotten first; a forgotten token
   * is simply verified again). `0` verifies every request. @default 10000
   */
  verifiedTokenCacheSize?: number;
}

/** A peer token verifier; also an {@link Authenticator} for `Authorization: Bearer` peer tokens. */
export interface PeerTokenVerifier extends Authenticator {
  /**
   * Verifies a peer token. A `reusable` token is accepted until it expires (verified once, then
   * remembered). For a one-time token, `session` is the MCP session id of the request, if any: its
   * `jti` is accepted once without a session, or repeatedly within the one session it was first
   * used in.
   * @throws {FedmcpError} `UNAUTHENTICATED` for any invalid, expired, foreign or replayed token.
   */
  verify(token: string, options?: { session?: string }): Promise<Principal>;
  /**
   * The principal of a `reusable` token this verifier accepted before and that has not expired
   * (a copy), or `undefined`: what {@link verify} answers at once for such a token, without a
   * promise. Anything else (a token never seen, expired, one-time) needs `verify`.
   */
  remembered(token: string): Principal | undefined;
}

function readSessionId(headers: HeadersLike): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as Headers).get('mcp-session-id') ?? undefined;
  }
  const value = (headers as Record<string, string | readonly string[] | undefined>)[
    'mcp-session-id'
  ];
  return typeof value === 'string' ? value : undefined;
}

function describeJoseError(error: unknown): string {
  const { code, claim } = (error ?? {}) as { code?: string; claim?: string };
  if (code === 'ERR_JWT_EXPIRED') return 'the token has expired';
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') return 'the signature is invalid';
  if (code === 'ERR_JWKS_NO_MATCHING_KEY') return 'no key of the peer matches the token';
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'the signing algorithm is not allowed';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if (claim === 'aud') return 'the token is meant for another audience';
    if (claim === 'iat') return 'the token is too old or issued in the future';
    if (claim === 'typ') return 'the token is not a peer token';
    return 'the token has an invalid claim';
  }
  return 'the token is malformed';
}

type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

/**
 * Creates a verifier of peer tokens.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when a trusted peer has no source of keys.
 * @example
 * ```ts
 * const peers = createPeerTokenVerifier({
 *   selfId: 'eu',
 *   trustedPeers: { home: { url: 'https://home.example.com' } },
 *   replayStore: store.kv,
 * });
 * const principal = await authenticateRequest(request, [peers, ...others]); // { authMethod: 'peer', via: ['home'] }
 * ```
 */
export function createPeerTokenVerifier(options: PeerTokenVerifierOptions): PeerTokenVerifier {
  const now = options.now ?? Date.now;
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const tolerance = options.clockToleranceSeconds ?? 30;
  const prefix = options.replayKeyPrefix ?? 'peer-jti:';
  const resolvers = new Map<string, KeyResolver>();
  const verifiedCacheSize = options.verifiedTokenCacheSize ?? 10_000;
  // Verified reusable tokens (the whole compact JWT is the key: nothing about another token is
  // remembered), until `acceptedUntil` in ms; and first verifications in flight, so a burst of
  // requests with a new token verifies it once.
  const verified = new Map<string, { principal: Principal; acceptedUntil: number }>();
  const pending = new Map<string, Promise<Principal>>();

  for (const [hubId, peer] of Object.entries(options.trustedPeers)) {
    const pins =
      peer.fingerprint === undefined
        ? undefined
        : new Set([peer.fingerprint].flat().map(normaliseFingerprint));
    const local = peer.keys ? createLocalJWKSet(peer.keys) : undefined;
    let remote: ReturnType<typeof createJwksCache> | undefined;
    if (!local) {
      const discoveryBase = peer.url;
      if (!peer.jwksUri && !discoveryBase) {
        throw new FedmcpError(
          'INVALID_CONFIG',
          `Peer "${hubId}" has no keys: set its jwksUri, keys or url (to use its discovery document).`,
        );
      }
      remote = createJwksCache({
        uri:
          peer.jwksUri ??
          (async () => {
            const url = new URL(DISCOVERY_DOCUMENT_PATH, discoveryBase);
            const response = await fetchImplementation(url, {
              headers: { accept: 'application/json' },
              redirect: 'manual',
              signal: AbortSignal.timeout(5000),
            });
            if (response.status !== 200) {
              await response.body?.cancel();
              throw new FedmcpError(
                'UPSTREAM_UNAVAILABLE',
                `The discovery document of peer "${hubId}" at ${url.href} answered HTTP ${response.status}.`,
              );
            }
            const document = parseDiscoveryDocument(await response.json(), { source: url.href });
            // A peer trusted over https must not have its keys fetched over plain http.
            if (url.protocol === 'https:' && new URL(document.jwksUri).protocol !== 'https:') {
              throw new FedmcpError(
                'UPSTREAM_UNAVAILABLE',
                `The discovery document of peer "${hubId}" names a key set over plain http (${document.jwksUri}); its keys are fetched over https only.`,
              );
            }
            return document.jwksUri;
          }),
        fetch: fetchImplementation,
        now,
        ...(options.jwksCooldownMs === undefined ? {} : { cooldownMs: options.jwksCooldownMs }),
      });
    }
    // When a peer starts signing with a new key, several requests may name the unknown `kid` at
    // once: one of them refetches the key set, the others wait for that refetch and look again
    // (instead of being refused for the refetch cooldown the first one just started).
    let refreshing: Promise<unknown> | undefined;
    const fromRemote = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
      const cache = remote!;
      const known = cache.keys()?.keys.some((key) => key.kid === header.kid);
      if (known !== false || header.kid === undefined) return cache(header, token);
      if (refreshing) {
        await refreshing;
        return cache(header, token);
      }
      const attempt = cache(header, token);
      // The waiters only need to know it settled; the caller gets the outcome from `attempt`.
      refreshing = attempt
        .catch(() => undefined)
        .finally(() => {
          refreshing = undefined;
        });
      return attempt;
    };
    resolvers.set(hubId, async (header, token) => {
      const key = (
        local ? await local(header, token) : await fromRemote(header, token)
      ) as CryptoKey;
      if (pins) {
        // Public keys are always exportable in WebCrypto: compare the key actually used with the pins.
        const thumbprint = await calculateJwkThumbprint(await exportJWK(key), 'sha256');
        if (!pins.has(`SHA256:${thumbprint}`)) {
          throw invalidCredentialsError('the signing key does not match the pinned fingerprint');
        }
      }
      return key;
    });
  }

  function remember(token: string, principal: Principal, acceptedUntil: number): void {
    if (verifiedCacheSize <= 0) return;
    if (verified.size >= verifiedCacheSize) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    verified.set(token, { principal, acceptedUntil });
  }

  function remembered(token: string): Principal | undefined {
    const hit = verified.get(token);
    if (!hit) return undefined;
    if (now() < hit.acceptedUntil) return { ...hit.principal };
    // Expired: forget it and let the full check refuse it with its reason.
    verified.delete(token);
    return undefined;
  }

  function verify(token: string, verifyOptions: { session?: string } = {}): Promise<Principal> {
    const hit = remembered(token);
    if (hit) return Promise.resolve(hit);
    const inFlight = pending.get(token);
    if (inFlight) {
      // Only a reusable token may share another request's verification; a one-time token that
      // arrives twice at once gets its own check (and the second is refused as a replay).
      return inFlight.then((principal) =>
        principal.claims?.[PEER_TOKEN_REUSABLE_CLAIM] === true
          ? { ...principal }
          : verifyFully(token, verifyOptions),
      );
    }
    const verification = verifyFully(token, verifyOptions).finally(() => {
      pending.delete(token);
    });
    pending.set(token, verification);
    return verification;
  }

  async function verifyFully(
    token: string,
    verifyOptions: { session?: string } = {},
  ): Promise<Principal> {
    let header: JWSHeaderParameters;
    let unverified: JWTPayload;
    try {
      header = decodeProtectedHeader(token) as JWSHeaderParameters;
      unverified = decodeJwt(token);
    } catch (cause) {
      throw invalidCredentialsError('the token is malformed', cause);
    }
    // Before any key lookup: `alg: none` and every algorithm outside the allow-list.
    if (typeof header.alg !== 'string' || !PEER_TOKEN_ALGORITHMS.includes(header.alg)) {
      throw invalidCredentialsError('the signing algorithm is not allowed');
    }
    const issuer = unverified.iss;
    const resolver = typeof issuer === 'string' ? resolvers.get(issuer) : undefined;
    // Same phrase as the OAuth verifiers, so that in a list of authenticators the more specific
    // refusal of the right one wins (see authenticateRequest).
    if (!resolver || !Object.hasOwn(options.trustedPeers, issuer as string)) {
      throw invalidCredentialsError('the token comes from another issuer');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, resolver, {
        issuer: issuer as string,
        audience: options.selfId,
        algorithms: [...PEER_TOKEN_ALGORITHMS],
        clockTolerance: tolerance,
        currentDate: new Date(now()),
        maxTokenAge: PEER_TOKEN_MAX_LIFETIME_SECONDS + tolerance,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      }));
    } catch (error) {
      // Refusals as they are; UPSTREAM_UNAVAILABLE (the peer's keys cannot be fetched) too.
      if (FedmcpError.isInstance(error)) throw error;
      throw invalidCredentialsError(describeJoseError(error), error);
    }
    const claims = PeerTokenClaimsSchema.safeParse(payload);
    if (!claims.success) {
      const exp = claims.error.issues.some((issue) => issue.path[0] === 'exp');
      throw invalidCredentialsError(
        exp
          ? 'the token lives longer than 300 seconds'
          : 'the token claims are not those of a peer token',
      );
    }
    const { iss, sub, act, jti, exp } = claims.data;
    const reusable = payload[PEER_TOKEN_REUSABLE_CLAIM] === true;
    if (!reusable) {
      // Replay: remember the jti until the token expires. It is accepted again only inside the
      // MCP session it was first used in.
      const session = verifyOptions.session ?? '';
      const key = `${prefix}${iss}:${jti}`;
      const ttlMs = Math.max(1000, (exp + tolerance) * 1000 - now());
      const created = await options.replayStore.compareAndSet(key, session, {
        expectedVersion: null,
        ttlMs,
      });
      if (!created.ok) {
        const bound = created.current?.value;
        if (session === '' || bound !== session) {
          throw invalidCredentialsError('the token has already been used');
        }
      }
    }
    const groups =
      options.trustedPeers[iss]?.acceptGroups === true && Array.isArray(payload.groups)
        ? payload.groups.filter((group): group is string => typeof group === 'string')
        : [];
    const principal: Principal = {
      subject: sub,
      issuer: iss,
      groups,
      scopes: [],
      authMethod: 'peer',
      via: actorChain(act),
      claims: payload,
    };
    // Accepted as long as jose would accept it (exp + clock tolerance).
    if (reusable) remember(token, principal, (exp + tolerance) * 1000);
    return reusable ? { ...principal } : principal;
  }

  return {
    method: 'peer',
    verify,
    remembered,
    async authenticate(credentials) {
      const token = credentials.bearerToken;
      if (token === undefined || token.startsWith(API_KEY_PREFIX)) return undefined;
      const session = readSessionId(credentials.headers);
      return verify(token, session === undefined ? {} : { session });
    },
  };
}
