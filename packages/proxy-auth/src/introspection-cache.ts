/**
 * The bounded cache of token introspection answers: keyed by the token's SHA-256 (the token itself
 * is never kept), each answer for at most `maxAgeMs` and never past the token's expiry, the
 * least recently used answer evicted first; concurrent lookups of one token share one request.
 */

/** Options of {@link createIntrospectionCache}. */
export interface IntrospectionCacheOptions {
  /** Most answers kept. */
  maxEntries: number;
  /** Longest time an answer is reused; `0` disables the cache (concurrent lookups still share). */
  maxAgeMs: number;
  /** The clock. */
  now: () => number;
}

/** What a lookup produces: the value, and when it stops being true (e.g. the token's `exp`). */
export interface IntrospectionCacheEntry<T> {
  value: T;
  expiresAt?: number;
}

/** A bounded, time-limited cache keyed by token digests. */
export interface IntrospectionCache<T> {
  /** The cached value for `token`, or the one `load` produces (then cached). */
  get(token: string, load: () => Promise<IntrospectionCacheEntry<T>>): Promise<T>;
  /** Number of answers held. */
  readonly size: number;
}

/** The base64url SHA-256 of a token. */
export async function tokenDigest(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  let binary = '';
  for (const byte of new Uint8Array(digest)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Creates an {@link IntrospectionCache}. */
export function createIntrospectionCache<T>(
  options: IntrospectionCacheOptions,
): IntrospectionCache<T> {
  const entries = new Map<string, { value: T; expiresAt: number }>();
  const pending = new Map<string, Promise<T>>();

  async function load(key: string, loader: () => Promise<IntrospectionCacheEntry<T>>) {
    const { value, expiresAt } = await loader();
    const until = Math.min(options.now() + options.maxAgeMs, expiresAt ?? Number.POSITIVE_INFINITY);
    if (until > options.now()) {
      entries.set(key, { value, expiresAt: until });
      while (entries.size > options.maxEntries) {
        const oldest = entries.keys().next().value as string;
        entries.delete(oldest);
      }
    }
    return value;
  }

  return {
    async get(token, loader) {
      const key = await tokenDigest(token);
      const cached = entries.get(key);
      if (cached) {
        entries.delete(key);
        if (cached.expiresAt > options.now()) {
          entries.set(key, cached); // most recently used last
          return cached.value;
        }
      }
      let inFlight = pending.get(key);
      if (!inFlight) {
        inFlight = load(key, loader).finally(() => pending.delete(key));
        pending.set(key, inFlight);
      }
      return inFlight;
    },
    get size() {
      return entries.size;
    },
  };
}
