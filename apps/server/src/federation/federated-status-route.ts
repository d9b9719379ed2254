/**
 * The hub's `/status` route: its federated status (see `createFederatedStatus`), each peer's own
 * status fetched from the peer's `/status` with this hub's peer token. The route is protected as
 * `/mcp` is: a peer token, or what the `auth` section accepts (anonymous only where `/mcp` allows
 * it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createFederatedStatus,
  type FederatedStatus,
  type HubStatusRequest,
  parseHubStatusQuery,
  type UpstreamStatus,
} from '@fedmcp/federation';
import {
  createPeerTokenCache,
  createPeerTokenFetch,
  type HubKeyring,
  type PeerTokenCache,
  type Principal,
} from '@fedmcp/proxy-auth';
import { assertSecurePeerUrl } from './peer-upstreams.js';
import type { PeersConfig } from './peers-config.js';

/** Options of {@link createServerFederatedStatus}. */
export interface ServerFederatedStatusOptions {
  hub(): { id: string; name: string; version: string };
  upstreams(): UpstreamStatus[];
  /** The peer id behind an upstream id, when the upstream is a peer. */
  peerOf(upstreamId: string): string | undefined;
  peers(): PeersConfig | undefined;
  keyring(): Promise<HubKeyring>;
  maxDepth?: number;
  /** @default 5000 */
  cacheMs?: number;
  /** @default 3000 */
  timeoutMs?: number;
  /** The fetch under the peer token fetch. @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** The federated status of a running hub: peers are asked with this hub's peer tokens. */
export function createServerFederatedStatus(
  options: ServerFederatedStatusOptions,
): FederatedStatus {
  let tokens: PeerTokenCache | undefined;
  const cacheFor = (issuer: string): PeerTokenCache => {
    if (tokens?.issuer !== issuer) {
      tokens = createPeerTokenCache({ keyring: options.keyring, issuer });
    }
    return tokens;
  };
  return createFederatedStatus({
    hub: options.hub,
    upstreams: options.upstreams,
    ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
    ...(options.cacheMs === undefined ? {} : { cacheMs: options.cacheMs }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    peer(upstreamId) {
      const id = options.peerOf(upstreamId);
      const peer = id === undefined ? undefined : options.peers()?.[id];
      if (id === undefined || !peer) return undefined;
      const issuer = options.hub().id;
      const peerFetch = createPeerTokenFetch({
        cache: cacheFor(issuer),
        audience: id,
        subject: issuer,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      return {
        url: peer.url,
        fetch: async (input, init) => {
          // Never send a peer token over plain http:// to another machine.
          assertSecurePeerUrl(id, peer);
          return peerFetch(input, init);
        },
      };
    },
  });
}

/** Options of {@link createStatusRoute}. */
export interface StatusRouteOptions {
  status: FederatedStatus;
  /** The `/mcp` authentication: a principal, or the refusal to send. */
  authenticate(request: Request): Promise<Principal | Response>;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

function toRequest(request: IncomingMessage): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const scheme = (request.socket as { encrypted?: boolean } | undefined)?.encrypted
    ? 'https'
    : 'http';
  return new Request(new URL(request.url ?? '/', `${scheme}://localhost`), {
    method: request.method ?? 'GET',
    headers,
  });
}

/**
 * The `onRequest` route serving `GET /status[?depth=N]`; `true` when it answered.
 * 401/403 as `/mcp` answers them, 400 for a malformed query, 405 for another method.
 */
export function createStatusRoute(
  options: StatusRouteOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  return async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/status') return false;
    if (request.method !== 'GET') {
      response.writeHead(405, { allow: 'GET', 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'method_not_allowed', message: 'Use GET /status.' }));
      return true;
    }
    const outcome = await options.authenticate(toRequest(request));
    if (outcome instanceof Response) {
      const headers: Record<string, string> = {};
      outcome.headers.forEach((value, name) => {
        headers[name] = value;
      });
      response.writeHead(outcome.status, headers);
      response.end(outcome.body ? Buffer.from(await outcome.arrayBuffer()) : undefined);
      return true;
    }
    let query: HubStatusRequest;
    try {
      query = parseHubStatusQuery(url);
    } catch (error) {
      sendJson(response, 400, { error: 'invalid_request', message: (error as Error).message });
      return true;
    }
    sendJson(response, 200, await options.status.status(query));
    return true;
  };
}
