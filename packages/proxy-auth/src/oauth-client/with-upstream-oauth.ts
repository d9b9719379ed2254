/**
 * A `fetch` wrapper that makes an upstream connection an OAuth 2.1 client (MCP authorization,
 * 2025-11-25): it sends the holder's bearer token to the upstream's origin only, answers a `401`
 * by running the SDK's `auth()` (refresh, or a new authorization through `authorize`), steps up
 * on `403 insufficient_scope` at most `maxStepUps` times per request, and refreshes a token that
 * is about to expire before using it. Concurrent requests share one authorization.
 *
 * Handling it in `fetch` rather than in the transport's `authProvider` lets an interactive
 * authorization finish inside the request that needed it (the SDK transport would throw
 * `UnauthorizedError` and leave the retry to its caller).
 */
import {
  auth,
  computeScopeUnion,
  extractWWWAuthenticateParams,
  type FetchLike,
  IssuerMismatchError,
  isStrictScopeSuperset,
} from '@modelcontextprotocol/client';
import type { UpstreamOAuthProvider } from './upstream-oauth-provider.js';

/** The query of the redirect back from the authorization endpoint (RFC 6749 §4.1.2, RFC 9207). */
export interface AuthorizationResponse {
  code: string;
  state?: string;
  iss?: string;
}

/**
 * Sends a user to `authorizationUrl` and resolves with the authorization response once they
 * come back (the hub's callback, a loopback redirect), or rejects with an error saying what the
 * user must do (the request then fails with it).
 */
export type AuthorizeUpstream = (authorizationUrl: URL) => Promise<AuthorizationResponse>;

/** Options of {@link withUpstreamOAuth}. */
export interface UpstreamOAuthFetchOptions {
  /** The holder's provider (`createUpstreamOAuthProvider`). */
  provider: UpstreamOAuthProvider;
  /** The upstream's MCP endpoint URL. */
  serverUrl: string | URL;
  /** How a user authorizes when no token or refresh will do. */
  authorize: AuthorizeUpstream;
  /** Step-ups (403 `insufficient_scope`) per request. @default 2 */
  maxStepUps?: number;
  /** Refresh a token this long before it expires. @default 30_000 */
  refreshAheadMs?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** The default of {@link UpstreamOAuthFetchOptions.maxStepUps}. */
export const DEFAULT_MAX_STEP_UPS = 2;

interface Challenge {
  resourceMetadataUrl?: URL;
  scope?: string;
  forceReauthorization?: boolean;
}

function sameOrigin(url: string | undefined, serverUrl: URL): boolean {
  try {
    return url !== undefined && new URL(url).origin === serverUrl.origin;
  } catch {
    return false;
  }
}

/**
 * Wraps `fetch` (default `globalThis.fetch`) for one upstream connection of one token holder.
 *
 * @throws (from the returned fetch) what `authorize` rejects with, an `OAuthError` from the
 * authorization server, or an `Error` when the authorization response's `state` does not match.
 * @example
 * ```ts
 * const fetch = withUpstreamOAuth(globalThis.fetch, { provider, serverUrl, authorize });
 * new StreamableHTTPClientTransport(new URL(serverUrl), { fetch });
 * ```
 */
export function withUpstreamOAuth(
  base: FetchLike | undefined,
  options: UpstreamOAuthFetchOptions,
): FetchLike {
  const next: FetchLike = base ?? ((url, init) => globalThis.fetch(url, init));
  const { provider, authorize } = options;
  const serverUrl = new URL(options.serverUrl);
  const maxStepUps = options.maxStepUps ?? DEFAULT_MAX_STEP_UPS;
  const refreshAheadMs = options.refreshAheadMs ?? 30_000;
  const now = options.now ?? Date.now;
  let requestedScope: string | undefined;
  let resourceMetadataUrl: URL | undefined;
  let inFlight: Promise<void> | undefined;
  let sameOriginIssuer = false;

  /**
   * `auth()`, accepting once an issuer on the upstream's own origin that differs from the
   * metadata URL: MCP 2025-03-26 servers are their own authorization server at the origin's root
   * (no RFC 9728 metadata) and some publish an issuer with a path (RFC 8414 §3.3 would refuse).
   */
  const runAuth = async (authOptions: Parameters<typeof auth>[1]) => {
    try {
      return await auth(provider, {
        ...authOptions,
        skipIssuerMetadataValidation: sameOriginIssuer,
      });
    } catch (error) {
      if (
        sameOriginIssuer ||
        !(error instanceof IssuerMismatchError) ||
        error.kind !== 'metadata' ||
        !sameOrigin(error.received, serverUrl)
      ) {
        throw error;
      }
      sameOriginIssuer = true;
      return auth(provider, { ...authOptions, skipIssuerMetadataValidation: true });
    }
  };

  const runAuthorization = async (challenge: Challenge) => {
    const common = {
      serverUrl,
      resourceMetadataUrl,
      ...(challenge.scope !== undefined && { scope: challenge.scope }),
      fetchFn: next,
    };
    const result = await runAuth({
      ...common,
      ...(challenge.forceReauthorization && { forceReauthorization: true }),
    });
    if (result === 'AUTHORIZED') return;
    const authorizationUrl = provider.takeAuthorizationUrl();
    if (!authorizationUrl) throw new Error('The OAuth flow asked for a redirect without a URL.');
    const response = await authorize(authorizationUrl);
    // RFC 6749 §10.12: the state must round-trip, or this is someone else's code.
    if (response.state !== authorizationUrl.searchParams.get('state')) {
      throw new Error('The authorization response does not match the request (state mismatch).');
    }
    const exchanged = await runAuth({
      ...common,
      authorizationCode: response.code,
      ...(response.iss !== undefined && { iss: response.iss }),
    });
    if (exchanged !== 'AUTHORIZED') throw new Error('The authorization code was not accepted.');
  };

  /** One authorization at a time; a caller that arrives during one waits for it. */
  const authorizeOnce = async (challenge: Challenge) => {
    if (inFlight) {
      await inFlight.catch(() => {});
      return;
    }
    inFlight = runAuthorization(challenge).finally(() => {
      inFlight = undefined;
    });
    await inFlight;
  };

  const refreshIfExpiring = async () => {
    if (inFlight) await inFlight.catch(() => {});
    const expiresAt = await provider.expiresAt();
    if (expiresAt === undefined || expiresAt - refreshAheadMs > now()) return;
    const tokens = await provider.tokens();
    if (!tokens?.refresh_token && provider.redirectUrl !== undefined) return;
    await authorizeOnce({ scope: requestedScope });
  };

  const send = async (input: string | URL, init: RequestInit | undefined) => {
    const headers = new Headers(init?.headers);
    const target = new URL(input instanceof Request ? input.url : String(input));
    // The holder's token goes to this upstream's origin and nowhere else.
    const tokens = target.origin === serverUrl.origin ? await provider.tokens() : undefined;
    if (tokens) headers.set('authorization', `Bearer ${tokens.access_token}`);
    return next(input, { ...init, headers });
  };

  const readChallenge = (response: Response) => {
    const params = extractWWWAuthenticateParams(response);
    if (params.resourceMetadataUrl) resourceMetadataUrl = params.resourceMetadataUrl;
    return params;
  };

  return async (input, init) => {
    await refreshIfExpiring();
    let authorized = false;
    let stepUps = 0;
    for (;;) {
      const response = await send(input, init);
      if (response.status === 401 && !authorized) {
        authorized = true;
        const { scope } = readChallenge(response);
        requestedScope = computeScopeUnion(requestedScope, scope);
        await response.body?.cancel();
        await authorizeOnce({ scope: requestedScope });
        continue;
      }
      if (response.status === 403 && stepUps < maxStepUps) {
        const { scope, error } = readChallenge(response);
        if (error !== 'insufficient_scope') return response;
        stepUps += 1;
        const granted = (await provider.tokens())?.scope;
        requestedScope = computeScopeUnion(requestedScope, granted, scope);
        await response.body?.cancel();
        await authorizeOnce({
          scope: requestedScope,
          forceReauthorization: isStrictScopeSuperset(requestedScope, granted),
        });
        continue;
      }
      return response;
    }
  };
}
