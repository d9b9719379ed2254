/**
 * A `fetch` for calling a peer hub: every request gets `Authorization: Bearer <peer token>` from
 * a {@link PeerTokenCache}: the reusable token of its end user and delegation chain, minted once
 * and reused until shortly before it expires, with or without an MCP session.
 *
 * A hub forwarding many users' requests over one connection sets `delegationFromBody`: the token
 * of each request then names the end user and the hubs before it as the request's own federation
 * `_meta` says (`io.fedmcp/onBehalfOf`, `io.fedmcp/hops`), which the hub wrote itself.
 */
import { InvalidRequestError, ON_BEHALF_OF_META_KEY, OnBehalfOfSchema } from '@fedmcp/protocol';
import type { PeerTokenCache } from './peer-token-cache.js';

/** Options of {@link createPeerTokenFetch}. */
export interface PeerTokenFetchOptions {
  cache: PeerTokenCache;
  /** The peer's id. */
  audience: string;
  /**
   * The end user (or the calling hub), per request or fixed; with `delegationFromBody`, the
   * subject of requests whose body names no end user.
   */
  subject: string | (() => string);
  /** Hubs before the calling hub, nearest first. @default [] */
  actorChain?: readonly string[];
  /** The end user's groups (`groups` claim). @default none */
  groups?: readonly string[];
  /**
   * Read the end user and the delegation from the JSON-RPC request in the body: for
   * `tools/call`, `prompts/get`, `resources/read` and `completion/complete` (the requests a hub
   * stamps with its federation `_meta`), `sub` is `params._meta['io.fedmcp/onBehalfOf'].subject`
   * and the actor chain the hop trail `params._meta['io.fedmcp/hops']` before this hub (the trail
   * must end with the cache's issuer), nearest first. Every other message (initialize,
   * notifications, responses, GET streams) uses `subject` and `actorChain`.
   * @default false
   */
  delegationFromBody?: boolean;
  /** The underlying fetch. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The requests a hub stamps with federation `_meta` (it overwrites what a client sent there). */
const STAMPED_METHODS: ReadonlySet<string> = new Set([
  'tools/call',
  'prompts/get',
  'resources/read',
  'completion/complete',
  'tasks/get',
  'tasks/result',
  'tasks/cancel',
]);

/**
 * The end user and the hubs before the calling hub, as the calling hub wrote them in the
 * `io.fedmcp/onBehalfOf` of a request it stamps (never the hop trail, which a client may claim):
 * `undefined` for a request that names no end user (initialize, lists, notifications, GET streams).
 * @throws {InvalidRequestError} for a body that cannot be read: such a request is refused rather
 * than sent under the hub's own identity.
 */
export function delegationOfBody(
  body: unknown,
): { subject: string; actorChain: string[] } | undefined {
  if (body === undefined || body === null) return undefined;
  let message: unknown;
  try {
    if (typeof body !== 'string') throw new InvalidRequestError({ reason: 'not a string' });
    message = JSON.parse(body);
  } catch {
    throw new InvalidRequestError({
      reason: 'the request body to a peer is not one readable JSON-RPC message',
      message:
        'Refusing to call the peer: the end user of this request cannot be read from its body.',
    });
  }
  if (Array.isArray(message)) {
    if (message.length !== 1) {
      throw new InvalidRequestError({
        reason: 'batched requests to a peer are not supported',
        message: 'Refusing to call the peer with a batch: each request carries its own end user.',
      });
    }
    message = message[0];
  }
  const { method, params } = (message ?? {}) as { method?: unknown; params?: unknown };
  if (typeof method !== 'string' || !STAMPED_METHODS.has(method)) return undefined;
  const meta = (params as { _meta?: unknown } | undefined)?._meta as
    | Record<string, unknown>
    | undefined;
  const onBehalfOf = OnBehalfOfSchema.safeParse(meta?.[ON_BEHALF_OF_META_KEY]);
  if (!onBehalfOf.success) return undefined;
  return { subject: onBehalfOf.data.subject, actorChain: onBehalfOf.data.via ?? [] };
}

/**
 * The request's headers as a record with lower-case names (values of a repeated name joined as
 * `Headers` joins them). A record, not a `Headers`: each iteration of a `Headers` sorts its
 * names, and the fetch underneath reads them once more (issue #18 profile of a hop).
 */
function headerRecord(init: HeadersInit | undefined): Record<string, string> {
  const record: Record<string, string> = Object.create(null);
  if (init === undefined) return record;
  const add = (name: string, value: string) => {
    const key = name.toLowerCase();
    record[key] = record[key] === undefined ? value : `${record[key]}, ${value}`;
  };
  if (init instanceof Headers || Array.isArray(init)) {
    for (const [name, value] of init as Iterable<[string, string]>) add(name, value);
  } else {
    for (const [name, value] of Object.entries(init)) add(name, value);
  }
  return record;
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
    const headers = headerRecord(
      init?.headers ?? (input instanceof Request ? input.headers : undefined),
    );
    const delegation = options.delegationFromBody ? delegationOfBody(init?.body) : undefined;
    const subject =
      delegation?.subject ??
      (typeof options.subject === 'function' ? options.subject() : options.subject);
    const { token } = await options.cache.get({
      audience: options.audience,
      subject,
      actorChain: delegation?.actorChain ?? options.actorChain ?? [],
      ...(options.groups ? { groups: options.groups } : {}),
    });
    headers.authorization = `Bearer ${token}`;
    return fetchImplementation(input, { ...init, headers });
  };
}
