/**
 * The hub as an OAuth 2.1 resource server (MCP 2025-11-25 basic/authorization): bearer JWTs
 * verified with jose against the issuer's key set, with the audience bound to the hub's canonical
 * resource URI (RFC 8707) so tokens minted for another service are refused.
 */
import { FedmcpError } from '@fedmcp/protocol';
import {
  type CryptoKey,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import { API_KEY_PREFIX } from './api-keys.js';
import { insufficientScopeError, invalidCredentialsError } from './auth-errors.js';
import type { Authenticator } from './authenticate-request.js';
import { discoverJwksUri } from './discover-jwks-uri.js';
import { createJwksCache } from './jwks-cache.js';
import type { Principal } from './principal.js';

/** The asymmetric algorithms accepted by default. HS* is never among them. */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
];

const HMAC_ALGORITHMS = new Set(['HS256', 'HS384', 'HS512']);

/** Options of {@link createJwtVerifier}. */
export interface JwtVerifierOptions {
  /** The expected `iss`, exactly as the authorization server writes it (e.g. `https://YOUR_TENANT.auth0.com/`). */
  issuer: string;
  /** The expected `aud`: the hub's canonical resource URI (RFC 8707), e.g. `https://hub.example.com/mcp`. */
  audience: string | readonly string[];
  /**
   * The issuer's key set URL. Without `jwksUri`, `keys` and `sharedSecret`, it is discovered from
   * the issuer's metadata (OpenID Connect Discovery, then RFC 8414) on first use.
   * @default discovered
   */
  jwksUri?: string;
  /** Static public keys, instead of (or when there is no) `jwksUri`. */
  keys?: JSONWebKeySet;
  /**
   * A shared secret for HS256/384/512 tokens (at least 32 bytes). Only when this is set are HS*
   * tokens considered, and then they are verified with this secret only, never with a public key.
   * @default none: HS* tokens are refused
   */
  sharedSecret?: Uint8Array | string;
  /**
   * The allow-list of `alg` values. `none` is always refused; HS* only with `sharedSecret`.
   * @default DEFAULT_JWT_ALGORITHMS (asymmetric only), plus HS256/384/512 when `sharedSecret` is set
   */
  algorithms?: readonly string[];
  /** Allowed clock skew for `exp`, `nbf` and `iat`. @default 30 */
  clockToleranceSeconds?: number;
  /** The fetch used for the key set. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Scopes every token must carry; a token without them gets 403 `insufficient_scope`. @default [] */
  requiredScopes?: readonly string[];
  /** The expected `typ` header (RFC 9068 access tokens use `at+jwt`). @default not checked */
  typ?: string;
  /** The claim that lists the caller's groups. @default 'groups' */
  groupsClaim?: string;
  /** The `authMethod` of the principals. @default 'oauth' */
  authMethod?: 'oauth' | 'peer';
  /** Builds the principal from the verified claims instead of the default mapping. */
  claimsToPrincipal?: (payload: JWTPayload, header: JWSHeaderParameters) => Principal;
  /** Minimum time between two key set fetches. @default 30000 */
  jwksCooldownMs?: number;
  /** Refresh cached keys after this long. @default 600000 */
  jwksMaxAgeMs?: number;
  /** Abort a key set fetch after this long. @default 5000 */
  jwksTimeoutMs?: number;
  /** The clock, for tests. @default Date.now */
  now?: () => number;
}

/** A bearer JWT verifier; also an {@link Authenticator} for `Authorization: Bearer` JWTs. */
export interface JwtVerifier extends Authenticator {
  /**
   * Verifies a token and returns its principal.
   * @throws {FedmcpError} `UNAUTHENTICATED` (invalid token) or `POLICY_DENIED` (missing scope).
   */
  verify(token: string): Promise<Principal>;
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((item) => item.length > 0);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

function describeJoseError(error: unknown): string {
  const { code, claim } = (error ?? {}) as { code?: string; claim?: string };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'the token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (claim === 'nbf') return 'the token is not valid yet';
      if (claim === 'iat') return 'the token was issued in the future';
      if (claim === 'iss') return 'the token comes from another issuer';
      if (claim === 'aud') return 'the token is meant for another audience';
      if (claim === 'exp') return 'the token has no expiry';
      if (claim === 'typ') return 'the token has the wrong type';
      return `the token's "${claim === undefined ? 'claims' : claim.replace(/[^a-z_]/gi, '')}" claim is invalid`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'the signature is invalid';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'the signing algorithm is not allowed';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'no key of the issuer matches the token';
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'several keys of the issuer match the token';
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'the token uses an unsupported algorithm or key';
    default:
      return 'the token is malformed';
  }
}

/** The default claims → principal mapping: `sub`, `iss`, `scope`/`scp`, the groups claim. */
export function defaultClaimsToPrincipal(
  payload: JWTPayload,
  options: { groupsClaim?: string; authMethod?: 'oauth' | 'peer' } = {},
): Principal {
  return {
    subject: payload.sub ?? '',
    ...(payload.iss === undefined ? {} : { issuer: payload.iss }),
    groups: stringList(payload[options.groupsClaim ?? 'groups']),
    scopes: stringList(payload.scope ?? payload.scp),
    authMethod: options.authMethod ?? 'oauth',
    claims: payload,
  };
}

/**
 * Creates a verifier of bearer JWTs for one issuer.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when the allow-list holds
 * `none` or an HS* algorithm without `sharedSecret`, or the shared secret is shorter than 32 bytes.
 * @example
 * ```ts
 * const verifier = createJwtVerifier({
 *   issuer: 'https://kc.example.com/realms/REALM',
 *   audience: 'https://hub.example.com/mcp',
 *   jwksUri: 'https://kc.example.com/realms/REALM/protocol/openid-connect/certs',
 * });
 * const principal = await verifier.verify(token);
 * ```
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const secret =
    typeof options.sharedSecret === 'string'
      ? new TextEncoder().encode(options.sharedSecret)
      : options.sharedSecret;
  const algorithms = [
    ...(options.algorithms ??
      (secret ? [...DEFAULT_JWT_ALGORITHMS, ...HMAC_ALGORITHMS] : DEFAULT_JWT_ALGORITHMS)),
  ];
  if (algorithms.some((algorithm) => algorithm.toLowerCase() === 'none')) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      'The JWT algorithm "none" can never be allowed; remove it from auth.oauth.algorithms.',
    );
  }
  if (!secret && algorithms.some((algorithm) => HMAC_ALGORITHMS.has(algorithm))) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      'HS* JWT algorithms are allowed only with a configured shared secret; remove them or set sharedSecret.',
    );
  }
  if (secret && secret.byteLength < 32) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      'The JWT shared secret must be at least 32 bytes long.',
    );
  }
  const discover = !options.jwksUri && !options.keys && !secret;
  if (discover && !URL.canParse(options.issuer)) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `The issuer "${options.issuer}" is not a URL, so its key set cannot be discovered; set jwksUri or keys.`,
    );
  }
  const now = options.now ?? Date.now;
  const remoteKeys =
    options.jwksUri || discover
      ? createJwksCache({
          uri:
            options.jwksUri ??
            (() =>
              discoverJwksUri(options.issuer, {
                fetch: options.fetch,
                timeoutMs: options.jwksTimeoutMs,
              })),
          fetch: options.fetch,
          cooldownMs: options.jwksCooldownMs,
          maxAgeMs: options.jwksMaxAgeMs,
          timeoutMs: options.jwksTimeoutMs,
          now,
        })
      : undefined;
  const staticKeys = options.keys ? createLocalJWKSet(options.keys) : undefined;
  const audience = [options.audience].flat();
  const requiredScopes = options.requiredScopes ?? [];

  async function resolveKey(
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<CryptoKey | Uint8Array> {
    const algorithm = header.alg ?? '';
    if (HMAC_ALGORITHMS.has(algorithm)) {
      // Never verify an HMAC with a public key (the classic RS→HS confusion): only the secret.
      if (!secret) throw invalidCredentialsError('the signing algorithm is not allowed');
      return secret;
    }
    if (staticKeys) {
      try {
        return await staticKeys(header, token);
      } catch (error) {
        if (!remoteKeys) throw error;
      }
    }
    if (!remoteKeys) throw invalidCredentialsError('no key of the issuer matches the token');
    return remoteKeys(header, token);
  }

  async function verify(token: string): Promise<Principal> {
    let header: JWSHeaderParameters;
    try {
      header = decodeProtectedHeader(token) as JWSHeaderParameters;
    } catch (cause) {
      throw invalidCredentialsError('the token is malformed', cause);
    }
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
      // Covers `alg: none` and every algorithm outside the allow-list, before any key lookup.
      throw invalidCredentialsError('the signing algorithm is not allowed');
    }
    // A token from another issuer is refused before any key lookup, so that several verifiers
    // can be tried in turn without each refetching its key set for the others' `kid`s. Only a
    // refusal is based on the unverified claim; acceptance needs the verified one below.
    let unverifiedIssuer: unknown;
    try {
      unverifiedIssuer = decodeJwt(token).iss;
    } catch (cause) {
      throw invalidCredentialsError('the token is malformed', cause);
    }
    if (unverifiedIssuer !== options.issuer) {
      throw invalidCredentialsError('the token comes from another issuer');
    }
    let payload: JWTPayload;
    let protectedHeader: JWSHeaderParameters;
    try {
      ({ payload, protectedHeader } = await jwtVerify(token, resolveKey, {
        issuer: options.issuer,
        audience,
        algorithms,
        clockTolerance: options.clockToleranceSeconds ?? 30,
        currentDate: new Date(now()),
        requiredClaims: ['exp', 'sub'],
        ...(options.typ === undefined ? {} : { typ: options.typ }),
      }));
    } catch (error) {
      if (FedmcpError.isInstance(error)) throw error;
      throw invalidCredentialsError(describeJoseError(error), error);
    }
    const principal = options.claimsToPrincipal
      ? options.claimsToPrincipal(payload, protectedHeader)
      : defaultClaimsToPrincipal(payload, options);
    if (principal.subject === '') throw invalidCredentialsError('the token has no subject');
    const missing = requiredScopes.filter((scope) => !principal.scopes.includes(scope));
    if (missing.length > 0) throw insufficientScopeError(requiredScopes);
    return principal;
  }

  return {
    method: options.authMethod ?? 'oauth',
    verify,
    async authenticate(credentials) {
      const token = credentials.bearerToken;
      // API keys travel as bearer tokens too; they are not JWTs and belong to the API key authenticator.
      if (token === undefined || token.startsWith(API_KEY_PREFIX)) return undefined;
      return verify(token);
    },
  };
}
