import type {
  OAuthDiscoveryState,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from '@modelcontextprotocol/client';

/**
 * What the hub keeps for one (holder, upstream) pair: the tokens, the client registration it got
 * by DCR or CIMD, and the discovery result (so the callback leg checks the same authorization
 * server). `expiresAt` (epoch ms) is computed when tokens are saved, for refresh ahead of expiry.
 */
export interface OAuthCredentials {
  tokens?: StoredOAuthTokens & { expiresAt?: number };
  clientInformation?: StoredOAuthClientInformation;
  discoveryState?: OAuthDiscoveryState;
  /**
   * A user's sign-in in progress (per-user mode), kept under its own key until the callback takes
   * it: whichever replica receives the redirect finishes it with this PKCE verifier.
   */
  pendingLogin?: {
    upstreamId: string;
    subject: string;
    /** The principal's issuer, when it has one (see {@link OAuthHolder}). */
    issuer?: string;
    codeVerifier: string;
    /** The `redirect_uri` of the authorization request (the exchange must send the same). */
    redirectUrl: string;
    expiresAt: number;
  };
}

/**
 * Where upstream OAuth credentials live, keyed by {@link oauthCredentialKey}. Implementations:
 * {@link createMemoryOAuthCredentialStore} (tests, one process) and
 * `createEncryptedOAuthCredentialStore` (AES-GCM over a `@fedmcp/store` key/value store).
 */
export interface OAuthCredentialStore {
  load(key: string): Promise<OAuthCredentials | undefined>;
  /** `ttlMs`: the record disappears afterwards (stores without expiry may keep it). */
  save(key: string, credentials: OAuthCredentials, options?: { ttlMs?: number }): Promise<void>;
  /** @returns whether something was deleted. */
  delete(key: string): Promise<boolean>;
}

/** Whose tokens: a principal, by its subject and (for OAuth principals) the issuer that vouched for it. */
export interface OAuthHolder {
  subject: string;
  /** The principal's issuer; absent for API keys and certificates (the hub itself vouches). */
  issuer?: string;
}

/**
 * The store key of one holder's credentials for one upstream: `hub` for hub-wide tokens, the
 * principal (issuer and subject) for per-user ones — two issuers' same `sub` are two holders.
 * Both parts are encoded (no `:` survives `encodeURIComponent`), so no holder can name another's
 * key, and a holder without an issuer keeps the key it had before issuers were part of it.
 */
export function oauthCredentialKey(upstreamId: string, holder: OAuthHolder | 'hub'): string {
  if (holder === 'hub') return `oauth:${upstreamId}:hub`;
  const subject = encodeURIComponent(holder.subject);
  return holder.issuer === undefined
    ? `oauth:${upstreamId}:user:${subject}`
    : `oauth:${upstreamId}:user:${encodeURIComponent(holder.issuer)}:${subject}`;
}

/** A process-local {@link OAuthCredentialStore} (tests, single process, nothing persisted). */
export function createMemoryOAuthCredentialStore(): OAuthCredentialStore {
  const entries = new Map<string, string>();
  return {
    async load(key) {
      const value = entries.get(key);
      return value === undefined ? undefined : (JSON.parse(value) as OAuthCredentials);
    },
    async save(key, credentials) {
      entries.set(key, JSON.stringify(credentials));
    },
    async delete(key) {
      return entries.delete(key);
    },
  };
}
