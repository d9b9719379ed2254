/**
 * Per-user upstream credentials by OAuth 2.0 Token Exchange (RFC 8693): a connector that wraps
 * another one and gives each caller's own connection (`isolation: 'per-principal'`) a `fetch`
 * carrying the caller's exchanged token (`withTokenExchange` of `@fedmcp/proxy-auth`). The
 * caller's own token goes to the configured authorization server as the `subject_token` and
 * nowhere else; the upstream only ever sees the token issued for it.
 */
import { accessTokenOf, type TokenExchange, withTokenExchange } from '@fedmcp/proxy-auth';
import type { RemoteUpstreamSpec } from '@fedmcp/transports';
import { principalKey } from './pipeline/meta.js';
import type { UpstreamConnector } from './upstream-options.js';

/** Options of {@link createTokenExchangeConnector}. */
export interface TokenExchangeConnectorOptions {
  /** The connector that opens the connections. */
  base: UpstreamConnector;
  /**
   * The token exchange of a remote upstream (one per upstream: it caches each caller's token), or
   * `undefined` for an upstream without one.
   */
  exchangeFor(spec: RemoteUpstreamSpec): TokenExchange | undefined;
  /**
   * The caller's token to exchange.
   * @default the OAuth access token the caller authenticated with (`accessTokenOf`)
   */
  subjectToken?: (principal: unknown) => string | undefined;
}

/**
 * Wraps a connector so that a caller's own connection to a token-exchange upstream carries the
 * caller's exchanged token. The exchange runs before the connect, so a refusal reaches the caller
 * as its error (`UNAUTHENTICATED`: sign in again; `INVALID_CONFIG`: the operator fixes the
 * exchange; `UPSTREAM_UNAVAILABLE`: retry). Shared connections (the one that lists the catalog)
 * connect as the spec says, with its own `headers`.
 *
 * @example
 * ```ts
 * const exchange = createTokenExchange({ tokenEndpoint, clientId, clientSecret, audience: 'tickets' });
 * const connect = createTokenExchangeConnector({
 *   base: connectNodeUpstream,
 *   exchangeFor: (spec) => (spec.url === ticketsUrl ? exchange : undefined),
 * });
 * ```
 */
export function createTokenExchangeConnector(
  options: TokenExchangeConnectorOptions,
): UpstreamConnector {
  const subjectTokenOf = options.subjectToken ?? accessTokenOf;
  return async (spec, connectOptions) => {
    const exchange = 'url' in spec ? options.exchangeFor(spec) : undefined;
    const caller = connectOptions.caller;
    if (!exchange || !caller) return options.base(spec, connectOptions);
    const key = principalKey(caller.principal);
    const subjectToken = () => subjectTokenOf(caller.principal);
    await exchange.token(key, subjectToken());
    const fetch = withTokenExchange(connectOptions.fetch, { exchange, key, subjectToken });
    return options.base(spec, { ...connectOptions, fetch });
  };
}
