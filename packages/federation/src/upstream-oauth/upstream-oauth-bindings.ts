/**
 * The hub's side of upstream OAuth (issue 21), web-standard (the Node server and the edge hub):
 * each `mcpServers` entry with an `oauth` block gets providers whose credentials live encrypted in
 * the hub's store (AES-256-GCM under the hub's key: a 0600 key file on Node, a secret binding at
 * the edge), and the OAuth binding the upstream connector uses for
 * each connection. `client_credentials` upstreams get and renew their tokens on their own; an
 * `authorization_code` upstream without a token fails its connect with what the operator must do.
 *
 * `"mode": "user"`: each caller's own connection (isolation `per-principal`) carries that caller's
 * token (`createUserUpstreamOAuth`: a caller without one gets the -32042 URL elicitation). The
 * shared connection, which only lists the catalog, has no caller: it connects without a token
 * when the upstream lists without one, else with the hub's token from `fedmcp auth login` — and
 * sends nothing but listing requests, so no caller's read or call is answered with that token.
 * (The catalog is not taken from a user's connection: it would show every caller what the
 * upstream lists to that one user.)
 */
import { FedmcpError } from '@fedmcp/protocol';
import {
  type AuditLog,
  createUpstreamOAuthProvider,
  type OAuthCredentialStore,
  type OAuthHolder,
  oauthCredentialKey,
  revokeUpstreamTokens,
  type UpstreamOAuthConfig,
  type UpstreamOAuthEvent,
  type UpstreamOAuthProvider,
} from '@fedmcp/proxy-auth';
import type { KeyValueStore, PubSub } from '@fedmcp/store';
import type { RemoteUpstreamSpec } from '@fedmcp/transports';
import type { FetchLike } from '@modelcontextprotocol/client';
import { withHubClientMetadata } from './hub-client-metadata.js';
import type { UpstreamOAuthBinding, UpstreamOAuthContext } from './oauth-upstream-connector.js';
import {
  createUserUpstreamOAuth,
  type OAuthUpstream,
  type UserUpstreamOAuth,
} from './user-upstream-oauth.js';

/** Options of {@link createUpstreamOAuth}. */
export interface UpstreamOAuthOptions {
  /** The configured OAuth upstreams (read on each connect, so a reload takes effect). */
  upstreams: () => readonly OAuthUpstream[];
  /** The hub's key/value store. */
  kv: Pick<KeyValueStore, 'get' | 'set' | 'delete'>;
  /** The store's pub/sub: a user's sign-in finished on another replica wakes a call waiting here. */
  pubsub?: PubSub;
  /**
   * Opens the encrypted credential store (`createEncryptedOAuthCredentialStore` over `kv`, with
   * the hub's key: a 0600 key file on Node, a secret binding at the edge). Called once.
   */
  openStore: () => Promise<OAuthCredentialStore>;
  /** The hub's OAuth redirect URI (`<hub.url origin>/oauth/callback`), read when first needed. */
  redirectUrl: () => string;
  /**
   * The URL of the hub's own client metadata document (`hubClientMetadataUrl`), the client id at
   * authorization servers that take one, for upstreams with no `clientId` and no
   * `clientMetadataUrl` of their own. `undefined` (an http hub): DCR.
   * @default none
   */
  clientMetadataUrl?: () => string | undefined;
  /** Where grants, refreshes, registrations and invalidations are recorded (never a token). */
  audit?: Pick<AuditLog, 'record'>;
  /** The fetch of the callback's code exchange and of revocations. @default globalThis.fetch */
  fetch?: FetchLike;
  /**
   * How an operator logs the hub in: `true`, `fedmcp auth login` (which writes to this store);
   * `'remote'`, `fedmcp auth login --hub <url>` through the hub's admin API (the edge hub);
   * `false`, not at all (refusals then name what does work).
   * @default true
   */
  operatorLogin?: boolean | 'remote';
}

/**
 * What the shared connection of a `"mode": "user"` upstream may send: the handshake, health
 * probes and the lists of its catalog (both eras). Reads, prompts, completions and calls go on
 * each caller's own connection, with the caller's token.
 */
export const USER_MODE_CATALOG_METHODS: ReadonlySet<string> = new Set([
  'initialize',
  'ping',
  'server/discover',
  'subscriptions/listen',
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
]);

/**
 * Whom a caller's per-user tokens are kept for: its subject and issuer (two issuers' same `sub`
 * are two people); refuses callers that have no subject.
 */
export function callerHolder(upstreamId: string, principal: unknown): OAuthHolder {
  const { subject, issuer, authMethod } = (principal ?? {}) as {
    subject?: unknown;
    issuer?: unknown;
    authMethod?: unknown;
  };
  if (typeof subject !== 'string' || subject.length === 0 || authMethod === 'anonymous') {
    throw new FedmcpError(
      'UNAUTHENTICATED',
      `Upstream "${upstreamId}" keeps a token per user ("oauth": { "mode": "user" }): authenticate to the hub (an API key or an OAuth token) to use it.`,
    );
  }
  return { subject, ...(typeof issuer === 'string' && issuer.length > 0 && { issuer }) };
}

/** One OAuth event of an upstream as an `auth` audit record (hub-wide: the hub is the principal). */
function recordOAuthEvent(
  audit: Pick<AuditLog, 'record'> | undefined,
  upstream: string,
  event: UpstreamOAuthEvent,
): void {
  void audit?.record({
    type: 'auth',
    outcome: event.type === 'oauth.invalidated' ? 'revoked' : 'granted',
    action: event.type,
    upstream,
    ...('scope' in event && event.scope !== undefined && { details: { scope: event.scope } }),
    ...('method' in event && { details: { registration: event.method } }),
    ...('what' in event && { details: { invalidated: event.what } }),
  });
}

/** The configured upstreams that have an `oauth` block (remote ones only: the schema allows no other). */
export function oauthUpstreamsOf(
  configured: ReadonlyMap<string, { id: string; spec: unknown; oauth?: UpstreamOAuthConfig }>,
): OAuthUpstream[] {
  const upstreams: OAuthUpstream[] = [];
  for (const { id, spec, oauth } of configured.values()) {
    const url = (spec as { url?: unknown }).url;
    if (oauth && typeof url === 'string') upstreams.push({ id, url, oauth });
  }
  return upstreams;
}

/** The hub-wide OAuth bindings of the configured upstreams. */
export interface UpstreamOAuth {
  /**
   * The connector's `oauthFor`: the binding of a connection to an upstream URL with an `oauth`
   * block (the caller's own with `"mode": "user"`, see the file comment).
   * @throws FedmcpError UNAUTHENTICATED for a caller's connection to a `"mode": "user"` upstream
   * when the caller is anonymous.
   */
  oauthFor(
    spec: RemoteUpstreamSpec,
    context?: UpstreamOAuthContext,
  ): UpstreamOAuthBinding | undefined;
  /** The per-user side: `GET /oauth/callback` and a user's logout. */
  readonly users: UserUpstreamOAuth;
  /** The credential store (for `fedmcp auth login` and `logout`). */
  store(): Promise<OAuthCredentialStore>;
  /**
   * Revokes (RFC 7009, when the authorization server advertises it) and forgets the tokens of one
   * holder at an upstream: the hub's (`holder` omitted, `"mode": "hub"`) or a caller's
   * (`"mode": "user"`). Audited. What the admin API's `DELETE /upstreams/{id}/oauth-tokens` does.
   * @returns whether tokens were stored.
   * @throws FedmcpError NOT_FOUND when the upstream has no `oauth` block; INVALID_PARAMS when the
   * holder does not fit its mode.
   */
  logout(upstreamId: string, holder?: OAuthHolder): Promise<boolean>;
}

/**
 * Creates the hub-wide OAuth bindings.
 *
 * @example
 * ```ts
 * const oauth = createUpstreamOAuth({ upstreams, kv: store.kv, openStore, redirectUrl });
 * const connect = createOAuthUpstreamConnector({ base: connectNodeUpstream, oauthFor: oauth.oauthFor });
 * ```
 */
export function createUpstreamOAuth(options: UpstreamOAuthOptions): UpstreamOAuth {
  let store: Promise<OAuthCredentialStore> | undefined;
  const openStore = () => {
    store ??= options.openStore().catch((error: unknown) => {
      store = undefined; // the next use tries again
      throw error;
    });
    return store;
  };
  // The store is opened lazily; the provider reads it through this forwarding store.
  const lazyStore: OAuthCredentialStore = {
    load: async (key) => (await openStore()).load(key),
    save: async (key, credentials) => (await openStore()).save(key, credentials),
    delete: async (key) => (await openStore()).delete(key),
  };
  const providers = new Map<
    string,
    { config: UpstreamOAuthConfig; provider: UpstreamOAuthProvider }
  >();
  const users = createUserUpstreamOAuth({
    upstreams: options.upstreams,
    ...(options.clientMetadataUrl && { clientMetadataUrl: options.clientMetadataUrl }),
    store: openStore,
    kv: options.kv,
    ...(options.pubsub && { pubsub: options.pubsub }),
    redirectUrl: options.redirectUrl,
    ...(options.audit && { audit: options.audit }),
    ...(options.fetch && { fetch: options.fetch }),
  });

  return {
    users,
    oauthFor(spec, context = {}) {
      const upstream = options.upstreams().find((candidate) => candidate.url === spec.url);
      if (!upstream) return undefined;
      const perUser = upstream.oauth.mode === 'user';
      if (perUser && context.caller) {
        return users.bindingFor(upstream.id, callerHolder(upstream.id, context.caller.principal));
      }
      let entry = providers.get(upstream.id);
      if (!entry || entry.config !== upstream.oauth) {
        entry = {
          config: upstream.oauth,
          provider: createUpstreamOAuthProvider({
            config: withHubClientMetadata(upstream.oauth, options.clientMetadataUrl?.()),
            store: lazyStore,
            key: oauthCredentialKey(upstream.id, 'hub'),
            redirectUrl: options.redirectUrl(),
            onEvent: (event) => recordOAuthEvent(options.audit, upstream.id, event),
          }),
        };
        providers.set(upstream.id, entry);
      }
      return {
        provider: entry.provider,
        ...(upstream.oauth.maxStepUps !== undefined && { maxStepUps: upstream.oauth.maxStepUps }),
        ...(perUser && { allowedMethods: USER_MODE_CATALOG_METHODS }),
        authorize: async () => {
          const login =
            options.operatorLogin === 'remote'
              ? `\`fedmcp auth login ${upstream.id} --hub <this hub's URL>\``
              : `\`fedmcp auth login ${upstream.id}\``;
          throw new FedmcpError(
            'UNAUTHENTICATED',
            perUser
              ? `Upstream "${upstream.id}" lists nothing without a token, and each user signs in on their own ("mode": "user"): ${
                  options.operatorLogin === false
                    ? 'this edge hub has no operator login to list its catalog with; run it on a Node hub (`fedmcp serve`), where an operator logs the hub in once, or peer with one.'
                    : `an operator runs ${login} once so the hub can list its catalog (that token lists only).`
                }`
              : `Upstream "${upstream.id}" needs an OAuth authorization: ${
                  options.operatorLogin === false
                    ? 'this edge hub has no operator login; use the "client_credentials" grant or "mode": "user".'
                    : `an operator runs ${login} once.`
                }`,
          );
        },
      };
    },
    store: openStore,
    async logout(upstreamId, holder) {
      const upstream = options.upstreams().find((candidate) => candidate.id === upstreamId);
      if (!upstream) {
        throw new FedmcpError('NOT_FOUND', `Upstream "${upstreamId}" has no "oauth" block.`);
      }
      const perUser = upstream.oauth.mode === 'user';
      if (perUser !== (holder !== undefined)) {
        throw new FedmcpError(
          'INVALID_PARAMS',
          perUser
            ? `Upstream "${upstreamId}" keeps a token per user ("mode": "user"): name whose with subject (and issuer, for OAuth users).`
            : `Upstream "${upstreamId}" has one token for the hub ("mode": "hub"): name no subject.`,
        );
      }
      if (holder) return users.logout(upstreamId, holder);
      const credentials = await openStore();
      const key = oauthCredentialKey(upstreamId, 'hub');
      const revoked = await revokeUpstreamTokens(
        await credentials.load(key).catch(() => undefined),
        { config: upstream.oauth, ...(options.fetch && { fetch: options.fetch }) },
      );
      const deleted = await credentials.delete(key);
      providers.delete(upstreamId);
      if (deleted) {
        void options.audit?.record({
          type: 'auth',
          outcome: 'revoked',
          action: 'oauth.logout',
          upstream: upstreamId,
          details: { atAuthorizationServer: revoked },
        });
      }
      return deleted;
    },
  };
}
