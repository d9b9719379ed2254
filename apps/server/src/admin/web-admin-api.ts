/**
 * The admin API (`/admin/v1`, admin scope), its OpenAPI document (`/admin/v1/openapi.json`,
 * public), the REST facade (`/api/v1/tools/{name}:call`, any caller) and the dashboard (`/ui`),
 * as one web-standard route: `(request: Request) => Promise<Response | undefined>`. The Node host
 * mounts it through `create-admin-api.ts`; the edge hub (`fedmcp deploy`) as a `routes` option of
 * `createHubHandler`. No `node:` import.
 */
import type { Logger } from '@fedmcp/protocol';
import type { Principal } from '@fedmcp/proxy-auth';
import type { McpAuthRequest } from '@fedmcp/transports';
import type * as z from 'zod';
import type { WebUiRoute } from '../ui/web-ui-route.js';
import type { AdminContext } from './admin-context.js';
import { type AdminRoute, compilePath, matchPath } from './admin-route.js';
import { authenticateCaller, jsonResponse, readJsonBody } from './http-io.js';
import { buildOpenApiDocument, type RouteGroup } from './openapi.js';
import { ProblemError, problemResponse, toProblemError, validationProblem } from './problem.js';

/** The scope the admin API needs. */
export const ADMIN_API_SCOPE = 'admin';
/** Where the admin API is served. */
export const ADMIN_BASE = '/admin/v1';
/** Where the REST facade is served. */
export const FACADE_BASE = '/api/v1';

/** The route groups of the admin API: the admin routes and the REST facade's call route. */
export function adminRouteGroups(admin: AdminRoute[], facade: AdminRoute[]): RouteGroup[] {
  return [
    { base: ADMIN_BASE, routes: admin, security: 'admin' },
    { base: FACADE_BASE, routes: facade, security: 'caller' },
  ];
}

/** The web-standard admin API; see {@link createWebAdminApi}. */
export interface WebAdminApi {
  /**
   * Answers a request under `/admin/v1/`, `/api/v1/` or `/ui`; `undefined` for other paths.
   * `authRequest` is what the authentication sees (the Node host passes its view of the request,
   * which carries the TLS client certificate). @default the request
   */
  (request: Request, authRequest?: McpAuthRequest): Promise<Response | undefined>;
  /** The route groups (for the OpenAPI document and its test). */
  readonly groups: readonly RouteGroup[];
  /** The OpenAPI 3.1 document. */
  readonly document: ReturnType<typeof buildOpenApiDocument>;
}

/** Options of {@link createWebAdminApi}. */
export interface WebAdminApiOptions {
  /** The version the OpenAPI document names. */
  version: string;
  /** The routes served (see {@link adminRouteGroups}). */
  groups: RouteGroup[];
  /** The dashboard (`/ui`). @default none */
  ui?: WebUiRoute;
  /** Where failed requests (5xx) are logged. @default none */
  logger?: Logger;
}

/** Whether an origin-form request target is under a path the admin API (or the dashboard) serves. */
export function ownsAdminPath(target: string): boolean {
  return (
    target.startsWith('/ui') ||
    target.startsWith(`${ADMIN_BASE}/`) ||
    target.startsWith(`${FACADE_BASE}/`)
  );
}

/** Refuses (403) a caller without the admin scope, and records the attempt in the audit trail. */
async function requireAdmin(
  context: Pick<AdminContext, 'audit'>,
  principal: Principal,
  method: string,
  path: string,
): Promise<void> {
  if (principal.scopes.includes(ADMIN_API_SCOPE)) return;
  await context.audit.record({
    type: 'auth',
    outcome: 'denied',
    action: `${method} ${path}`,
    principal,
    reason: 'The admin API needs the "admin" scope.',
  });
  throw new ProblemError(
    403,
    'The admin API needs the "admin" scope (an API key with scopes: ["admin"], or an OAuth token granting it).',
  );
}

function parseWith(schema: z.ZodType | undefined, value: unknown, where: string): unknown {
  if (!schema) return value;
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationProblem(where, parsed.error.issues);
  return parsed.data;
}

async function run(
  route: AdminRoute,
  params: Record<string, string>,
  url: URL,
  principal: Principal,
  request: Request,
): Promise<Response> {
  const query = parseWith(route.query, Object.fromEntries(url.searchParams), 'query');
  const parsedParams = parseWith(route.params, params, 'path');
  const raw =
    route.method === 'GET' || route.method === 'DELETE' ? undefined : await readJsonBody(request);
  const body = parseWith(route.body, raw, 'body');
  const result = await route.handle({ params: parsedParams, query, body, principal, request });
  if (route.stream) return result as Response;
  return jsonResponse(route.status ?? 200, result);
}

/** Builds the admin API over a hub's parts: who may call it, and where refusals are audited. */
export function createWebAdminApi(
  context: Pick<AdminContext, 'audit' | 'authenticate'>,
  options: WebAdminApiOptions,
): WebAdminApi {
  const { groups } = options;
  // Built on first use: most hubs never serve it, and building it converts every route's schemas.
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  const openApiDocument = () => {
    document ??= buildOpenApiDocument(groups, options.version);
    return document;
  };
  const table = groups.flatMap((group) =>
    group.routes.map((route) => ({ group, route, matcher: compilePath(group.base + route.path) })),
  );

  const handle = async (
    request: Request,
    authRequest: McpAuthRequest = request,
  ): Promise<Response | undefined> => {
    const url = new URL(request.url);
    const path = url.pathname;
    if (!ownsAdminPath(path)) return undefined;
    const ui = await options.ui?.(request, path);
    if (ui) return ui;
    if (!path.startsWith(`${ADMIN_BASE}/`) && !path.startsWith(`${FACADE_BASE}/`)) return undefined;
    try {
      if (path === `${ADMIN_BASE}/openapi.json` && request.method === 'GET') {
        return jsonResponse(200, openApiDocument());
      }
      const matching = table
        .map((entry) => ({ ...entry, params: matchPath(entry.matcher, path) }))
        .filter((entry) => entry.params !== undefined);
      if (matching.length === 0)
        throw new ProblemError(404, `No route ${path}; see ${ADMIN_BASE}/openapi.json.`);
      const found = matching.find((entry) => entry.route.method === request.method);
      if (!found) {
        const allow = [...new Set(matching.map((entry) => entry.route.method))].join(', ');
        throw new ProblemError(405, `${request.method} is not served on ${path}; use ${allow}.`, {
          headers: { allow },
        });
      }
      const principal = await authenticateCaller(context.authenticate, authRequest);
      if (found.group.security === 'admin') {
        await requireAdmin(context, principal, request.method, path);
      }
      return await run(found.route, found.params ?? {}, url, principal, request);
    } catch (error) {
      const problem = toProblemError(error);
      if (problem.problem.status >= 500) {
        options.logger?.error({ err: (error as Error)?.message, path }, 'admin API request failed');
      }
      return problemResponse(problem);
    }
  };
  return Object.defineProperties(handle, {
    groups: { value: groups, enumerable: true },
    document: { get: openApiDocument, enumerable: true },
  }) as WebAdminApi;
}
