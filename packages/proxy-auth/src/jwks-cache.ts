/**
 * A cached, rate-limited view of an issuer's JSON Web Key Set. Keys are fetched on first use,
 * refreshed when older than `maxAgeMs`, and refetched when a token names an unknown `kid` — but
 * never more often than once per `cooldownMs`, so random `kid`s cannot make the hub hammer the
 * issuer. An issuer that could not be reached at all (a network error or a timeout: typically a
 * peer hub still starting) is asked again sooner, after 1 s, 2 s, 4 s … up to `cooldownMs`; an
 * issuer that answered wrong (an HTTP error, not a key set) waits the full cooldown. Built on
 * jose's `createLocalJWKSet` with our own injectable `fetch` and clock.
 */
import { FedmcpError } from '@fedmcp/protocol';
import {
  type CryptoKey,
  createLocalJWKSet,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import { readLimitedText } from './read-limited-text.js';

/** Options of {@link createJwksCache}. */
export interface JwksCacheOptions {
  /**
   * Where the key set lives (the issuer's `jwks_uri`), or a function that finds it (see
   * `discoverJwksUri`), called on the first fetch — and again after a failure, at most once per
   * cooldown.
   */
  uri: string | URL | (() => Promise<string | URL>);
  /** The fetch to use. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Minimum time between two fetches (successful or not) caused by unknown keys or staleness. @default 30000 */
  cooldownMs?: number;
  /**
   * After a fetch that could not reach the issuer (network error, timeout), the next one may
   * come this soon, doubling with each such failure in a row up to `cooldownMs`.
   * @default 1000
   */
  unreachableRetryMs?: number;
  /** Refresh the keys when they are older than this. @default 600000 (10 minutes) */
  maxAgeMs?: number;
  /** Abort a fetch after this long. @default 5000 */
  timeoutMs?: number;
  /** Largest accepted key set document, in characters. @default 1048576 */
  maxDocumentLength?: number;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** A key resolver for jose's `jwtVerify`, with the cache's state. */
export interface JwksCache {
  (protectedHeader?: JWSHeaderParameters, token?: FlattenedJWSInput): Promise<CryptoKey>;
  /** Fetches the key set now, ignoring the cooldown. */
  refresh(): Promise<void>;
  /** The cached key set, if any. */
  keys(): JSONWebKeySet | undefined;
}

type LocalSet = ReturnType<typeof createLocalJWKSet>;

function isNoMatchingKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ERR_JWKS_NO_MATCHING_KEY';
}

/**
 * Creates a JWKS cache.
 *
 * @example
 * ```ts
 * const keys = createJwksCache({ uri: 'https://kc.example.com/realms/REALM/protocol/openid-connect/certs' });
 * await jwtVerify(token, keys, { issuer, audience });
 * ```
 */
export function createJwksCache(options: JwksCacheOptions): JwksCache {
  let uri: URL | undefined = typeof options.uri === 'function' ? undefined : new URL(options.uri);
  const describeUri = () => uri?.href ?? 'the discovered key set URL';
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const unreachableRetryMs = options.unreachableRetryMs ?? 1_000;
  const maxAgeMs = options.maxAgeMs ?? 600_000;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const maxDocumentLength = options.maxDocumentLength ?? 1_048_576;
  const now = options.now ?? Date.now;

  let document: JSONWebKeySet | undefined;
  let localSet: LocalSet | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let attemptedAt = Number.NEGATIVE_INFINITY;
  // How long after `attemptedAt` the next fetch may start: the cooldown, or less after failures
  // to reach the issuer at all (`unreachableInRow` of them).
  let retryDelayMs = cooldownMs;
  let unreachableInRow = 0;
  let inFlight: Promise<void> | undefined;

  async function download(): Promise<void> {
    attemptedAt = now();
    try {
      await fetchKeySet();
      unreachableInRow = 0;
      retryDelayMs = cooldownMs;
    } catch (error) {
      if (FedmcpError.isInstance(error) && error.data?.unreachable === true) {
        retryDelayMs = Math.min(cooldownMs, unreachableRetryMs * 2 ** unreachableInRow);
        unreachableInRow += 1;
      } else {
        unreachableInRow = 0;
        retryDelayMs = cooldownMs;
      }
      throw error;
    }
  }

  async function fetchKeySet(): Promise<void> {
    if (uri === undefined) {
      // Discovery failures are rate-limited with the fetches: attemptedAt is already set.
      try {
        uri = new URL(await (options.uri as () => Promise<string | URL>)());
      } catch (cause) {
        if (FedmcpError.isInstance(cause)) throw cause;
        const name = (cause as { name?: unknown } | null)?.name;
        // fetch rejects with a TypeError when it cannot connect; AbortSignal.timeout aborts.
        const unreachable =
          cause instanceof TypeError || name === 'AbortError' || name === 'TimeoutError';
        throw new FedmcpError(
          'UPSTREAM_UNAVAILABLE',
          `Cannot find the issuer's key set: ${(cause as Error | null)?.message ?? String(cause)}; check that the issuer is reachable.`,
          { cause, ...(unreachable ? { data: { unreachable: true } } : {}) },
        );
      }
    }
    let response: Response;
    try {
      response = await fetchImplementation(uri.href, {
        headers: { accept: 'application/json, application/jwk-set+json' },
        // A key set that redirects elsewhere is refused rather than followed (SSRF hygiene).
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new FedmcpError(
        'UPSTREAM_UNAVAILABLE',
        `Cannot fetch the issuer's key set from ${describeUri()}; check the issuer's jwksUri and that it is reachable.`,
        { cause, data: { unreachable: true } },
      );
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new FedmcpError(
        'UPSTREAM_UNAVAILABLE',
        `The issuer's key set at ${describeUri()} answered HTTP ${response.status}; expected 200 with a JSON Web Key Set.`,
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readLimitedText(response, maxDocumentLength));
      const keys = (parsed as { keys?: unknown } | null)?.keys;
      if (!Array.isArray(keys)) {
        throw new FedmcpError('UPSTREAM_UNAVAILABLE', 'it has no "keys" array');
      }
      const next = createLocalJWKSet(parsed as JSONWebKeySet);
      document = parsed as JSONWebKeySet;
      localSet = next;
      fetchedAt = now();
    } catch (cause) {
      throw new FedmcpError(
        'UPSTREAM_UNAVAILABLE',
        `The issuer's key set at ${describeUri()} is not a valid JSON Web Key Set.`,
        { cause },
      );
    }
  }

  function load(): Promise<void> {
    inFlight ??= download().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  }

  const coolingDown = () => now() - attemptedAt < retryDelayMs;

  const resolve = async (
    protectedHeader?: JWSHeaderParameters,
    token?: FlattenedJWSInput,
  ): Promise<CryptoKey> => {
    if (!localSet) {
      // Nothing cached yet: fetch, but failed attempts are rate-limited too.
      if (coolingDown() && !inFlight) {
        const retryAfterMs = Math.max(0, attemptedAt + retryDelayMs - now());
        throw new FedmcpError(
          'UPSTREAM_UNAVAILABLE',
          `The issuer's key set at ${describeUri()} could not be fetched recently; retrying in ${Math.ceil(retryAfterMs / 1000)} s.`,
          { data: { retryAfterMs } },
        );
      }
      await load();
    } else if (now() - fetchedAt > maxAgeMs && !coolingDown()) {
      // Stale: refresh, but keep serving the old keys if the issuer is unreachable.
      await load().catch(() => undefined);
    }
    try {
      return await localSet!(protectedHeader, token);
    } catch (error) {
      if (!isNoMatchingKey(error) || coolingDown()) throw error;
      // An unknown kid may mean the issuer rotated its keys: fetch once, then decide. If the
      // issuer is unreachable the token is refused for its unknown key, not for the outage.
      await load().catch(() => {
        throw error;
      });
      return await localSet!(protectedHeader, token);
    }
  };

  return Object.assign(resolve, {
    refresh: load,
    keys: () => (document === undefined ? undefined : structuredClone(document)),
  });
}
