/**
 * The hub's `/status` route: its federated status as JSON. The route is protected as `/mcp` is:
 * the caller's `authenticate` decides (a peer token, or what the hub's own authentication accepts).
 */
import { type McpAuthenticate, runAuthenticate } from '@fedmcp/transports';
import {
  type FederatedStatus,
  HUB_STATUS_PATH,
  type HubStatusRequest,
  parseHubStatusQuery,
} from '../federated-status.js';
import type { WebRoute } from './web-route.js';

/** Options of {@link createStatusRoute}. */
export interface StatusRouteOptions {
  /** The status served (`createPeerFederatedStatus` or `createFederatedStatus`). */
  status: FederatedStatus;
  /**
   * The `/mcp` authentication (the host's authenticate hook): a principal (`undefined` for
   * anonymous), or the refusal `Response` to send; a thrown error is answered as the host does.
   */
  authenticate: McpAuthenticate;
}

function json(status: number, body: unknown, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/**
 * The route serving `GET /status[?depth=N]`; `undefined` for other paths. 401/403 as
 * `authenticate` answers them, 400 for a malformed query, 405 for another method.
 *
 * @example
 * ```ts
 * const route = createStatusRoute({ status, authenticate: (request) => authenticate(request) });
 * ```
 */
export function createStatusRoute(options: StatusRouteOptions): WebRoute {
  return async (request) => {
    const url = new URL(request.url);
    if (url.pathname !== HUB_STATUS_PATH) return undefined;
    if (request.method !== 'GET') {
      return json(
        405,
        { error: 'method_not_allowed', message: 'Use GET /status.' },
        { allow: 'GET' },
      );
    }
    const outcome = await runAuthenticate(options.authenticate, request);
    if (outcome.kind === 'response') return outcome.response;
    let query: HubStatusRequest;
    try {
      query = parseHubStatusQuery(url);
    } catch (error) {
      return json(
        400,
        { error: 'invalid_request', message: (error as Error).message },
        { 'cache-control': 'no-store' },
      );
    }
    return json(200, await options.status.status(query), { 'cache-control': 'no-store' });
  };
}
