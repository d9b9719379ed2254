/**
 * The admin API (`/admin/v1`), the REST facade (`/api/v1/tools/{name}:call`) and the dashboard
 * (`/ui`) of the hub `fedmcp deploy` bundles: the Node server's web-standard admin code
 * (`@fedmcp/server/admin`) over the edge hub's parts, mounted as the `routes` of
 * `createHubHandler`. Callers authenticate as on Node (the config's API keys and OAuth; the admin
 * API needs the "admin" scope). The dashboard's three files are inlined in the bundle by
 * `deploy-hub-bundle.ts` (`__FEDMCP_DASHBOARD__`). No `node:` imports.
 */
import {
  createPeerFederatedStatus,
  createTaskAdmin,
  type Hub,
  type HubIdentity,
  type PeersOptions,
  type ToolPinning,
  type WebRoute,
} from '@fedmcp/federation';
import { FEDMCP_VERSION } from '@fedmcp/protocol';
import {
  type AuditLog,
  createConsentLedger,
  createPolicy,
  type PolicyRule,
} from '@fedmcp/proxy-auth';
import {
  adminRouteGroups,
  createWebAdminApi,
  createWebUiRoute,
  type DashboardFile,
  edgeAdminRoutes,
  toolCallRoute,
  type UpstreamChanges,
} from '@fedmcp/server/admin';
import type { Store } from '@fedmcp/store';
import type { McpAuthenticate } from '@fedmcp/transports';
import type { EdgeUpstreamAuth } from './deploy-hub-oauth.js';

/** The dashboard's files, inlined by the bundler; absent outside a hub bundle. */
declare const __FEDMCP_DASHBOARD__: Record<DashboardFile, string> | undefined;

/** The parts of the edge hub the admin API works on. */
export interface EdgeAdminOptions {
  hub: Hub;
  hubId: string;
  name?: string;
  store: Store;
  audit: AuditLog;
  identity: HubIdentity;
  peers: PeersOptions;
  /** The config's policy rules. */
  policy?: PolicyRule[];
  /** Absent when pinning is off. */
  pinning?: ToolPinning;
  /** The config's authentication (API keys, OAuth); none: every admin request gets 401. */
  authenticate?: McpAuthenticate;
  /** Upstream OAuth tokens (`DELETE /upstreams/{id}/oauth-tokens`, deploy-hub-oauth.ts). */
  upstreamOAuth?: Pick<EdgeUpstreamAuth, 'logout' | 'login' | 'loggedIn'>;
  /** Adding, changing, removing and restarting upstreams (deploy-hub-upstreams.ts); none: read-only. */
  upstreamChanges?: UpstreamChanges;
}

/** The admin API, REST facade and dashboard of an edge hub, as one web route. */
export function createEdgeAdminRoutes(options: EdgeAdminOptions): WebRoute {
  const { hub, store, audit, peers } = options;
  const policy = createPolicy(options.policy ?? []);
  const federatedStatus = createPeerFederatedStatus({
    hub: () => ({ id: options.hubId, name: options.name ?? 'fedmcp', version: FEDMCP_VERSION }),
    upstreams: () => hub.upstreams.list(),
    peers: () => peers,
    keyring: () => options.identity.keyring(),
  });
  const context = {
    hub,
    store,
    audit,
    policy: () => policy,
    // The ledger lives in the store: the hub's consent step and this one share its grants.
    consent: createConsentLedger({ kv: store.kv, audit }),
    ...(options.pinning ? { pinning: options.pinning } : {}),
    tasks: createTaskAdmin(store),
    status: (request: Parameters<typeof federatedStatus.status>[0]) =>
      federatedStatus.status(request),
    config: () => ({ peers, ...(options.policy ? { policy: { rules: options.policy } } : {}) }),
    authenticate: options.authenticate ?? (() => undefined),
    ...(options.upstreamOAuth ? { upstreamOAuth: options.upstreamOAuth } : {}),
    ...(options.upstreamChanges ? { upstreamChanges: options.upstreamChanges } : {}),
  };
  const dashboard = typeof __FEDMCP_DASHBOARD__ === 'undefined' ? undefined : __FEDMCP_DASHBOARD__;
  const api = createWebAdminApi(context, {
    version: FEDMCP_VERSION,
    groups: adminRouteGroups(edgeAdminRoutes(context), [toolCallRoute(context)]),
    ...(dashboard ? { ui: createWebUiRoute(async (file) => dashboard[file]) } : {}),
  });
  return (request) => api(request);
}
