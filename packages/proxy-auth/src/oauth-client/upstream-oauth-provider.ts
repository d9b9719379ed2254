/**
 * The hub's side of the SDK's OAuth client: an `OAuthClientProvider` over an
 * {@link OAuthCredentialStore}. The SDK's `auth()` does discovery (RFC 9728, RFC 8414 / OIDC with
 * the path-insertion variants), registration (CIMD or DCR), PKCE S256 with `resource` (RFC 8707),
 * refresh and client credentials; this provider decides which client the hub is (pre-registered
 * from config → CIMD → DCR), keeps what it learns, and records the authorization URL the SDK
 * wants a user sent to (the caller of `auth()` decides how: see `withUpstreamOAuth`).
 */
import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';
import { privateKeyJwtAuthentication } from './client-authentication.js';
import type { OAuthCredentialStore, OAuthCredentials } from './oauth-credential-store.js';
import type { UpstreamOAuthConfig } from './upstream-oauth-config.js';

/** What happened to one holder's credentials (for the audit log: never carries a token). */
export type UpstreamOAuthEvent =
  | { type: 'oauth.grant'; key: string; scope?: string }
  | { type: 'oauth.refresh'; key: string; scope?: string }
  | { type: 'oauth.registered'; key: string; method: 'cimd' | 'dcr' }
  | { type: 'oauth.invalidated'; key: string; what: string };

/** Options of {@link createUpstreamOAuthProvider}. */
export interface UpstreamOAuthProviderOptions {
  /** The upstream's `oauth` block, validated. */
  config: UpstreamOAuthConfig;
  /** Where tokens and registrations are kept. */
  store: OAuthCredentialStore;
  /** The store key of this holder's credentials (`oauthCredentialKey`). */
  key: string;
  /** The redirect URI registered for the authorization code grant (the hub's `/oauth/callback`). */
  redirectUrl?: string;
  /** `client_name` in registrations. @default 'fedmcp' */
  clientName?: string;
  /** Grant, refresh, registration and invalidation events. @default none */
  onEvent?: (event: UpstreamOAuthEvent) => void;
  /** The clock, for token expiry. @default Date.now */
  now?: () => number;
}

/** The SDK's provider interface plus what the hub's flows read back from it. */
export interface UpstreamOAuthProvider extends OAuthClientProvider {
  /** The authorization URL the last `auth()` wanted a user sent to (consumed by reading). */
  takeAuthorizationUrl(): URL | undefined;
  /** The current tokens' expiry (epoch ms), if the server said. */
  expiresAt(): Promise<number | undefined>;
}

function randomToken(bytes = 32): string {
  const buffer = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...buffer))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

/**
 * Creates the OAuth client provider of one (holder, upstream) pair.
 *
 * @example
 * ```ts
 * const provider = createUpstreamOAuthProvider({
 *   config: upstreamOAuthConfigSchema.parse({ mode: 'hub' }),
 *   store: createMemoryOAuthCredentialStore(),
 *   key: oauthCredentialKey('github', 'hub'),
 *   redirectUrl: 'http://127.0.0.1:8787/oauth/callback',
 * });
 * ```
 */
export function createUpstreamOAuthProvider(
  options: UpstreamOAuthProviderOptions,
): UpstreamOAuthProvider {
  const { config, store, key } = options;
  const now = options.now ?? Date.now;
  const interactive = config.grant === 'authorization_code';
  let cached: OAuthCredentials | undefined;
  let codeVerifier: string | undefined;
  let authorizationUrl: URL | undefined;

  // Re-read while there is no token: another process (`fedmcp auth login`) may have stored one.
  const load = async () => {
    if (!cached?.tokens) cached = (await store.load(key)) ?? {};
    return cached;
  };
  // The tokens are read from the store on each use, not from memory: another replica may have
  // refreshed them (a rotated refresh token is single-use: the old one would revoke the grant),
  // and a logout (`fedmcp auth logout`, another process) takes effect on the next request.
  const reload = async () => {
    cached = (await store.load(key)) ?? {};
    return cached;
  };
  const update = async (change: (credentials: OAuthCredentials) => OAuthCredentials) => {
    cached = change({ ...(await load()) });
    await store.save(key, cached);
  };

  const clientMetadata: OAuthClientMetadata = {
    client_name: options.clientName ?? 'fedmcp',
    redirect_uris: interactive && options.redirectUrl ? [options.redirectUrl] : [],
    grant_types: interactive ? ['authorization_code', 'refresh_token'] : ['client_credentials'],
    response_types: interactive ? ['code'] : [],
    ...(config.tokenEndpointAuthMethod && {
      token_endpoint_auth_method: config.tokenEndpointAuthMethod,
    }),
    ...(config.scopes && { scope: config.scopes.join(' ') }),
  };

  const addClientAuthentication = privateKeyJwtAuthentication(config);

  const preRegistered = (issuer: string | undefined): StoredOAuthClientInformation | undefined =>
    config.clientId === undefined
      ? undefined
      : {
          client_id: config.clientId,
          ...(config.clientSecret !== undefined && { client_secret: config.clientSecret }),
          ...(config.tokenEndpointAuthMethod && {
            token_endpoint_auth_method: config.tokenEndpointAuthMethod,
          }),
          ...(issuer !== undefined && { issuer }),
        };

  const provider: UpstreamOAuthProvider = {
    get redirectUrl() {
      return interactive ? options.redirectUrl : undefined;
    },
    ...(config.clientMetadataUrl && { clientMetadataUrl: config.clientMetadataUrl }),
    get clientMetadata() {
      return clientMetadata;
    },
    state: () => randomToken(),
    async clientInformation() {
      const stored = (await load()).clientInformation;
      return preRegistered(stored?.issuer) ?? stored;
    },
    async saveClientInformation(information) {
      const registered = cached?.clientInformation === undefined && config.clientId === undefined;
      await update((credentials) => ({ ...credentials, clientInformation: information }));
      if (registered) {
        const method = information.client_id === config.clientMetadataUrl ? 'cimd' : 'dcr';
        options.onEvent?.({ type: 'oauth.registered', key, method });
      }
    },
    async tokens() {
      return (await reload()).tokens;
    },
    async saveTokens(tokens: StoredOAuthTokens) {
      const refreshed = codeVerifier === undefined && interactive;
      const expiresAt =
        tokens.expires_in === undefined ? undefined : now() + tokens.expires_in * 1000;
      await update((credentials) => ({
        ...credentials,
        tokens: { ...tokens, ...(expiresAt !== undefined && { expiresAt }) },
      }));
      codeVerifier = undefined;
      options.onEvent?.({
        type: refreshed ? 'oauth.refresh' : 'oauth.grant',
        key,
        ...(tokens.scope !== undefined && { scope: tokens.scope }),
      });
    },
    redirectToAuthorization(url) {
      authorizationUrl = url;
    },
    takeAuthorizationUrl() {
      const url = authorizationUrl;
      authorizationUrl = undefined;
      return url;
    },
    saveCodeVerifier(verifier) {
      codeVerifier = verifier;
    },
    codeVerifier() {
      if (codeVerifier === undefined) {
        throw new Error('No PKCE code verifier: start the authorization again.');
      }
      return codeVerifier;
    },
    async invalidateCredentials(scope) {
      if (scope === 'verifier') {
        codeVerifier = undefined;
        return;
      }
      await update((credentials) => {
        const next = { ...credentials };
        if (scope === 'all' || scope === 'tokens') delete next.tokens;
        if (scope === 'all' || scope === 'client') delete next.clientInformation;
        if (scope === 'all' || scope === 'discovery') delete next.discoveryState;
        return next;
      });
      options.onEvent?.({ type: 'oauth.invalidated', key, what: scope });
    },
    async discoveryState() {
      return (await load()).discoveryState;
    },
    async saveDiscoveryState(state: OAuthDiscoveryState) {
      await update((credentials) => ({ ...credentials, discoveryState: state }));
    },
    async expiresAt() {
      return (await reload()).tokens?.expiresAt;
    },
    ...(!interactive && {
      prepareTokenRequest(scope?: string) {
        const params = new URLSearchParams({ grant_type: 'client_credentials' });
        if (scope) params.set('scope', scope);
        return params;
      },
    }),
    ...(addClientAuthentication && { addClientAuthentication }),
  };
  return provider;
}
