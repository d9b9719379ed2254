/**
 * Makes the hub an OAuth 2.1 client of protected remote upstreams: a connector that wraps
 * another one and gives each OAuth upstream's connection a `fetch` carrying its holder's token
 * (`withUpstreamOAuth` of `@fedmcp/proxy-auth`: refresh, step-up, authorization on a 401).
 */
import {
  type AuthorizeUpstream,
  type UpstreamOAuthProvider,
  withUpstreamOAuth,
} from '@fedmcp/proxy-auth';
import type { RemoteUpstreamSpec } from '@fedmcp/transports';
import type { UpstreamConnector } from '../upstream-options.js';

/** Who holds the token of one upstream connection, and how a user authorizes. */
export interface UpstreamOAuthBinding {
  /** The holder's provider (`createUpstreamOAuthProvider`). */
  provider: UpstreamOAuthProvider;
  /** Called when no stored or refreshed token will do. */
  authorize: AuthorizeUpstream;
  /** Step-ups per request. @default 2 */
  maxStepUps?: number;
}

/** Options of {@link createOAuthUpstreamConnector}. */
export interface OAuthUpstreamConnectorOptions {
  /** The connector that opens the connections. */
  base: UpstreamConnector;
  /** The OAuth binding of a remote upstream, or `undefined` for one without OAuth. */
  oauthFor(spec: RemoteUpstreamSpec): UpstreamOAuthBinding | undefined;
}

/**
 * Wraps a connector so that OAuth upstreams connect with their holder's token.
 *
 * @example
 * ```ts
 * const connect = createOAuthUpstreamConnector({
 *   base: connectNodeUpstream,
 *   oauthFor: (spec) => (spec.url === githubUrl ? { provider, authorize } : undefined),
 * });
 * ```
 */
export function createOAuthUpstreamConnector(
  options: OAuthUpstreamConnectorOptions,
): UpstreamConnector {
  return (spec, connectOptions) => {
    const binding = 'url' in spec ? options.oauthFor(spec) : undefined;
    if (!binding || !('url' in spec)) return options.base(spec, connectOptions);
    const fetch = withUpstreamOAuth(connectOptions.fetch, {
      provider: binding.provider,
      authorize: binding.authorize,
      serverUrl: spec.url,
      ...(binding.maxStepUps !== undefined && { maxStepUps: binding.maxStepUps }),
    });
    return options.base(spec, { ...connectOptions, fetch });
  };
}
