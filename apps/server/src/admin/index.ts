/**
 * `@fedmcp/server/admin`: the admin API, the REST facade and the dashboard route, web-standard
 * (`Request` → `Response`), with no `node:` import in their graph — what the edge hub of
 * `fedmcp deploy` mounts. The Node server mounts the same code with its Node-only routes.
 */

export {
  createWebUiRoute,
  DASHBOARD_FILES,
  type DashboardFile,
  type WebUiRoute,
} from '../ui/web-ui-route.js';
export type { AdminContext, EdgeAdminContext } from './admin-context.js';
export type { AdminRoute } from './admin-route.js';
export type { RouteGroup } from './openapi.js';
export { edgeAdminRoutes } from './route-table.js';
export { toolCallRoute } from './routes/tool-call-route.js';
export type { UpstreamChanges, UpstreamInput } from './routes/upstream-routes.js';
export { startUpstreamSync, type UpstreamSync, type UpstreamSyncOptions } from './upstream-sync.js';
export {
  ADMIN_API_SCOPE,
  ADMIN_BASE,
  adminRouteGroups,
  createWebAdminApi,
  FACADE_BASE,
  ownsAdminPath,
  type WebAdminApi,
  type WebAdminApiOptions,
} from './web-admin-api.js';
