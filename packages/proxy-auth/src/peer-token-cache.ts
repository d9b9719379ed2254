/**
 * A cache of peer tokens per peer, subject, actor chain and groups: one token is minted for each
 * and reused by every request (2026-07-28 stateless ones included) until shortly before it
 * expires, so a hop signs nothing on the hot path. The tokens are marked `reusable`: the receiving
 * hub verifies each once and remembers the result until it expires. What makes a reused token
 * safe is what it is bound to — its audience (one peer), subject and actor chain, all signed — and
 * its short lifetime (default 120 s, refreshed 30 s before expiry).
 */
import type { HubKeyring } from './hub-identity.js';
import {
  DEFAULT_PEER_TOKEN_TTL_SECONDS,
  type MintedPeerToken,
  mintPeerToken,
} from './peer-token.js';

/** Options of {@link createPeerTokenCache}. */
export interface PeerTokenCacheOptions {
  /**
   * The calling hub's keyring, or a function returning the one in force (asked at each mint, so
   * a key rotated while the hub runs signs the next tokens).
   */
  keyring: HubKeyring | (() => HubKeyring | Promise<HubKeyring>);
  /** The calling hub's id. */
  issuer: string;
  /** Token lifetime in seconds (≤ 300). @default 120 */
  ttlSeconds?: number;
  /** Mint a new token when the cached one expires within this many seconds. @default 30 */
  refreshBeforeSeconds?: number;
  /** Most entries kept; the oldest go first. @default 1000 */
  maxEntries?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** What a token is for. */
export interface PeerTokenRequest {
  /** The peer's id. */
  audience: string;
  /** The end user (or the calling hub). */
  subject: string;
  /** Hubs before the calling hub, nearest first. @default [] */
  actorChain?: readonly string[];
  /** The end user's groups (`groups` claim). @default none */
  groups?: readonly string[];
}

/** The cache. */
export interface PeerTokenCache {
  /** A valid token for the request: the cached one, or a freshly minted one. */
  get(request: PeerTokenRequest): Promise<MintedPeerToken>;
  /** Forgets the tokens of a peer (e.g. after a 401), or every token. */
  clear(audience?: string): void;
  readonly size: number;
  /** The calling hub's id (`iss` of every token). */
  readonly issuer: string;
}

/**
 * Creates a peer token cache.
 *
 * @example
 * ```ts
 * const tokens = createPeerTokenCache({ keyring, issuer: 'home' });
 * const { token } = await tokens.get({ audience: 'eu', subject: 'alice' });
 * ```
 */
export function createPeerTokenCache(options: PeerTokenCacheOptions): PeerTokenCache {
  const now = options.now ?? Date.now;
  const refreshBeforeMs = (options.refreshBeforeSeconds ?? 30) * 1000;
  const maxEntries = options.maxEntries ?? 1000;
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_PEER_TOKEN_TTL_SECONDS;
  interface Entry {
    audience: string;
    minted: Promise<MintedPeerToken>;
    /** The token once minted: a hit then answers without awaiting `minted` again. */
    token?: MintedPeerToken;
  }
  const entries = new Map<string, Entry>();

  const keyringOf = options.keyring;
  const mint = async (request: PeerTokenRequest) =>
    mintPeerToken({
      keyring: typeof keyringOf === 'function' ? await keyringOf() : keyringOf,
      issuer: options.issuer,
      audience: request.audience,
      subject: request.subject,
      actorChain: request.actorChain ?? [],
      ...(request.groups ? { groups: request.groups } : {}),
      ttlSeconds,
      reusable: true,
      now,
    });

  const cache: PeerTokenCache = {
    get,
    clear(audience) {
      if (audience === undefined) entries.clear();
      else for (const [key, entry] of entries) if (entry.audience === audience) entries.delete(key);
    },
    get size() {
      return entries.size;
    },
    issuer: options.issuer,
  };
  return cache;

  function get(request: PeerTokenRequest): Promise<MintedPeerToken> {
    const key = JSON.stringify([
      request.audience,
      request.subject,
      request.actorChain ?? [],
      request.groups ?? [],
    ]);
    const cached = entries.get(key);
    if (cached?.token && cached.token.expiresAt - now() > refreshBeforeMs) {
      return Promise.resolve(cached.token);
    }
    if (cached && !cached.token) {
      // Still being minted: wait for it (a failed mint is retried below).
      return cached.minted.then(
        (token) => (token.expiresAt - now() > refreshBeforeMs ? token : get(request)),
        () => get(request),
      );
    }
    if (cached) entries.delete(key);
    const minted = mint(request);
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    const entry: Entry = { audience: request.audience, minted };
    entries.set(key, entry);
    minted.then(
      (token) => {
        entry.token = token;
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
    return minted;
  }
}
