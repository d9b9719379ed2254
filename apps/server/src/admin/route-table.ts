/** Every route of the admin API, in the order the OpenAPI document lists them. */
import type { AdminContext } from './admin-context.js';
import type { AdminRoute } from './admin-route.js';
import { auditRoutes } from './routes/audit-routes.js';
import { consentRoutes } from './routes/consent-routes.js';
import { oauthTokenRoutes } from './routes/oauth-token-routes.js';
import { peerRoutes } from './routes/peer-routes.js';
import { policyRoutes } from './routes/policy-routes.js';
import { replicaRoutes } from './routes/replica-routes.js';
import { sessionTaskRoutes } from './routes/session-task-routes.js';
import { toolRoutes } from './routes/tool-routes.js';
import { upstreamRoutes } from './routes/upstream-routes.js';

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
