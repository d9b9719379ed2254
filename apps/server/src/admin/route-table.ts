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
import {
  type UpstreamChanges,
  upstreamRoutes,
  upstreamStatusRoutes,
} from './routes/upstream-routes.js';

/** The admin routes over a running server's parts. */
export function adminRoutes(context: AdminContext): AdminRoute[] {
  return [
    ...upstreamRoutes(context, {
      configuredUpstream: (id) => context.configuredUpstream(id),
      announce: async (change) => context.cluster?.announce(change),
    }),
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
 * files or a session registry — upstreams change when `upstreamChanges` is given (HTTP(S) ones,
 * kept in the store; without it they are read-only, from the deployed config), and there are no
 * `/sessions` (each isolate keeps its own). `/replicas` answers a single replica;
 * `/upstreams/{id}/oauth-tokens` is there when the edge hub has OAuth upstreams.
 */
export function edgeAdminRoutes(
  context: EdgeAdminContext & { upstreamChanges?: UpstreamChanges },
): AdminRoute[] {
  return [
    ...(context.upstreamChanges
      ? upstreamRoutes(context, context.upstreamChanges)
      : upstreamStatusRoutes(context)),
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
