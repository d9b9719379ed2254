/**
 * OAuth 2.0 Token Exchange (RFC 8693) for per-user upstream credentials: the hub presents the
 * caller's own access token as the `subject_token` to a configured authorization server's token
 * endpoint — the only place that token goes — and gets back a token for the upstream's audience,
 * which it sends upstream instead. Each caller's token is kept until shortly before it expires
 * (one exchange per caller and upstream, concurrent requests sharing it). Tokens are never logged
 * and never appear in error messages.
 */
import { FedmcpError } from '@fedmcp/protocol';
import { readLimitedText } from './read-limited-text.js';

/** RFC 8693 §2.1: the grant type of a token exchange. */
export const TOKEN_EXCHANGE_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3: an OAuth 2.0 access token. */
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** Options of {@link createTokenExchange}. */
export interface TokenExchangeOptions {
  /** The authorization server's token endpoint (https, or http on loopback). */
  tokenEndpoint: string;
  /** The hub's client id at the authorization server. */
  clientId: string;
  /** The hub's client secret (use a `${secret:NAME}` reference in config). @default none (public client) */
  clientSecret?: string;
  /** How the hub authenticates to the endpoint (RFC 6749 §2.3.1). @default 'client_secret_basic' */
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  /** RFC 8693 `audience`: the logical name(s) of the upstream. @default none */
  audience?: string | readonly string[];
  /** RFC 8693 / RFC 8707 `resource`: the upstream's URL(s). @default none */
  resource?: string | readonly string[];
  /** Scopes asked for the upstream token. @default none */
  scope?: string | readonly string[];
  /** RFC 8693 `requested_token_type`. @default 'urn:ietf:params:oauth:token-type:access_token' */
  requestedTokenType?: string;
  /** RFC 8693 `subject_token_type` of the caller's token. @default 'urn:ietf:params:oauth:token-type:access_token' */
  subjectTokenType?: string;
  /**
   * Where messages name the configuration, e.g. `mcpServers.tickets.tokenExchange`.
   * @default 'the token exchange'
   */
  configPath?: string;
  /** A token is exchanged again this long before it expires. @default 30 */
  refreshSkewSeconds?: number;
  /** Lifetime assumed for a token issued without `expires_in`. @default 300 */
  defaultExpiresInSeconds?: number;
  /** Most callers' tokens kept (the oldest go first). @default 10000 */
  maxEntries?: number;
  /** Abort an exchange after this long. @default 10000 */
  timeoutMs?: number;
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** An exchanged token. */
export interface ExchangedToken {
  /** The token to send upstream as `Authorization: Bearer`. */
  accessToken: string;
  /** When it expires (epoch milliseconds). */
  expiresAt: number;
  /** RFC 8693 `issued_token_type`. */
  issuedTokenType: string;
}

/** Exchanges callers' tokens for upstream tokens at one token endpoint (one upstream). */
export interface TokenExchange {
  /**
   * The upstream token of the caller `key` (a stable caller identity): the cached one while it is
   * fresh, else a new exchange of `subjectToken` (the caller's access token).
   * @throws {FedmcpError} `UNAUTHENTICATED` when the caller has no token to exchange or the
   * authorization server refuses it (the caller signs in again); `INVALID_CONFIG` when it refuses
   * the hub (client credentials, audience, scope); `UPSTREAM_UNAVAILABLE` when it cannot be asked.
   */
  token(key: string, subjectToken: string | undefined): Promise<ExchangedToken>;
  /** Forgets a caller's token (the upstream refused it), or every caller's. */
  forget(key?: string): void;
}

function list(value: string | readonly string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
}

/** RFC 6749 §5.2 error codes that mean the hub's own request or registration is wrong. */
const HUB_ERRORS = new Set([
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'invalid_request',
]);

/**
 * Creates the token exchange of one upstream.
 *
 * @example
 * ```ts
 * const exchange = createTokenExchange({
 *   tokenEndpoint: 'https://as.example.com/token', clientId: 'fedmcp-hub', clientSecret,
 *   audience: 'tickets', resource: 'https://tickets.example.com/mcp',
 * });
 * const { accessToken } = await exchange.token(principalKey, callersAccessToken);
 * ```
 */
export function createTokenExchange(options: TokenExchangeOptions): TokenExchange {
  const endpoint = new URL(options.tokenEndpoint);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(endpoint.hostname);
  if (endpoint.protocol !== 'https:' && !(endpoint.protocol === 'http:' && loopback)) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `${options.configPath ?? 'The token exchange'}.tokenEndpoint must be an https URL (http only on loopback): the caller's token is sent there.`,
    );
  }
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const now = options.now ?? Date.now;
  const where = options.configPath ?? 'the token exchange';
  const skewMs = (options.refreshSkewSeconds ?? 30) * 1000;
  const maxEntries = options.maxEntries ?? 10_000;
  const tokens = new Map<string, ExchangedToken>();
  const pending = new Map<string, Promise<ExchangedToken>>();

  function refused(error: string, description: string | undefined): FedmcpError {
    const detail = description ? `${error}: ${description}` : error;
    if (HUB_ERRORS.has(error)) {
      return new FedmcpError(
        'INVALID_CONFIG',
        `The authorization server at ${endpoint.origin} refused the hub's token exchange (${detail}); the operator checks ${where} (clientId, clientSecret, audience, resource, scope).`,
      );
    }
    return new FedmcpError(
      'UNAUTHENTICATED',
      `The authorization server at ${endpoint.origin} would not exchange your token for this upstream (${detail}); sign in again, or ask the operator whether you may use it.`,
    );
  }

  function unavailable(problem: string): FedmcpError {
    return new FedmcpError(
      'UPSTREAM_UNAVAILABLE',
      `The token exchange at ${endpoint.origin} failed (${problem}); retry shortly, or the operator checks ${where}.tokenEndpoint.`,
    );
  }

  async function exchange(subjectToken: string): Promise<ExchangedToken> {
    const form = new URLSearchParams({
      grant_type: TOKEN_EXCHANGE_GRANT_TYPE,
      subject_token: subjectToken,
      subject_token_type: options.subjectTokenType ?? ACCESS_TOKEN_TYPE,
      requested_token_type: options.requestedTokenType ?? ACCESS_TOKEN_TYPE,
    });
    for (const audience of list(options.audience)) form.append('audience', audience);
    for (const resource of list(options.resource)) form.append('resource', resource);
    const scope = list(options.scope);
    if (scope.length > 0) form.set('scope', scope.join(' '));
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    };
    if (options.clientSecret === undefined || options.clientAuthMethod === 'client_secret_post') {
      form.set('client_id', options.clientId);
      if (options.clientSecret !== undefined) form.set('client_secret', options.clientSecret);
    } else {
      // RFC 6749 §2.3.1: each part form-urlencoded before Basic encoding.
      const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
      headers.authorization = `Basic ${btoa(`${encode(options.clientId)}:${encode(options.clientSecret)}`)}`;
    }
    let response: Response;
    try {
      response = await fetchImplementation(endpoint, {
        method: 'POST',
        headers,
        body: form,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (cause) {
      throw unavailable(cause instanceof Error ? cause.message : String(cause));
    }
    let answer: Record<string, unknown> | undefined;
    try {
      const parsed = JSON.parse(await readLimitedText(response, 65_536)) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
        answer = parsed as Record<string, unknown>;
      }
    } catch {
      answer = undefined;
    }
    if (response.status !== 200) {
      // RFC 8693 §2.2.2 / RFC 6749 §5.2: 400 (or 401 for client authentication) with `error`.
      if (typeof answer?.error === 'string' && response.status < 500) {
        const description =
          typeof answer.error_description === 'string'
            ? answer.error_description.slice(0, 300)
            : undefined;
        throw refused(answer.error, description);
      }
      throw unavailable(`HTTP ${response.status}`);
    }
    if (!answer) throw unavailable('the answer is not a JSON object');
    // RFC 8693 §2.2.1: access_token, issued_token_type and token_type are required.
    const accessToken = answer.access_token;
    const issuedTokenType = answer.issued_token_type;
    const tokenType = typeof answer.token_type === 'string' ? answer.token_type.toLowerCase() : '';
    if (typeof accessToken !== 'string' || accessToken === '') {
      throw unavailable('the answer has no access_token');
    }
    if (typeof issuedTokenType !== 'string') {
      throw unavailable('the answer has no issued_token_type');
    }
    // A Bearer token is what goes upstream; "N_A" (RFC 8693 §2.2.1) only for a non-access token.
    if (tokenType !== 'bearer') {
      throw unavailable(`the issued token is not a bearer token (token_type "${tokenType}")`);
    }
    const expiresIn =
      typeof answer.expires_in === 'number' && answer.expires_in > 0
        ? answer.expires_in
        : (options.defaultExpiresInSeconds ?? 300);
    return { accessToken, issuedTokenType, expiresAt: now() + expiresIn * 1000 };
  }

  return {
    async token(key, subjectToken) {
      const held = tokens.get(key);
      if (held && held.expiresAt - skewMs > now()) return held;
      tokens.delete(key);
      if (!subjectToken) {
        throw new FedmcpError(
          'UNAUTHENTICATED',
          `This upstream needs your own OAuth access token (${where} exchanges it for one of the upstream's): sign in to the hub with OAuth, not an API key or anonymously.`,
        );
      }
      let running = pending.get(key);
      if (!running) {
        running = exchange(subjectToken).finally(() => pending.delete(key));
        pending.set(key, running);
      }
      const issued = await running;
      if (tokens.size >= maxEntries) {
        const oldest = tokens.keys().next().value;
        if (oldest !== undefined) tokens.delete(oldest);
      }
      tokens.set(key, issued);
      return issued;
    },
    forget(key) {
      if (key === undefined) tokens.clear();
      else tokens.delete(key);
    },
  };
}

/** Options of {@link withTokenExchange}. */
export interface TokenExchangeFetchOptions {
  /** The upstream's token exchange. */
  exchange: TokenExchange;
  /** The caller's stable identity (the cache key). */
  key: string;
  /** The caller's access token, exchanged when no fresh upstream token is held. */
  subjectToken: () => string | undefined;
}

type FetchFunction = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * A fetch that sends every request with `Authorization: Bearer <the caller's exchanged token>`
 * (replacing any other authorization). When the upstream answers 401, the token is forgotten and
 * the request is sent once more with a newly exchanged one (bodies that can be sent twice only).
 */
export function withTokenExchange(
  base: FetchFunction | undefined,
  options: TokenExchangeFetchOptions,
): FetchFunction {
  const send = base ?? ((url, init) => globalThis.fetch(url, init));
  const attempt = async (url: string | URL, init: RequestInit | undefined) => {
    const { accessToken } = await options.exchange.token(options.key, options.subjectToken());
    const headers = new Headers(init?.headers);
    headers.set('authorization', `Bearer ${accessToken}`);
    return send(url, { ...init, headers });
  };
  return async (url, init) => {
    const response = await attempt(url, init);
    if (response.status !== 401) return response;
    options.exchange.forget(options.key);
    const body = init?.body;
    if (body !== undefined && body !== null && typeof body !== 'string') return response;
    await response.body?.cancel();
    return attempt(url, init);
  };
}
