/**
 * Makes the hub an OAuth 2.1 client of protected remote upstreams: a connector that wraps
 * another one and gives each OAuth upstream's connection a `fetch` carrying its holder's token
 * (`withUpstreamOAuth` of `@fedmcp/proxy-auth`: refresh, step-up, authorization on a 401).
 */
import {
  type AuthorizeUpstream,
  type UpstreamOAuthProvider,
  withUpstreamOAuth,
} from '@fedmcp/proxy-auth';
import type { RemoteUpstreamSpec } from '@fedmcp/transports';
import type { FetchLike } from '@modelcontextprotocol/client';
import type { UpstreamConnector } from '../upstream-options.js';

/** Who holds the token of one upstream connection, and how a user authorizes. */
export interface UpstreamOAuthBinding {
  /** The holder's provider (`createUpstreamOAuthProvider`). */
  provider: UpstreamOAuthProvider;
  /** Called when no stored or refreshed token will do. */
  authorize: AuthorizeUpstream;
  /** Step-ups per request. @default 2 */
  maxStepUps?: number;
  /**
   * The JSON-RPC methods this connection may send; any other is answered locally with an error
   * naming the method, and never reaches the upstream with this holder's token. For a connection
   * that only lists a per-user upstream's catalog: the holder's token must not answer a caller's
   * read or call.
   * @default every method
   */
  allowedMethods?: ReadonlySet<string>;
}

/** Whose connection the connector is opening (see `UpstreamConnectOptions.caller`). */
export interface UpstreamOAuthContext {
  /** The caller whose own connection this is; absent on shared connections. */
  caller?: { principal: unknown };
}

/** Options of {@link createOAuthUpstreamConnector}. */
export interface OAuthUpstreamConnectorOptions {
  /** The connector that opens the connections. */
  base: UpstreamConnector;
  /**
   * The OAuth binding of a remote upstream's connection, or `undefined` for one without OAuth.
   * `context.caller` is set on a caller's own connection (per-user tokens).
   * @throws to refuse the connection (the caller's call fails with the error).
   */
  oauthFor(
    spec: RemoteUpstreamSpec,
    context: UpstreamOAuthContext,
  ): UpstreamOAuthBinding | undefined;
}

/**
 * Wraps a connector so that OAuth upstreams connect with their holder's token.
 *
 * @example
 * ```ts
 * const connect = createOAuthUpstreamConnector({
 *   base: connectNodeUpstream,
 *   oauthFor: (spec) => (spec.url === githubUrl ? { provider, authorize } : undefined),
 * });
 * ```
 */
export function createOAuthUpstreamConnector(
  options: OAuthUpstreamConnectorOptions,
): UpstreamConnector {
  return async (spec, connectOptions) => {
    const binding =
      'url' in spec
        ? options.oauthFor(spec, connectOptions.caller ? { caller: connectOptions.caller } : {})
        : undefined;
    if (!binding || !('url' in spec)) return options.base(spec, connectOptions);
    const fetch = oauthFetch(binding, spec.url, connectOptions.fetch);
    // A listing-only connection tries without a token first: its upstream may list its catalog
    // to anyone (a 401 on the handshake still runs `authorize`).
    if (!binding.allowedMethods && !(await binding.provider.tokens())) {
      await authorizeBeforeConnecting(fetch, spec.url);
    }
    return options.base(spec, { ...connectOptions, fetch });
  };
}

function oauthFetch(binding: UpstreamOAuthBinding, url: string, base?: FetchLike): FetchLike {
  const fetch = withUpstreamOAuth(base, {
    provider: binding.provider,
    authorize: binding.authorize,
    serverUrl: url,
    ...(binding.maxStepUps !== undefined && { maxStepUps: binding.maxStepUps }),
  });
  const allowed = binding.allowedMethods;
  if (!allowed) return fetch;
  return async (input, init) => {
    const refused = refusedRequest(init?.body, allowed);
    if (refused === undefined) return fetch(input, init);
    // Answered here, as the upstream would answer an error: the SDK client rejects the request.
    return Response.json({
      jsonrpc: '2.0',
      id: refused.id,
      error: {
        code: -32601,
        message: `"${refused.method}" is not sent on this upstream's shared connection: its token is not the caller's. Call it on your own connection (isolation "per-principal").`,
      },
    });
  };
}

/** The first request of a JSON-RPC body whose method is not allowed (notifications pass). */
function refusedRequest(
  body: unknown,
  allowed: ReadonlySet<string>,
): { id: unknown; method: string } | undefined {
  if (typeof body !== 'string') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  for (const message of Array.isArray(parsed) ? parsed : [parsed]) {
    const { id, method } = (message ?? {}) as { id?: unknown; method?: unknown };
    if (id !== undefined && typeof method === 'string' && !allowed.has(method)) {
      return { id, method };
    }
  }
  return undefined;
}

/**
 * Authorizes the binding's holder at the upstream `url` now, without connecting: what
 * `fedmcp auth login` does. Resolves once tokens are stored.
 *
 * @throws what `binding.authorize` rejects with, or an OAuth error of the authorization server.
 */
export async function authorizeUpstream(
  binding: UpstreamOAuthBinding,
  url: string,
  fetch?: FetchLike,
): Promise<void> {
  await authorizeBeforeConnecting(oauthFetch(binding, url, fetch), url);
  if (!(await binding.provider.tokens())) {
    throw new Error(
      `The upstream at ${url} asked for no authorization (it answered without a 401).`,
    );
  }
}

/**
 * A holder without a token authorizes before the connect starts: a user in a browser (or a loaded
 * authorization server) must not race the era probe's and the handshake's timeouts. One JSON-RPC
 * `ping` is sent through the OAuth fetch; its 401 starts the authorization (with the challenge's
 * `resource_metadata` and `scope`), and its answer is dropped.
 */
async function authorizeBeforeConnecting(fetch: FetchLike, url: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 'fedmcp-authorize', method: 'ping' }),
  });
  await response.body?.cancel();
}
