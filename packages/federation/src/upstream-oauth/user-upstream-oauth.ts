/**
 * Per-user upstream OAuth (issue 21, `"oauth": { "mode": "user" }`): each caller (principal)
 * holds its own token for an upstream, stored encrypted under `oauthCredentialKey(id, holder)`
 * (the principal's issuer and subject). A caller without a token is asked to log in through a URL
 * elicitation: the connect fails with `-32042` (URL elicitation required, MCP 2025-11-25) whose
 * message and `data.url` carry the authorization URL; the hub turns it into an in-call
 * `elicitation/create` (or `input_required` round) for clients that take URL elicitations, and
 * waits for {@link UserUpstreamOAuth.waitForSignIn}. The hub's `GET /oauth/callback` then exchanges the code (the state is
 * single-use, bound to the caller and the upstream, and expires after 10 minutes; the pending
 * sign-in with its PKCE verifier is kept encrypted in the store under a digest of the state, so
 * the redirect may reach any replica) and stores the caller's token, and the client's retry
 * succeeds.
 */
import { FedmcpError } from '@fedmcp/protocol';
import {
  type AuditLog,
  createUpstreamOAuthProvider,
  type OAuthCredentialStore,
  type OAuthCredentials,
  type OAuthHolder,
  oauthCredentialKey,
  revokeUpstreamTokens,
  type UpstreamOAuthConfig,
  type UpstreamOAuthProvider,
} from '@fedmcp/proxy-auth';
import type { KeyValueStore, PubSub } from '@fedmcp/store';
import { auth, type FetchLike } from '@modelcontextprotocol/client';
import { withHubClientMetadata } from './hub-client-metadata.js';
import type { UpstreamOAuthBinding } from './oauth-upstream-connector.js';
import { createSignInSignals, type SignInOutcome } from './sign-in-signals.js';

/** An upstream with an `oauth` block. */
export interface OAuthUpstream {
  id: string;
  url: string;
  oauth: UpstreamOAuthConfig;
}

/** The JSON-RPC code of "URL elicitation required" (MCP 2025-11-25). */
export const URL_ELICITATION_REQUIRED = -32042;

/** How long a login started by an elicitation may take. */
export const USER_LOGIN_TTL_MS = 10 * 60_000;

/** Options of {@link createUserUpstreamOAuth}. */
export interface UserUpstreamOAuthOptions {
  /** The configured OAuth upstreams (read on each use, so a reload takes effect). */
  upstreams: () => readonly OAuthUpstream[];
  /** The encrypted credential store (`openOAuthCredentialStore`). */
  store: () => Promise<OAuthCredentialStore>;
  /** The hub's redirect URI (`<hub.url origin>/oauth/callback`). */
  redirectUrl: () => string;
  /** Where sign-in outcomes are kept for calls waiting on them (the hub's store). @default in memory */
  kv?: Pick<KeyValueStore, 'get' | 'set'>;
  /** The store's pub/sub: a sign-in finished on another replica reaches a call waiting here. */
  pubsub?: PubSub;
  /** The hub's client metadata document URL (see `HubUpstreamOAuthOptions`). @default none */
  clientMetadataUrl?: () => string | undefined;
  /** Grants, refreshes and revocations, with the caller's subject (never a token). */
  audit?: Pick<AuditLog, 'record'>;
  /** The fetch of the token exchange. @default globalThis.fetch */
  fetch?: FetchLike;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** Pending logins kept at most (the oldest goes first): callers cannot grow the map for ever. */
export const MAX_PENDING_LOGINS = 1000;

/** What the callback answers the browser. */
export interface CallbackAnswer {
  status: number;
  /** A small HTML page. */
  page: string;
  /** Its headers: HTML, never cached, and no `Referer` carrying the code onward. */
  headers: Record<string, string>;
}

const CALLBACK_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
};

/** The per-user OAuth bindings of a hub. */
export interface UserUpstreamOAuth {
  /**
   * The binding of `holder`'s connection to an upstream with `"mode": "user"`, else `undefined`.
   * A string is a subject without issuer (an API-key or certificate principal).
   */
  bindingFor(upstreamId: string, holder: OAuthHolder | string): UpstreamOAuthBinding | undefined;
  /** `GET /oauth/callback`: exchanges the code of a pending login. Never throws. */
  callback(query: URLSearchParams): Promise<CallbackAnswer>;
  /**
   * Waits until the sign-in an elicitation asked for (its `elicitationId`) ends, on any replica.
   * @throws the signal's reason when it aborts first.
   */
  waitForSignIn(elicitationId: string, signal: AbortSignal): Promise<SignInOutcome>;
  /** Whether `elicitationId` is a sign-in this hub started and that is still pending (any replica). */
  ownsSignIn(elicitationId: string): Promise<boolean>;
  /**
   * Forgets `holder`'s token for an upstream, after revoking it at the authorization server when
   * that advertises a revocation endpoint (RFC 7009). Audited.
   * @returns whether one was stored.
   */
  logout(upstreamId: string, holder: OAuthHolder | string): Promise<boolean>;
  /**
   * Starts the hub's own login at an `authorization_code` upstream (the edge's `fedmcp auth login
   * --hub`): forgets the hub's tokens there, and answers the authorization URL, whose redirect is
   * the hub's `/oauth/callback`; the pending login (PKCE verifier, single-use state marked as the
   * hub's) is kept in the store like a user's, and the callback stores the hub's tokens.
   * @throws FedmcpError NOT_FOUND when the upstream has no `oauth` block with that grant; what
   * the authorization server's discovery or registration fails with.
   */
  startHubLogin(upstreamId: string): Promise<URL>;
}

/** Whom a login is for: a caller, or the hub itself (`"hub"`). */
type LoginHolder = OAuthHolder | 'hub';

interface PendingLogin {
  upstream: OAuthUpstream;
  holder: LoginHolder;
  provider: UpstreamOAuthProvider;
  expiresAt: number;
}

/**
 * The elicitation id of a login: a digest of its `state` (which is not stored). The pending login
 * is kept under `oauth-login:<id>`, and the sign-in's outcome is announced under the same id.
 */
async function elicitationIdOf(state: string): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest('SHA-256', new TextEncoder().encode(state)),
  );
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const loginKey = async (state: string) => `oauth-login:${await elicitationIdOf(state)}`;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (character) => `&#${character.codePointAt(0)};`);

const page = (status: number, message: string): CallbackAnswer => ({
  status,
  headers: CALLBACK_HEADERS,
  page: `<!doctype html><meta charset="utf-8"><title>fedmcp</title><p>${escapeHtml(message)}</p>\n`,
});

/**
 * Creates the per-user bindings.
 *
 * @example
 * ```ts
 * const users = createUserUpstreamOAuth({ upstreams, store: () => oauth.store(), redirectUrl });
 * const binding = users.bindingFor('docs', { subject: principal.subject, issuer: principal.issuer });
 * ```
 */
export function createUserUpstreamOAuth(options: UserUpstreamOAuthOptions): UserUpstreamOAuth {
  const now = options.now ?? Date.now;
  /** Pending logins by their `state` (single-use). */
  const pending = new Map<string, PendingLogin>();
  const store: OAuthCredentialStore = {
    load: async (key) => (await options.store()).load(key),
    save: async (key, credentials, saveOptions) =>
      (await options.store()).save(key, credentials, saveOptions),
    delete: async (key) => (await options.store()).delete(key),
  };
  const find = (upstreamId: string) =>
    options.upstreams().find((candidate) => candidate.id === upstreamId);
  const signals = createSignInSignals({
    kv: options.kv ?? createMemoryKv(),
    ...(options.pubsub && { pubsub: options.pubsub }),
    ttlMs: USER_LOGIN_TTL_MS,
  });
  // The principal (never a token) and the upstream of each grant, refresh and revocation.
  const record = (
    outcome: string,
    action: string,
    upstream: string,
    holder: LoginHolder,
    details?: Record<string, unknown>,
  ) =>
    void options.audit?.record({
      type: 'auth',
      outcome,
      action,
      upstream,
      ...(details && { details }),
      // The hub's own login: the hub is the principal (as for its refreshes).
      ...(holder !== 'hub' && {
        principal: {
          subject: holder.subject,
          ...(holder.issuer !== undefined && { issuer: holder.issuer }),
          authMethod: 'oauth',
        },
      }),
    });
  const dropExpired = () => {
    for (const [state, login] of pending) if (login.expiresAt <= now()) pending.delete(state);
  };
  /**
   * The pending login of `state`, taken (single-use on every replica: whoever deletes the
   * stored record has it). This process's own, else one another replica started.
   */
  const takeLogin = async (state: string): Promise<PendingLogin | undefined> => {
    const local = pending.get(state);
    pending.delete(state);
    if (state.length === 0) return undefined;
    let stored: OAuthCredentials['pendingLogin'];
    let taken: boolean;
    try {
      const key = await loginKey(state);
      stored = (await store.load(key))?.pendingLogin;
      taken = await store.delete(key);
    } catch {
      // The store cannot be read: only this process's own sign-ins can finish.
      return local;
    }
    if (!taken) return undefined;
    if (local) return local;
    if (!stored || stored.expiresAt <= now()) return undefined;
    const upstream = find(stored.upstreamId);
    const hubLogin = (stored as HubMarked).hub === true;
    if (!upstream) return undefined;
    if (hubLogin ? upstream.oauth.grant !== 'authorization_code' : upstream.oauth.mode !== 'user') {
      return undefined;
    }
    const holder: LoginHolder = hubLogin
      ? 'hub'
      : {
          subject: stored.subject,
          ...(stored.issuer !== undefined && { issuer: stored.issuer }),
        };
    const provider = providerFor(upstream, holder, stored.redirectUrl);
    provider.saveCodeVerifier(stored.codeVerifier);
    return { upstream, holder, provider, expiresAt: stored.expiresAt };
  };

  const providerFor = (
    upstream: OAuthUpstream,
    holder: LoginHolder,
    redirectUrl = options.redirectUrl(),
  ) =>
    createUpstreamOAuthProvider({
      config: withHubClientMetadata(upstream.oauth, options.clientMetadataUrl?.()),
      store,
      key: oauthCredentialKey(upstream.id, holder),
      redirectUrl,
      onEvent: (event) => {
        if (event.type === 'oauth.grant' || event.type === 'oauth.refresh') {
          record('granted', event.type, upstream.id, holder);
        } else if (event.type === 'oauth.invalidated') {
          record('revoked', event.type, upstream.id, holder);
        }
      },
    });

  const bindingFor = (upstreamId: string, holderOrSubject: OAuthHolder | string) => {
    const holder = holderOf(holderOrSubject);
    const upstream = find(upstreamId);
    if (upstream?.oauth.mode !== 'user') return undefined;
    // A fresh provider per connection.
    const provider = providerFor(upstream, holder);
    const binding: UpstreamOAuthBinding = {
      provider,
      ...(upstream.oauth.maxStepUps !== undefined && { maxStepUps: upstream.oauth.maxStepUps }),
      authorize: async (url) => {
        dropExpired();
        const state = url.searchParams.get('state');
        if (!state) throw new Error('The OAuth flow built an authorization URL without a state.');
        const expiresAt = now() + USER_LOGIN_TTL_MS;
        pending.set(state, { upstream, holder, provider, expiresAt });
        for (const oldest of pending.keys()) {
          if (pending.size <= MAX_PENDING_LOGINS) break;
          pending.delete(oldest);
        }
        // Also in the store (encrypted, expiring): the redirect may reach another replica.
        const codeVerifier = await provider.codeVerifier();
        await store.save(
          await loginKey(state),
          {
            pendingLogin: {
              upstreamId: upstream.id,
              subject: holder.subject,
              ...(holder.issuer !== undefined && { issuer: holder.issuer }),
              codeVerifier,
              redirectUrl: url.searchParams.get('redirect_uri') ?? options.redirectUrl(),
              expiresAt,
            },
          },
          { ttlMs: USER_LOGIN_TTL_MS },
        );
        const elicitationId = await elicitationIdOf(state);
        const message = `Sign in to "${upstream.id}" to continue: open ${url.href} and retry the call.`;
        throw new FedmcpError('UNAUTHENTICATED', message, {
          jsonRpcCode: URL_ELICITATION_REQUIRED,
          data: {
            url: url.href,
            elicitations: [{ mode: 'url', elicitationId, url: url.href, message }],
          },
        });
      },
    };
    return binding;
  };

  const startHubLogin = async (upstreamId: string): Promise<URL> => {
    const upstream = find(upstreamId);
    if (upstream?.oauth.grant !== 'authorization_code') {
      throw new FedmcpError(
        'NOT_FOUND',
        `Upstream "${upstreamId}" has no "oauth" block with the "authorization_code" grant.`,
      );
    }
    const provider = providerFor(upstream, 'hub');
    // A new authorization: the hub's tokens go (the registered client stays, its redirect is
    // the hub's callback, which does not change).
    await provider.invalidateCredentials?.('tokens');
    // Discovery (the upstream's protected resource metadata), registration when needed, then
    // the redirect the provider keeps for us instead of opening.
    const result = await auth(provider, {
      serverUrl: upstream.url,
      ...(options.fetch && { fetchFn: options.fetch }),
    });
    const url = result === 'REDIRECT' ? provider.takeAuthorizationUrl() : undefined;
    const state = url?.searchParams.get('state');
    if (!url || !state) {
      throw new FedmcpError(
        'UPSTREAM_UNAVAILABLE',
        `Upstream "${upstreamId}" started no authorization (no authorization URL with a state).`,
      );
    }
    const expiresAt = now() + USER_LOGIN_TTL_MS;
    const pendingLogin: NonNullable<OAuthCredentials['pendingLogin']> & HubMarked = {
      upstreamId: upstream.id,
      subject: 'hub',
      hub: true,
      codeVerifier: await provider.codeVerifier(),
      redirectUrl: url.searchParams.get('redirect_uri') ?? options.redirectUrl(),
      expiresAt,
    };
    await store.save(await loginKey(state), { pendingLogin }, { ttlMs: USER_LOGIN_TTL_MS });
    return url;
  };

  return {
    bindingFor,
    startHubLogin,
    waitForSignIn: (elicitationId, signal) => signals.wait(elicitationId, signal),
    async ownsSignIn(elicitationId) {
      const stored = await store.load(`oauth-login:${elicitationId}`).catch(() => undefined);
      return stored?.pendingLogin !== undefined;
    },
    async callback(query) {
      dropExpired();
      const state = query.get('state') ?? '';
      const login = (await takeLogin(state)) ?? undefined;
      const settle = async (outcome: SignInOutcome) =>
        signals.settle(await elicitationIdOf(state), outcome);
      if (!login) {
        return page(
          400,
          'This sign-in link is unknown or has expired. Retry the call (or the login) to get a new one.',
        );
      }
      const who = login.holder === 'hub' ? 'The hub is' : 'You are';
      const code = query.get('code');
      if (!code) {
        const reason = query.get('error_description') ?? query.get('error') ?? 'no code';
        record('failure', 'oauth.grant', login.upstream.id, login.holder);
        await settle('failed');
        return page(400, `The sign-in failed: ${reason}. Retry the call to try again.`);
      }
      const iss = query.get('iss');
      try {
        const result = await auth(login.provider, {
          serverUrl: login.upstream.url,
          authorizationCode: code,
          ...(iss !== null && { iss }),
          ...(options.fetch && { fetchFn: options.fetch }),
        });
        if (result !== 'AUTHORIZED') throw new Error('the code was not accepted');
      } catch (error) {
        record('failure', 'oauth.grant', login.upstream.id, login.holder);
        await settle('failed');
        return page(
          502,
          `The sign-in to "${login.upstream.id}" could not be completed (${(error as Error).message}). Retry the call to try again.`,
        );
      }
      await settle('completed');
      return page(200, `${who} signed in to "${login.upstream.id}". You can close this tab.`);
    },
    async logout(upstreamId, holderOrSubject) {
      const holder = holderOf(holderOrSubject);
      const key = oauthCredentialKey(upstreamId, holder);
      const stored = await store.load(key).catch(() => undefined);
      const config = find(upstreamId)?.oauth;
      const revoked = await revokeUpstreamTokens(stored, {
        ...(config && { config }),
        ...(options.fetch && { fetch: options.fetch }),
      });
      const deleted = await store.delete(key);
      if (deleted || revoked === 'revoked') {
        record('revoked', 'oauth.logout', upstreamId, holder, { atAuthorizationServer: revoked });
      }
      return deleted;
    },
  };
}

/** The mark of a pending login that is the hub's own (`startHubLogin`), not a caller's. */
interface HubMarked {
  hub?: boolean;
}

/** A holder given as a bare subject (no issuer), or as itself. */
const holderOf = (holder: OAuthHolder | string): OAuthHolder =>
  typeof holder === 'string' ? { subject: holder } : holder;

/** A process-local key/value for sign-in outcomes when the hub passes no store. */
function createMemoryKv(): Pick<KeyValueStore, 'get' | 'set'> {
  const values = new Map<string, string>();
  return {
    get: async (key) => {
      const value = values.get(key);
      return value === undefined ? undefined : { key, value, version: 0 };
    },
    set: async (key, value) => {
      values.set(key, value);
      return { key, value, version: 0 };
    },
  };
}
