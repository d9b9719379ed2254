/**
 * A `fetch` for calling a peer hub: every request gets `Authorization: Bearer <peer token>` from
 * a {@link PeerTokenCache}, bound to the MCP session the request belongs to (its
 * `Mcp-Session-Id` header), so a session reuses its token and a request that opens a session
 * gets a fresh one — what the receiving hub's replay check accepts.
 */
import type { PeerTokenCache } from './peer-token-cache.js';

/** Options of {@link createPeerTokenFetch}. */
export interface PeerTokenFetchOptions {
  cache: PeerTokenCache;
  /** The peer's id. */
  audience: string;
  /** The end user (or the calling hub), per request or fixed. */
  subject: string | (() => string);
  /** Hubs before the calling hub, nearest first. @default [] */
  actorChain?: readonly string[];
  /** The end user's groups (`groups` claim). @default none */
  groups?: readonly string[];
  /** The underlying fetch. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * Creates a fetch that authenticates every request to a peer with a peer token.
 *
 * @example
 * ```ts
 * const transport = new StreamableHTTPClientTransport(new URL('https://eu.example.com/mcp'), {
 *   fetch: createPeerTokenFetch({ cache, audience: 'eu', subject: 'alice' }),
 * });
 * ```
 */
export function createPeerTokenFetch(options: PeerTokenFetchOptions): typeof fetch {
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  return async (input, init) => {
    const headers = new Headers(
      init?.headers ?? (input instanceof Request ? input.headers : undefined),
    );
    const session = headers.get('mcp-session-id') ?? undefined;
    const subject = typeof options.subject === 'function' ? options.subject() : options.subject;
    const { token } = await options.cache.get({
      audience: options.audience,
      subject,
      actorChain: options.actorChain ?? [],
      ...(options.groups ? { groups: options.groups } : {}),
      ...(session === undefined ? {} : { session }),
    });
    headers.set('authorization', `Bearer ${token}`);
    return fetchImplementation(input, { ...init, headers });
  };
}
