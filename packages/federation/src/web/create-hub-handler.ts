/**
 * The hub as one web-standard fetch handler, `(request: Request) => Promise<Response>`, for any
 * runtime with `fetch` (workerd, Deno / Supabase Edge Functions, Bun, Node through an adapter).
 * No `node:` import is reached from here.
 */
import type { Logger } from '@fedmcp/protocol';
import { FEDMCP_VERSION, InvalidConfigError } from '@fedmcp/protocol';
import type { AuditLog } from '@fedmcp/proxy-auth';
import { createMemoryStore, type KeyValueStore } from '@fedmcp/store';
import {
  type ClusterSessions,
  JsonRpcErrorCode,
  type McpAuthenticate,
  type SessionEventStores,
} from '@fedmcp/transports';
import type { Hub } from '../hub-options.js';
import {
  createDiscoveryDocument,
  createDiscoveryRoutes,
} from '../peers/create-discovery-routes.js';
import { createHubIdentity, type HubIdentity } from '../peers/create-hub-identity.js';
import { createPeerAuthentication } from '../peers/create-peer-authentication.js';
import { createPeerFederatedStatus } from '../peers/create-peer-federated-status.js';
import { createStatusRoute } from '../peers/create-status-route.js';
import { hubIdFromUrl } from '../peers/hub-id-from-url.js';
import type { PeersOptions } from '../peers/peer-options.js';
import { peerSessionOwner } from '../peers/peer-session-owner.js';
import { composeWebRoutes, type WebRoute } from '../peers/web-route.js';
import { createMcpRoute } from './mcp-route.js';
import { jsonResponse, jsonRpcErrorResponse } from './responses.js';

/** Options of {@link createHubHandler}. */
export interface HubHandlerOptions {
  /** This hub's id (`[a-z0-9][a-z0-9-]{0,31}`). @default derived from the first request's URL */
  hubId?: string;
  /** The hub's name (discovery, status). @default 'fedmcp' */
  name?: string;
  /** The hub's keys (`/.well-known/jwks.json`, peer tokens). @default one key generated in memory */
  identity?: HubIdentity;
  /**
   * The peer hubs whose peer tokens are accepted and whose status `/status` reports. To import a
   * peer's tools, build the hub with `createPeerConnector` as well. @default {}
   */
  peers?: PeersOptions;
  /**
   * Authenticates requests that carry no peer token (JWT/JWKS, API keys from
   * `@fedmcp/proxy-auth`): a principal, `undefined` for anonymous, or a refusal `Response`.
   * @default none: such requests are anonymous
   */
  authenticate?: McpAuthenticate;
  /** The session owner of a principal that is not a peer. @default none */
  sessionOwner?: (principal: unknown) => string | undefined;
  /** Where used peer token ids are remembered. @default memory of this isolate */
  replayStore?: Pick<KeyValueStore, 'compareAndSet' | 'get'>;
  /** Where peer authentications are recorded. @default none */
  audit?: AuditLog;
  /**
   * The MCP endpoint's path; the hub's views (`HubOptions.views`) are served under it, at
   * `${mcpPath}/<view>`. @default '/mcp'
   */
  mcpPath?: string;
  /** Routes served after the hub's own (before 404). @default none */
  routes?: WebRoute;
  /** The largest request body accepted on `/mcp`, in bytes. @default 4 MiB */
  maxBodyBytes?: number;
  /** At most this many 2025-era sessions in this isolate. @default 1000 */
  maxSessions?: number;
  /** A 2025-era session unused this long is closed when another opens. @default 3_600_000 (1 h) */
  sessionIdleMs?: number;
  /**
   * Client-carried 2025-era sessions (`createClusterSessions({ secret, store })` from
   * `@fedmcp/transports`, on a store every isolate shares): the session id is the session's
   * sealed state, so any isolate or replica serves any session, and `DELETE` and expiry hold in
   * all of them. The handler loads the revocation list on the first request.
   * @default none: sessions live in the isolate that opened them
   */
  cluster?: ClusterSessions;
  /**
   * Event stores of the 2025-era sessions, for `Last-Event-ID` resumption
   * (`createStoreEventStore({ store })` lets a client resume in any isolate). @default none
   */
  eventStore?: SessionEventStores;
  /** How long `/status` reuses a peer's answer. @default 5000 */
  statusCacheMs?: number;
  /** The fetch for peers' documents, keys and status. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** pino-shaped logger. @default silent */
  logger?: Logger;
}

/** The fetch handler of a hub; `close()` ends the sessions and closes the hub. */
export interface HubHandler {
  (request: Request): Promise<Response>;
  /** The `fetch` of a module worker / `Deno.serve` (the handler itself). */
  readonly fetch: (request: Request) => Promise<Response>;
  /** Ends the open sessions, then closes the hub (its upstream connections). */
  close(): Promise<void>;
}

/** Refuses upstreams a runtime without processes cannot start (stdio). */
function assertEdgeUpstreams(hub: Hub): void {
  for (const upstream of hub.upstreams.list()) {
    if (!('url' in upstream.spec)) {
      throw new InvalidConfigError({
        path: `upstreams.${upstream.id}`,
        reason: 'stdio upstreams cannot run here',
        message: `Upstream "${upstream.id}" is a stdio command ("${upstream.spec.command}"): at the edge only HTTP(S) MCP servers and peer hubs can be upstreams; give it a url, or run the hub on Node.`,
      });
    }
  }
}

/**
 * Serves a hub as a fetch handler: `/mcp` (2026-07-28 clients statelessly, 2025-era clients in
 * sessions kept in memory per isolate) and, for each of the hub's views (`HubOptions.views`),
 * `/mcp/<view>` (an unknown view is answered 404), `/.well-known/mcp-federation`, `/.well-known/jwks.json`,
 * `/status` and `/healthz`. The hub starts (connects its upstreams) on the first request.
 *
 * @throws {InvalidConfigError} when an upstream of the hub is a stdio command.
 * @example
 * ```ts
 * const hub = createHub({ upstreams: { docs: { url: 'https://docs.example.com/mcp' } } });
 * const handler = await createHubHandler(hub, { hubId: 'edge', authenticate });
 * export default { fetch: handler.fetch };
 * ```
 */
export async function createHubHandler(
  hub: Hub,
  options: HubHandlerOptions = {},
): Promise<HubHandler> {
  assertEdgeUpstreams(hub);
  const name = options.name ?? 'fedmcp';
  const mcpPath = options.mcpPath ?? '/mcp';
  const peers = options.peers ?? {};
  const identity = options.identity ?? (await createHubIdentity());
  const replay = options.replayStore
    ? { kv: options.replayStore, close: async () => {} }
    : createMemoryStore();
  let hubId = options.hubId;
  let peerAuthentication: ReturnType<typeof createPeerAuthentication> | undefined;
  let started: Promise<void> | undefined;

  // The first request settles the hub id (when none was given), the peer check and the start.
  const startOnce = (request: Request): Promise<void> => {
    if (started) return started;
    hubId ??= hubIdFromUrl(new URL(request.url).origin);
    peerAuthentication = createPeerAuthentication({
      hubId,
      peers,
      replayStore: replay.kv,
      ...(options.audit ? { audit: options.audit } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    started = Promise.all([hub.start(), options.cluster?.start()]).then(() => {});
    return started;
  };
  const currentHubId = () => hubId ?? 'fedmcp';
  const authenticate: McpAuthenticate = (request) =>
    peerAuthentication?.authenticate(request) ?? options.authenticate?.(request);
  const status = createPeerFederatedStatus({
    hub: () => ({ id: currentHubId(), name, version: FEDMCP_VERSION }),
    upstreams: () => hub.upstreams.list(),
    peers: () => peers,
    keyring: () => identity.keyring(),
    ...(options.statusCacheMs === undefined ? {} : { cacheMs: options.statusCacheMs }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const mcp = createMcpRoute({
    hub,
    path: mcpPath,
    views: hub.views,
    authenticate,
    owner: (principal) => peerSessionOwner(principal) ?? options.sessionOwner?.(principal),
    maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
    maxSessions: options.maxSessions ?? 1000,
    sessionIdleMs: options.sessionIdleMs ?? 3_600_000,
    cluster: options.cluster,
    eventStores: options.eventStore,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const healthz: WebRoute = async (request) =>
    new URL(request.url).pathname === '/healthz' ? jsonResponse(200, { status: 'ok' }) : undefined;
  const routes = composeWebRoutes(
    healthz,
    (request) =>
      createDiscoveryRoutes({
        document: () =>
          createDiscoveryDocument({
            hubId: currentHubId(),
            endpoint: new URL(mcpPath, request.url).href,
            name,
            transports: { streamableHttp: true, sse: false, websocket: false },
          }),
        keyring: () => identity.keyring(),
      })(request),
    createStatusRoute({ status, authenticate }),
    mcp.route,
    options.routes ?? (async () => undefined),
  );

  const handle = async (request: Request): Promise<Response> => {
    try {
      await startOnce(request);
      return (
        (await routes(request)) ??
        jsonResponse(404, {
          error: 'not_found',
          message: `Nothing is served at this path; MCP is at ${mcpPath}.`,
        })
      );
    } catch (error) {
      options.logger?.error({ err: error }, 'hub handler failed');
      return jsonRpcErrorResponse(500, JsonRpcErrorCode.transportError, 'Internal error');
    }
  };
  const close = async () => {
    try {
      await mcp.close();
    } finally {
      try {
        await hub.close();
      } finally {
        await replay.close();
      }
    }
  };
  return Object.assign(handle, { fetch: handle, close });
}
