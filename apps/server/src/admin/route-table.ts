/** Every route of the admin API, in the order the OpenAPI document lists them. */
import type { AdminContext, EdgeAdminContext } from './admin-context.js';
import type { AdminRoute } from './admin-route.js';
import { auditRoutes } from './routes/audit-routes.js';
import { consentRoutes } from './routes/consent-routes.js';
import { oauthTokenRoutes } from './routes/oauth-token-routes.js';
import { peerRoutes } from './routes/peer-routes.js';
import { policyRoutes } from './routes/policy-routes.js';
import { replicaRoutes } from './routes/replica-routes.js';
import { sessionTaskRoutes, taskRoutes } from './routes/session-task-routes.js';
import { toolRoutes } from './routes/tool-routes.js';
import { upstreamRoutes, upstreamStatusRoutes } from './routes/upstream-routes.js';

/** The admin routes over a running server's parts. */
export function adminRoutes(context: AdminContext): AdminRoute[] {
  return [
    ...upstreamRoutes(context),
    ...oauthTokenRoutes(context),
    ...toolRoutes(context),
    ...peerRoutes(context),
    ...replicaRoutes(context),
    ...policyRoutes(context),
    ...consentRoutes(context),
    ...auditRoutes(context),
    ...sessionTaskRoutes(context),
  ];
}

/**
 * The admin routes of a hub at the edge: what the Node hub serves, less what needs processes,
 * files or a session registry — upstreams are read-only (they come from the deployed config),
 * and there are no `/sessions` (each isolate keeps its own). `/replicas` answers a single replica;
 * `/upstreams/{id}/oauth-tokens` is there when the edge hub has OAuth upstreams.
 */
export function edgeAdminRoutes(context: EdgeAdminContext): AdminRoute[] {
  return [
    ...upstreamStatusRoutes(context),
    ...oauthTokenRoutes(context),
    ...toolRoutes(context),
    ...peerRoutes(context),
    ...replicaRoutes({}),
    ...policyRoutes(context),
    ...consentRoutes(context),
    ...auditRoutes(context),
    ...taskRoutes(context),
  ];
}
