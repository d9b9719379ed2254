/**
 * A peered hub served over HTTP on Node: the hub with its upstreams and peers, one
 * `createMcpHttpHost` serving `/mcp` (and `/sse`, `/ws`), `/.well-known/mcp-federation`,
 * `/.well-known/jwks.json` and `/status`, peer tokens verified at the door and signed on the way
 * out. The composition of the `@fedmcp/federation` peer pieces for library users; an app with its
 * own config, authentication and routes composes the same pieces itself.
 */

import type { Logger } from '@fedmcp/protocol';
import { DISCOVERY_DOCUMENT_PATH, FEDMCP_VERSION, InvalidConfigError } from '@fedmcp/protocol';
import type { AuditLog } from '@fedmcp/proxy-auth';
import { createMemoryStore, type KeyValueStore } from '@fedmcp/store';
import type { McpAuthenticate } from '@fedmcp/transports';
import {
  createMcpHttpHost,
  type McpHttpHost,
  type McpHttpHostAddress,
  type McpHttpHostOptions,
} from '@fedmcp/transports/node';
import { createHub } from '../create-hub.js';
import { HUB_STATUS_PATH, type HubStatus, type HubStatusRequest } from '../federated-status.js';
import type { Hub, HubOptions, UpstreamConfig, UpstreamSyncResult } from '../hub-options.js';
import {
  createDiscoveryDocument,
  createDiscoveryRoutes,
  JWKS_PATH,
} from '../peers/create-discovery-routes.js';
import { createHubIdentity, type HubIdentity } from '../peers/create-hub-identity.js';
import {
  createPeerAuthentication,
  type PeerAuthentication,
} from '../peers/create-peer-authentication.js';
import { createPeerConnector } from '../peers/create-peer-connector.js';
import { createPeerFederatedStatus } from '../peers/create-peer-federated-status.js';
import { createStatusRoute } from '../peers/create-status-route.js';
import { hubIdFromUrl } from '../peers/hub-id-from-url.js';
import { type PeersOptions, peerUpstreams } from '../peers/peer-options.js';
import { peerSessionOwner } from '../peers/peer-session-owner.js';
import { composeWebRoutes, type WebRoute } from '../peers/web-route.js';
import type { UpstreamConnector } from '../upstream-options.js';
import { connectNodeUpstream } from './connect-stdio-upstream.js';
import { toNodeRoute } from './to-node-route.js';

/** Options of {@link createHubServer}. */
export interface HubServerOptions {
  /** This hub's id (`[a-z0-9][a-z0-9-]{0,31}`). @default derived from the listening URL (`127-0-0-1-4000`) */
  hubId?: string;
  /** The hub's name (discovery, status, `serverInfo`). @default 'fedmcp' */
  name?: string;
  /** The upstreams that are not peers, by id. @default {} */
  upstreams?: Record<string, UpstreamConfig>;
  /** The peer hubs, by hub id: imported ones become upstreams, all may call with peer tokens. @default {} */
  peers?: PeersOptions;
  /** The hub's keys. @default one key generated in memory (`createHubIdentity()`) */
  identity?: HubIdentity;
  /**
   * Authenticates requests that carry no peer token (the host's hook: a principal, `undefined`
   * for anonymous, or a refusal `Response`). @default none: such requests are anonymous
   */
  authenticate?: McpAuthenticate;
  /** The session owner of a principal that is not a peer. @default none */
  sessionOwner?: (principal: unknown) => string | undefined;
  /** Where used peer token ids are remembered (`store.kv`). @default an in-memory store */
  replayStore?: Pick<KeyValueStore, 'compareAndSet' | 'get'>;
  /** Where peer authentications are recorded. @default none */
  audit?: AuditLog;
  /** The connector of upstreams that are not peers. @default connectNodeUpstream (stdio and remote) */
  connect?: UpstreamConnector;
  /** More hub options (access, timeouts, …). @default {} */
  hub?: Omit<HubOptions, 'upstreams' | 'connect' | 'hubId' | 'logger' | 'serverInfo'>;
  /** More host options (host, port, TLS, transports, …). @default 127.0.0.1 on a free port */
  host?: Omit<
    McpHttpHostOptions,
    'createServer' | 'authenticate' | 'sessionOwner' | 'bus' | 'logger'
  >;
  /** Routes served after the federation routes (before MCP routing). @default none */
  routes?: WebRoute;
  /** How long `/status` reuses a peer's answer. @default 5000 */
  statusCacheMs?: number;
  /** The fetch for peers' documents, keys and status. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** pino-shaped logger. @default silent */
  logger?: Logger;
}

/** A peered hub on an HTTP host. See {@link createHubServer}. */
export interface HubServer extends AsyncDisposable {
  /** The hub. */
  readonly hub: Hub;
  /** The hub's keys. */
  readonly identity: HubIdentity;
  /** The base URL once listening (`http://127.0.0.1:43123`). */
  readonly url: string | undefined;
  /**
   * The hub id.
   * @throws {InvalidConfigError} before {@link HubServer.listen} when none was given.
   */
  readonly hubId: string;
  /** Listens, then connects the upstreams and peers. @throws when the port cannot be bound. */
  listen(): Promise<McpHttpHostAddress>;
  /**
   * Replaces the peers: their tokens are accepted from now on and the hub's upstreams become
   * `upstreams` plus the imported peers (`hub.upstreams.sync`).
   * @throws {InvalidConfigError} when a peer id is also an upstream id.
   */
  setPeers(peers: PeersOptions): Promise<UpstreamSyncResult>;
  /** The hub's federated status (what `GET /status` answers). */
  status(request?: HubStatusRequest): Promise<HubStatus>;
  /** Stops serving (draining requests), closes every upstream and what the server created. */
  close(): Promise<void>;
}

function desiredUpstreams(
  upstreams: Record<string, UpstreamConfig>,
  peers: PeersOptions,
): Record<string, UpstreamConfig> {
  const imported = peerUpstreams(peers);
  for (const id of Object.keys(imported)) {
    if (Object.hasOwn(upstreams, id)) {
      throw new InvalidConfigError({
        path: `peers.${id}`,
        reason: `upstream "${id}" and peer "${id}" share the upstream id`,
        message: `Upstream "${id}" and peer "${id}" both become upstream id "${id}": rename the upstream, or set the peer's import to false.`,
      });
    }
  }
  return { ...upstreams, ...imported };
}

/**
 * Builds a peered hub served over HTTP (not listening yet).
 *
 * @throws {InvalidConfigError} when a peer id is also an upstream id.
 * @example
 * ```ts
 * await using server = await createHubServer({ hubId: 'a', peers: { b: { url: 'https://b.example.com' } } });
 * const { url } = await server.listen(); // a client of `${url}/mcp` sees b__… tools
 * ```
 */
export async function createHubServer(options: HubServerOptions = {}): Promise<HubServer> {
  const name = options.name ?? 'fedmcp';
  const upstreams = options.upstreams ?? {};
  let peers: PeersOptions = options.peers ?? {};
  const initial = desiredUpstreams(upstreams, peers);
  const identity = options.identity ?? (await createHubIdentity());
  // Replayed token ids are refused within one process unless a shared store is given.
  const replay = options.replayStore
    ? { kv: options.replayStore, close: async () => {} }
    : createMemoryStore();
  let address: McpHttpHostAddress | undefined;
  let peerAuthentication: PeerAuthentication | undefined;
  const mcpPath = options.host?.paths?.mcp ?? '/mcp';
  const hubIdOrUndefined = () => options.hubId ?? (address ? hubIdFromUrl(address.url) : undefined);
  const hubId = (): string => {
    const id = hubIdOrUndefined();
    if (id === undefined) {
      throw new InvalidConfigError({
        path: 'hubId',
        reason: 'unknown before listen',
        message:
          'The hub id is derived from the listening URL: call listen() first, or give hubId.',
      });
    }
    return id;
  };
  const maxHops = options.hub?.maxHops;

  const hub = createHub({
    ...options.hub,
    serverInfo: { name, version: FEDMCP_VERSION },
    upstreams: initial,
    hubId: hubIdOrUndefined,
    connect: createPeerConnector({
      base: options.connect ?? connectNodeUpstream,
      peers: () => peers,
      hubId,
      keyring: () => identity.keyring(),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    }),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const status = createPeerFederatedStatus({
    hub: () => ({ id: hubId(), name, version: FEDMCP_VERSION }),
    upstreams: () => hub.upstreams.list(),
    peers: () => peers,
    keyring: () => identity.keyring(),
    ...(maxHops === undefined ? {} : { maxDepth: maxHops }),
    ...(options.statusCacheMs === undefined ? {} : { cacheMs: options.statusCacheMs }),
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const authenticate: McpAuthenticate = (request) =>
    peerAuthentication?.authenticate(request) ?? options.authenticate?.(request);
  const routes = composeWebRoutes(
    createDiscoveryRoutes({
      document: () =>
        createDiscoveryDocument({
          hubId: hubId(),
          endpoint: new URL(mcpPath, address?.url ?? 'http://localhost').href,
          name,
          ...(options.host?.transports ? { transports: options.host.transports } : {}),
          ...(maxHops === undefined ? {} : { maxHops }),
        }),
      keyring: () => identity.keyring(),
    }),
    createStatusRoute({ status, authenticate }),
  );
  // Tried on their own paths only: a web Request built for every MCP request cost more than the
  // routes themselves.
  const nodeRoutes = toNodeRoute(routes, {
    paths: [DISCOVERY_DOCUMENT_PATH, JWKS_PATH, HUB_STATUS_PATH],
  });
  const userRoutes = options.routes ? toNodeRoute(options.routes) : undefined;
  const extraRoute = options.host?.onRequest;
  const host: McpHttpHost = createMcpHttpHost({
    ...options.host,
    createServer: ({ headers: _headers, ...context }) => hub.createServer(context),
    fastRequest: hub.fastRequest,
    modernFastRequest: hub.modernFastRequest,
    authenticate,
    sessionOwner: (principal) => peerSessionOwner(principal) ?? options.sessionOwner?.(principal),
    bus: hub.bus,
    onRequest: async (request, response) =>
      (await nodeRoutes(request, response)) ||
      (userRoutes ? await userRoutes(request, response) : false) ||
      (extraRoute ? await extraRoute(request, response) : false),
    ...(options.logger ? { logger: options.logger } : {}),
  });

  // The host drains first, then the upstreams close; each step runs even when one before failed.
  async function close(): Promise<void> {
    try {
      await host.close();
    } finally {
      try {
        await hub.close();
      } finally {
        await replay.close();
      }
    }
  }

  return {
    hub,
    identity,
    get url() {
      return address?.url;
    },
    get hubId() {
      return hubId();
    },
    async listen() {
      address = await host.listen();
      peerAuthentication = createPeerAuthentication({
        hubId: hubId(),
        peers,
        replayStore: replay.kv,
        ...(options.audit ? { audit: options.audit } : {}),
        ...(options.fetch ? { fetch: options.fetch } : {}),
      });
      await hub.start();
      return address;
    },
    async setPeers(next) {
      const desired = desiredUpstreams(upstreams, next);
      peers = next;
      peerAuthentication?.setPeers(next);
      status.clear();
      return hub.upstreams.sync(desired);
    },
    status: (request) => status.status(request),
    close,
    [Symbol.asyncDispose]: close,
  };
}
