/**
 * Upstream OAuth and token exchange in the hub that `fedmcp deploy` bundles (issue 15), with the
 * same code as the Node hub (`createUpstreamOAuth`, `createOAuthUpstreamConnector`,
 * `createTokenExchangeConnector` of `@fedmcp/federation`): Web Crypto and `fetch` only.
 *
 * - `"oauth": { "mode": "user" }`: each caller signs in inside the call (URL elicitation, or
 *   `-32042` for clients without it); the hub's `GET /oauth/callback` finishes the sign-in (PKCE,
 *   single-use state bound to the caller and the upstream), and the caller's tokens are kept in
 *   the hub's store (the Durable Object store, or the Supabase function's PostgreSQL), sealed with
 *   AES-256-GCM under the key of the `FEDMCP_OAUTH_KEY` secret; refreshed, and revoked on logout.
 * - `"oauth"` with the `client_credentials` grant: the hub's own token, got and renewed alone.
 * - `"oauth": { "mode": "hub" }` with the `authorization_code` grant: an operator logs the hub in
 *   through its admin API (`fedmcp auth login <id> --hub <url>`, `POST
 *   /admin/v1/upstreams/{id}/oauth-login`); the same `/oauth/callback` finishes it (the pending
 *   login says it is the hub's) and seals the hub's tokens in the store.
 * - `"tokenExchange"`: each caller's own connection carries the token the configured
 *   authorization server issues in exchange for the caller's (RFC 8693); the upstream never sees
 *   the caller's token.
 *
 * The CLI side ({@link upstreamAuthOf}) bakes the blocks into the bundle with their
 * `${secret:NAME}` references in place; the key is the reference `${secret:FEDMCP_OAUTH_KEY}`,
 * uploaded as a secret binding. No `node:` imports.
 */
import {
  createOAuthUpstreamConnector,
  createOAuthWebRoutes,
  createTokenExchangeConnector,
  createUpstreamOAuth,
  hubClientMetadataUrl,
  OAUTH_CALLBACK_PATH,
  type OAuthUpstream,
  type UpstreamConnector,
  type UpstreamSignIns,
} from '@fedmcp/federation';
import { FedmcpError } from '@fedmcp/protocol';
import {
  type AuditLog,
  createEncryptedOAuthCredentialStore,
  createTokenExchange,
  type OAuthHolder,
  oauthCredentialKey,
  type TokenExchange,
  type UpstreamOAuthConfig,
} from '@fedmcp/proxy-auth';
import type { Store } from '@fedmcp/store';

/** The secret holding the key that seals upstream tokens at rest (32 random bytes, base64). */
export const OAUTH_KEY_SECRET = 'FEDMCP_OAUTH_KEY';

/** A `tokenExchange` block as the config validates it (`mcpServers.<name>.tokenExchange`). */
export interface TokenExchangeDefinition {
  tokenEndpoint: string;
  clientId: string;
  clientSecret?: string;
  clientAuthMethod?: 'client_secret_basic' | 'client_secret_post';
  audience?: string | string[];
  resource?: string | string[];
  scope?: string | string[];
  requestedTokenType?: string;
}

/** One upstream's credentials blocks, as baked into the bundle. */
export interface UpstreamAuthEntry {
  url: string;
  oauth?: UpstreamOAuthConfig;
  tokenExchange?: TokenExchangeDefinition;
}

/** What the bundle carries: the blocks by upstream id, and the key's reference. */
export interface UpstreamAuthDefinition {
  /** By upstream id (`mcpServers` key). */
  upstreamAuth?: Record<string, UpstreamAuthEntry>;
  /** `${secret:FEDMCP_OAUTH_KEY}` in the bundle; its value once the hub resolved it. */
  oauthCredentialKey?: string;
}

/** A configured upstream as `upstreamsFromConfig` lists it (only what is read here). */
interface ConfiguredEntry {
  id: string;
  spec: unknown;
  peer?: unknown;
  oauth?: UpstreamOAuthConfig;
  tokenExchange?: TokenExchangeDefinition;
}

/**
 * The CLI side: the `oauth` and `tokenExchange` blocks of the config's remote upstreams, and the
 * key's reference when one has `oauth`.
 * @returns the definition's keys, and the secret names the deploy must upload.
 * A hub-wide `authorization_code` upstream is logged in through the deployed hub
 * (`fedmcp auth login <upstream> --hub <url>`, see {@link EdgeUpstreamAuth.login}).
 * @param _refuse kept for callers: nothing is refused here any more.
 */
export function upstreamAuthOf(
  configured: Iterable<ConfiguredEntry>,
  _refuse: (reason: string) => Error = (reason) => new Error(reason),
): {
  definition: UpstreamAuthDefinition;
  references: string[];
} {
  const upstreamAuth: Record<string, UpstreamAuthEntry> = {};
  let withOAuth = false;
  for (const { id, spec, peer, oauth, tokenExchange } of configured) {
    const url = (spec as { url?: unknown }).url;
    if (peer !== undefined || typeof url !== 'string' || (!oauth && !tokenExchange)) continue;
    withOAuth ||= oauth !== undefined;
    upstreamAuth[id] = { url, ...(oauth && { oauth }), ...(tokenExchange && { tokenExchange }) };
  }
  if (Object.keys(upstreamAuth).length === 0) return { definition: {}, references: [] };
  return {
    definition: {
      upstreamAuth,
      ...(withOAuth && { oauthCredentialKey: `\${secret:${OAUTH_KEY_SECRET}}` }),
    },
    references: withOAuth ? [OAUTH_KEY_SECRET] : [],
  };
}

/** Decodes the key secret: 32 bytes in base64 (`openssl rand -base64 32`). */
function credentialKeyOf(value: string | undefined): Uint8Array {
  let key: Uint8Array | undefined;
  try {
    if (value) key = Uint8Array.from(atob(value.trim()), (character) => character.charCodeAt(0));
  } catch {
    key = undefined;
  }
  if (key?.byteLength !== 32) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `${OAUTH_KEY_SECRET} must be 32 random bytes in base64 (\`openssl rand -base64 32\`): it seals the upstream OAuth tokens in the hub's store. Set it with \`fedmcp secrets set ${OAUTH_KEY_SECRET}\` and deploy again.`,
    );
  }
  return key;
}

/** What the entry wires in. */
export interface EdgeUpstreamAuth {
  /** Wraps the hub's base connector (OAuth, then token exchange around it, as on Node). */
  connector(base: UpstreamConnector): UpstreamConnector;
  /** `createHub` options: the in-call sign-ins of per-user upstreams. */
  hubOptions: { upstreamSignIns?: UpstreamSignIns };
  /** Serves `/oauth/callback` and `/oauth/client-metadata.json` in front of `handler`. */
  withRoutes(
    handler: (request: Request) => Promise<Response>,
  ): (request: Request) => Promise<Response>;
  /** Whether an upstream has an `oauth` block (the admin API then serves its tokens' route). */
  withOAuth: boolean;
  /**
   * Revokes (RFC 7009, where advertised) and forgets the tokens of one holder at an upstream: the
   * hub's (`holder` omitted) or a caller's (`"mode": "user"`); audited. What the admin API's
   * `DELETE /upstreams/{id}/oauth-tokens` does (`UpstreamOAuth.logout`).
   * @returns whether tokens were stored.
   * @throws FedmcpError NOT_FOUND when the upstream has no `oauth` block.
   */
  logout(upstreamId: string, holder?: OAuthHolder): Promise<boolean>;
  /**
   * Starts the hub's own login at an `authorization_code` upstream: the authorization URL, whose
   * redirect is this hub's `/oauth/callback`, which stores the hub's tokens sealed in its store.
   * What the admin API's `POST /upstreams/{id}/oauth-login` does.
   * @throws FedmcpError NOT_FOUND when the upstream has no `oauth` block with that grant.
   */
  login(upstreamId: string): Promise<{ authorizationUrl: string }>;
  /**
   * Whether the hub holds its own tokens for an upstream (`GET /upstreams/{id}/oauth-login`).
   * @throws FedmcpError NOT_FOUND when the upstream has no `oauth` block.
   */
  loggedIn(upstreamId: string): Promise<boolean>;
}

/** Options of {@link createEdgeUpstreamAuth}. */
export interface EdgeUpstreamAuthOptions {
  /** The hub's store: sealed tokens, pending sign-ins and their outcomes. */
  store: Store;
  /**
   * Whether sign-in outcomes are also announced on the store's pub/sub. Off on Cloudflare, where
   * one Durable Object runs the hub (the callback and the waiting call meet in it).
   */
  pubsub: boolean;
  audit: Pick<AuditLog, 'record'>;
  /** `hub.url`. */
  resource?: string;
  /** Supabase: the function's slug (the callback is under its path). */
  slug?: string;
  /** `hub.name`: the client metadata document's `client_name`. */
  name?: string;
}

/** The hub's base URL for its own routes: `hub.url`'s origin (and the function's path). */
function baseOf(resource: string, slug: string | undefined): string {
  const url = new URL(resource);
  const at = slug === undefined ? -1 : url.pathname.indexOf(`/${slug}/`);
  return at < 0 ? url.origin : `${url.origin}${url.pathname.slice(0, at + slug!.length + 1)}`;
}

/**
 * The edge hub's upstream OAuth and token exchange for `definition` (resolved references).
 *
 * @throws (from a connect, not here) INVALID_CONFIG when the key secret is not 32 bytes.
 */
export function createEdgeUpstreamAuth(
  definition: UpstreamAuthDefinition,
  options: EdgeUpstreamAuthOptions,
): EdgeUpstreamAuth {
  const entries = Object.entries(definition.upstreamAuth ?? {});
  if (entries.length === 0) {
    return {
      connector: (base) => base,
      hubOptions: {},
      withRoutes: (handler) => handler,
      withOAuth: false,
      logout: async (upstreamId) => {
        throw new FedmcpError('NOT_FOUND', `Upstream "${upstreamId}" has no "oauth" block.`);
      },
      login: async (upstreamId) => {
        throw new FedmcpError('NOT_FOUND', `Upstream "${upstreamId}" has no "oauth" block.`);
      },
      loggedIn: async (upstreamId) => {
        throw new FedmcpError('NOT_FOUND', `Upstream "${upstreamId}" has no "oauth" block.`);
      },
    };
  }
  const oauthUpstreams: OAuthUpstream[] = entries.flatMap(([id, { url, oauth }]) =>
    oauth ? [{ id, url, oauth }] : [],
  );
  // Where the hub is reached: `hub.url`, else the first request's origin.
  let base = options.resource === undefined ? undefined : baseOf(options.resource, options.slug);
  const baseUrl = () => base ?? 'http://localhost';
  const { store } = options;
  const upstreamOAuth = createUpstreamOAuth({
    upstreams: () => oauthUpstreams,
    kv: store.kv,
    ...(options.pubsub && { pubsub: store.pubsub }),
    openStore: async () =>
      createEncryptedOAuthCredentialStore({
        store: store.kv,
        key: credentialKeyOf(definition.oauthCredentialKey),
      }),
    redirectUrl: () => `${baseUrl()}${OAUTH_CALLBACK_PATH}`,
    // The operator logs the hub in through this hub: `fedmcp auth login <id> --hub <url>`.
    operatorLogin: 'remote',
    // Served at the origin's root only (not under a Supabase function's path).
    clientMetadataUrl: () =>
      new URL(baseUrl()).pathname === '/' ? hubClientMetadataUrl(baseUrl()) : undefined,
    audit: options.audit,
  });
  const exchanges = new Map<string, TokenExchange>();
  const exchangeFor = (spec: { url: string }): TokenExchange | undefined => {
    const found = entries.find(([, entry]) => entry.url === spec.url && entry.tokenExchange);
    if (!found) return undefined;
    const [id, { url, tokenExchange: config }] = found;
    let exchange = exchanges.get(id);
    if (!exchange && config) {
      exchange = createTokenExchange({
        tokenEndpoint: config.tokenEndpoint,
        clientId: config.clientId,
        resource: config.resource ?? url,
        configPath: `mcpServers.${id}.tokenExchange`,
        ...(config.clientSecret !== undefined && { clientSecret: config.clientSecret }),
        ...(config.clientAuthMethod && { clientAuthMethod: config.clientAuthMethod }),
        ...(config.audience !== undefined && { audience: config.audience }),
        ...(config.scope !== undefined && { scope: config.scope }),
        ...(config.requestedTokenType && { requestedTokenType: config.requestedTokenType }),
      });
      exchanges.set(id, exchange);
    }
    return exchange;
  };
  const routes = createOAuthWebRoutes({
    users: upstreamOAuth.users,
    origin: () => `${baseUrl()}/`,
    ...(options.name === undefined ? {} : { clientName: options.name }),
  });
  return {
    connector: (connect) =>
      createTokenExchangeConnector({
        base: createOAuthUpstreamConnector({ base: connect, oauthFor: upstreamOAuth.oauthFor }),
        exchangeFor,
      }),
    hubOptions:
      oauthUpstreams.length === 0
        ? {}
        : {
            upstreamSignIns: {
              owns: (id) => upstreamOAuth.users.ownsSignIn(id),
              wait: (id, signal) => upstreamOAuth.users.waitForSignIn(id, signal),
            },
          },
    withOAuth: oauthUpstreams.length > 0,
    logout: (upstreamId, holder) => upstreamOAuth.logout(upstreamId, holder),
    login: async (upstreamId) => ({
      authorizationUrl: (await upstreamOAuth.users.startHubLogin(upstreamId)).href,
    }),
    loggedIn: async (upstreamId) => {
      if (!oauthUpstreams.some((upstream) => upstream.id === upstreamId)) {
        throw new FedmcpError('NOT_FOUND', `Upstream "${upstreamId}" has no "oauth" block.`);
      }
      const stored = await (await upstreamOAuth.store()).load(
        oauthCredentialKey(upstreamId, 'hub'),
      );
      return stored?.tokens !== undefined;
    },
    withRoutes: (handler) => async (request) => {
      base ??= new URL(request.url).origin;
      return (await routes(request)) ?? handler(request);
    },
  };
}
