/**
 * The hub's cache of what it learnt connecting to its upstreams: the transport that worked and,
 * for 2026-07-28 upstreams, their `server/discover` result, which a later connect adopts instead
 * of asking again (the SDK's `connect({ prior })`). A discover result is kept only as long as
 * its `ttlMs` says and only within the authorization context its `cacheScope` allows (MCP
 * 2026-07-28 server/utilities/caching: "private" results "MUST NOT be shared across
 * authorization contexts"): a per-principal upstream's private answer to one caller is never
 * adopted for another. The hub drops an upstream's entries when it goes down or says its lists
 * changed, so the next connect asks afresh.
 */
import type { UpstreamVerdict } from '@fedmcp/transports';
import type { DiscoverResult } from '@modelcontextprotocol/client';

/** The longest `ttlMs` honoured, as the SDK caps it (24 h): a server cannot pin an entry forever. */
export const MAX_DISCOVER_TTL_MS = 86_400_000;

/** Separates a connect's cache key from its authorization context (see {@link contextCacheKey}). */
const CONTEXT_SEPARATOR = '\u0000ctx\u0000';

/** Options of {@link DiscoverCache}. */
export interface DiscoverCacheOptions {
  /**
   * The clock, in epoch milliseconds (tests drive expiry with their own).
   * @default Date.now
   */
  now?: () => number;
  /**
   * The longest lifetime given to a discover result, whatever its `ttlMs`.
   * @default 86_400_000 (24 h)
   */
  maxTtlMs?: number;
}

/** What the cache holds about one discover result. */
interface DiscoverEntry {
  discover: DiscoverResult;
  /** `JSON.stringify(discover)`, to tell a re-adopted result from a new one. */
  json: string;
  expiresAt: number;
}

/**
 * The cache key of a connect made under an authorization context (one caller's own connection):
 * the upstream's key and the context, so a `private` discover result stays with its context.
 * Without a context (the hub's own, shared connections) the key is the upstream's key.
 */
export function contextCacheKey(upstreamKey: string, context: string | undefined): string {
  return context === undefined ? upstreamKey : `${upstreamKey}${CONTEXT_SEPARATOR}${context}`;
}

function splitKey(key: string): { upstreamKey: string; context: string } {
  const at = key.indexOf(CONTEXT_SEPARATOR);
  return at < 0
    ? { upstreamKey: key, context: '' }
    : { upstreamKey: key.slice(0, at), context: key.slice(at + CONTEXT_SEPARATOR.length) };
}

/**
 * The verdict cache of a hub's upstream connects (`UpstreamConnectOptions.verdictCache`); see the
 * file comment. It is a `Map` for the connectors that take one; its own entries are internal
 * (read verdicts with `get`).
 */
export class DiscoverCache extends Map<string, unknown> {
  readonly #now: () => number;
  readonly #maxTtlMs: number;
  /** The transport that worked, by upstream key (not a discover result: shared by contexts). */
  readonly #transports = new Map<string, UpstreamVerdict['transport']>();
  /** Upstream keys known to speak only the 2025 era. */
  readonly #legacy = new Set<string>();
  /** `public` discover results by upstream key. */
  readonly #public = new Map<string, DiscoverEntry>();
  /** `private` discover results by upstream key, then by authorization context. */
  readonly #private = new Map<string, Map<string, DiscoverEntry>>();

  constructor(options: DiscoverCacheOptions = {}) {
    super();
    this.#now = options.now ?? Date.now;
    this.#maxTtlMs = options.maxTtlMs ?? MAX_DISCOVER_TTL_MS;
  }

  /**
   * The verdict for a connect under `key`: the transport that worked, and a still-fresh discover
   * result the connect may adopt — its own context's `private` one, else a `public` one.
   */
  override get(key: string): UpstreamVerdict | undefined {
    const { upstreamKey, context } = splitKey(key);
    const transport = this.#transports.get(upstreamKey);
    if (transport === undefined) return undefined;
    const now = this.#now();
    const fresh = (entry: DiscoverEntry | undefined) =>
      entry !== undefined && entry.expiresAt > now ? entry : undefined;
    const entry =
      fresh(this.#private.get(upstreamKey)?.get(context)) ?? fresh(this.#public.get(upstreamKey));
    if (entry) return { transport, prior: { kind: 'modern', discover: entry.discover } };
    if (this.#legacy.has(upstreamKey)) return { transport, prior: { kind: 'legacy' } };
    return { transport };
  }

  override has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * Records what a connect under `key` learnt. A discover result is kept for its `ttlMs` (none,
   * or 0: not kept — "immediately stale"), under its context when `private` (or unscoped), shared
   * when `public`. Adopting a cached result again does not extend its lifetime.
   */
  override set(key: string, value: unknown): this {
    const verdict = value as UpstreamVerdict;
    const { upstreamKey, context } = splitKey(key);
    this.#transports.set(upstreamKey, verdict.transport);
    super.set(upstreamKey, verdict.transport);
    const prior = verdict.prior;
    if (prior?.kind === 'legacy') {
      this.#legacy.add(upstreamKey);
      return this;
    }
    this.#legacy.delete(upstreamKey);
    if (prior?.kind !== 'modern') return this;
    const discover = prior.discover;
    const json = JSON.stringify(discover);
    const isPublic = discover.cacheScope === 'public';
    const slot = isPublic ? this.#public : this.#contexts(upstreamKey);
    const slotKey = isPublic ? upstreamKey : context;
    const now = this.#now();
    const held = slot.get(slotKey);
    if (held && held.json === json && held.expiresAt > now) return this; // re-adopted
    const ttlMs = typeof discover.ttlMs === 'number' ? Math.min(discover.ttlMs, this.#maxTtlMs) : 0;
    if (!(ttlMs > 0)) {
      slot.delete(slotKey);
      return this;
    }
    slot.set(slotKey, { discover, json, expiresAt: now + ttlMs });
    return this;
  }

  /** Forgets what a failed connect under `key` relied on, so the next one probes afresh. */
  override delete(key: string): boolean {
    const { upstreamKey, context } = splitKey(key);
    const had = this.#transports.has(upstreamKey);
    this.#transports.delete(upstreamKey);
    this.#legacy.delete(upstreamKey);
    this.#public.delete(upstreamKey);
    this.#private.get(upstreamKey)?.delete(context);
    super.delete(upstreamKey);
    return had;
  }

  /**
   * Drops every discover result of an upstream, in every authorization context (it went down,
   * reconnected, or said its lists changed): the next connect sends `server/discover` again. The
   * transport that worked is kept.
   */
  invalidate(upstreamKey: string): void {
    this.#public.delete(upstreamKey);
    this.#private.delete(upstreamKey);
  }

  override clear(): void {
    this.#transports.clear();
    this.#legacy.clear();
    this.#public.clear();
    this.#private.clear();
    super.clear();
  }

  #contexts(upstreamKey: string): Map<string, DiscoverEntry> {
    let contexts = this.#private.get(upstreamKey);
    if (!contexts) {
      contexts = new Map();
      this.#private.set(upstreamKey, contexts);
    }
    return contexts;
  }
}
