/**
 * Mounts web-standard routes (`(request: Request) => Promise<Response | undefined>`) on a Node
 * HTTP server, e.g. as the `onRequest` hook of `createMcpHttpHost`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WebRoute } from '../peers/web-route.js';

/** A Node route: `true` when it answered the request. */
export type NodeRoute = (request: IncomingMessage, response: ServerResponse) => Promise<boolean>;

/**
 * The web-standard request of a Node request: method, URL (scheme from the socket, authority
 * from `Host`) and headers. It carries no body, so mount routes that read none (the discovery,
 * JWKS and status routes are GET routes): the body stays unread for the routes after them.
 */
export function toWebRequest(request: IncomingMessage): Request {
  const scheme = (request.socket as { encrypted?: boolean } | undefined)?.encrypted
    ? 'https'
    : 'http';
  const target = request.url ?? '/';
  // The path as sent; the authority from `Host` (the setter ignores an unparseable one, and
  // keeps what follows a host out of the path).
  const url = new URL(`${scheme}://localhost${target.startsWith('/') ? target : `/${target}`}`);
  if (request.headers.host !== undefined) url.host = request.headers.host;
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return new Request(url, { method: request.method ?? 'GET', headers });
}

/** Writes a web-standard `Response` to a Node response (headers, status, the whole body). */
export async function sendWebResponse(response: ServerResponse, answer: Response): Promise<void> {
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = answer.body ? Buffer.from(await answer.arrayBuffer()) : undefined;
  response.writeHead(answer.status, headers);
  response.end(body);
}

/** Options of {@link toNodeRoute}. */
export interface NodeRouteOptions {
  /**
   * The paths the web route serves (exact, without query). A request for another path is passed
   * on (`false`) without building its web `Request`, which costs more than the route itself: a
   * hub's `onRequest` sees every MCP request first.
   * @default every path goes to the web route
   */
  paths?: readonly string[];
}

/** The path of a Node request target in origin form (`/a/b?q` → `/a/b`); undefined otherwise. */
function originFormPath(target: string | undefined): string | undefined {
  if (target === undefined || !target.startsWith('/')) return undefined;
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}

/**
 * A Node route of a web route: answers what the web route answers, `false` for the rest.
 *
 * @example
 * ```ts
 * createMcpHttpHost({
 *   onRequest: toNodeRoute(createDiscoveryRoutes({ document, keyring }), {
 *     paths: [DISCOVERY_DOCUMENT_PATH, JWKS_PATH],
 *   }),
 *   …
 * });
 * ```
 */
export function toNodeRoute(route: WebRoute, options: NodeRouteOptions = {}): NodeRoute {
  const paths = options.paths ? new Set(options.paths) : undefined;
  return async (request, response) => {
    if (paths) {
      // A target not in origin form (absolute, `*`) goes to the route, which decides.
      const path = originFormPath(request.url);
      if (path !== undefined && !paths.has(path)) return false;
    }
    const answer = await route(toWebRequest(request));
    if (answer === undefined) return false;
    await sendWebResponse(response, answer);
    return true;
  };
}
