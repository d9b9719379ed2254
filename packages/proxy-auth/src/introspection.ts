/**
 * Opaque access tokens (not JWTs), checked by asking the authorization server (OAuth 2.0 Token
 * Introspection, RFC 7662). The hub authenticates to the introspection endpoint as a client, and
 * keeps each answer in a bounded cache keyed by the token's SHA-256 (never the token), for no
 * longer than the token lives.
 */
import { FedmcpError } from '@fedmcp/protocol';
import { API_KEY_PREFIX } from './api-keys.js';
import { insufficientScopeError, invalidCredentialsError } from './auth-errors.js';
import type { Authenticator } from './authenticate-request.js';
import { defaultClaimsToPrincipal } from './create-jwt-verifier.js';
import { discoverIssuerEndpoint } from './discover-jwks-uri.js';
import { createIntrospectionCache } from './introspection-cache.js';
import type { Principal } from './principal.js';
import { readLimitedText } from './read-limited-text.js';

/** Options of {@link createTokenIntrospector}. */
export interface TokenIntrospectorOptions {
  /** The authorization server's issuer identifier; an answer naming another `iss` is refused. */
  issuer: string;
  /** Accepted `aud` values; the answer must name one (RFC 8707). */
  audience: string | readonly string[];
  /** The introspection endpoint. @default the issuer metadata's `introspection_endpoint` */
  endpoint?: string;
  /** The hub's client id at the authorization server. */
  clientId: string;
  /** The hub's client secret (use a `${secret:NAME}` reference in config). */
  clientSecret: string;
  /** How the hub authenticates to the endpoint (RFC 6749 §2.3.1). @default 'client_secret_basic' */
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Scopes every token must carry; a token without them gets 403 `insufficient_scope`. @default [] */
  requiredScopes?: readonly string[];
  /** The claim listing the caller's groups. @default 'groups' */
  groupsClaim?: string;
  /** Allowed clock skew for `exp` and `nbf`. @default 30 */
  clockToleranceSeconds?: number;
  /** Most answers kept. @default 10000 */
  cacheMaxEntries?: number;
  /**
   * Longest time an answer is reused (never beyond the token's `exp`): a token revoked at the
   * authorization server is accepted at most this much longer. `0` asks every time. @default 60
   */
  cacheMaxAgeSeconds?: number;
  /** Abort an introspection request after this long. @default 5000 */
  timeoutMs?: number;
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** Checks opaque bearer tokens by introspection; an {@link Authenticator} of non-JWT tokens. */
export interface TokenIntrospector extends Authenticator {
  /**
   * Introspects a token (or reuses a cached answer) and returns its principal.
   * @throws {FedmcpError} `UNAUTHENTICATED` (inactive or unsuitable token), `POLICY_DENIED`
   *   (missing scope), `UPSTREAM_UNAVAILABLE` (the endpoint cannot be asked).
   */
  introspect(token: string): Promise<Principal>;
}

/** Whether a bearer token has the shape of a JWS compact serialization (three base64url parts). */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item) => typeof item === 'string') : [];
}

function unavailable(endpoint: string, problem: string): FedmcpError {
  return new FedmcpError(
    'UPSTREAM_UNAVAILABLE',
    `Token introspection at ${endpoint} failed: ${problem}. Check auth.oauth.introspection (endpoint, clientId, clientSecret).`,
  );
}

/**
 * Creates an introspector of opaque access tokens for one authorization server. JWT-shaped tokens
 * are left to the JWT verifier (`authenticate` resolves `undefined` for them and for API keys).
 *
 * @example
 * ```ts
 * const introspector = createTokenIntrospector({
 *   issuer: 'https://as.example.com', audience: 'https://hub.example.com/mcp',
 *   clientId: 'fedmcp-hub', clientSecret: process.env.HUB_CLIENT_SECRET!,
 * });
 * const principal = await introspector.introspect(token);
 * ```
 */
export function createTokenIntrospector(options: TokenIntrospectorOptions): TokenIntrospector {
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const audiences = [options.audience].flat();
  const requiredScopes = options.requiredScopes ?? [];
  const toleranceMs = (options.clockToleranceSeconds ?? 30) * 1000;
  const cache = createIntrospectionCache<Principal | string>({
    maxEntries: options.cacheMaxEntries ?? 10_000,
    maxAgeMs: (options.cacheMaxAgeSeconds ?? 60) * 1000,
    now,
  });
  let endpoint: Promise<string> | undefined;
  const endpointUrl = () => {
    endpoint ??= options.endpoint
      ? Promise.resolve(options.endpoint)
      : discoverIssuerEndpoint(options.issuer, 'introspection_endpoint', {
          fetch: fetchImplementation,
          hint: 'set auth.oauth.introspection.endpoint',
        });
    endpoint.catch(() => {
      endpoint = undefined; // discovery is retried on the next token
    });
    return endpoint;
  };

  async function ask(token: string): Promise<Record<string, unknown>> {
    const url = await endpointUrl();
    const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    };
    if (options.clientAuthMethod === 'client_secret_post') {
      form.set('client_id', options.clientId);
      form.set('client_secret', options.clientSecret);
    } else {
      // RFC 6749 §2.3.1: each part form-urlencoded before Basic encoding.
      const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
      headers.authorization = `Basic ${btoa(`${encode(options.clientId)}:${encode(options.clientSecret)}`)}`;
    }
    let response: Response;
    try {
      response = await fetchImplementation(url, {
        method: 'POST',
        headers,
        body: form,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      });
    } catch (cause) {
      throw unavailable(url, cause instanceof Error ? cause.message : String(cause));
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw unavailable(url, `HTTP ${response.status}`);
    }
    try {
      const answer = JSON.parse(await readLimitedText(response, 65_536)) as unknown;
      if (typeof answer === 'object' && answer !== null && !Array.isArray(answer)) {
        return answer as Record<string, unknown>;
      }
    } catch {
      // answered below
    }
    throw unavailable(url, 'the answer is not a JSON object');
  }

  /** The principal of an introspection answer, or the reason the token is refused. */
  function judge(answer: Record<string, unknown>): { outcome: Principal | string; expMs?: number } {
    // RFC 7662 §2.2: anything but `active: true` means inactive (expired, revoked, unknown).
    if (answer.active !== true) return { outcome: 'the token is not active' };
    const expMs = typeof answer.exp === 'number' ? answer.exp * 1000 : undefined;
    if (expMs !== undefined && expMs + toleranceMs <= now()) {
      return { outcome: 'the token has expired' };
    }
    if (typeof answer.nbf === 'number' && answer.nbf * 1000 - toleranceMs > now()) {
      return { outcome: 'the token is not valid yet' };
    }
    if (answer.iss !== undefined && answer.iss !== options.issuer) {
      return { outcome: 'the token comes from another issuer' };
    }
    const tokenType = typeof answer.token_type === 'string' ? answer.token_type.toLowerCase() : '';
    if (tokenType !== '' && tokenType !== 'bearer') {
      return { outcome: 'the token is not a bearer access token' };
    }
    // A sender-constrained token (DPoP, mTLS-bound) needs a proof the hub does not check.
    if (answer.cnf !== undefined) return { outcome: 'the token is sender-constrained' };
    if (!stringList(answer.aud).some((audience) => audiences.includes(audience))) {
      return { outcome: 'the token is meant for another audience' };
    }
    if (typeof answer.sub !== 'string' || answer.sub === '') {
      return { outcome: 'the token has no subject' };
    }
    const principal = defaultClaimsToPrincipal(answer, { groupsClaim: options.groupsClaim });
    return { outcome: { ...principal, issuer: options.issuer }, ...(expMs ? { expMs } : {}) };
  }

  async function introspect(token: string): Promise<Principal> {
    const outcome = await cache.get(token, async () => {
      const { outcome, expMs } = judge(await ask(token));
      return { value: outcome, ...(expMs === undefined ? {} : { expiresAt: expMs }) };
    });
    if (typeof outcome === 'string') throw invalidCredentialsError(outcome);
    const missing = requiredScopes.filter((scope) => !outcome.scopes.includes(scope));
    if (missing.length > 0) throw insufficientScopeError(requiredScopes);
    return outcome;
  }

  return {
    method: 'oauth',
    introspect,
    async authenticate(credentials) {
      const token = credentials.bearerToken;
      if (token === undefined || token.startsWith(API_KEY_PREFIX) || looksLikeJwt(token)) {
        return undefined;
      }
      return introspect(token);
    },
  };
}
