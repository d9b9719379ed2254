/**
 * The admin API (`/admin/v1`, admin scope), its OpenAPI document (`/admin/v1/openapi.json`,
 * public), the REST facade (`/api/v1/tools/{name}:call`, any caller) and the dashboard (`/ui`),
 * as one `onRequest` hook of the HTTP host.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@fedmcp/protocol';
import type { Principal } from '@fedmcp/proxy-auth';
import type { z } from 'zod';
import { createUiRoute } from '../ui/ui-route.js';
import type { AdminContext } from './admin-context.js';
import { type AdminRoute, compilePath, matchPath } from './admin-route.js';
import { authenticateCaller, readJsonBody, sendJson } from './http-io.js';
import { buildOpenApiDocument, type RouteGroup } from './openapi.js';
import { ProblemError, sendProblem, toProblemError, validationProblem } from './problem.js';
import { adminRoutes } from './route-table.js';
import { toolCallRoute } from './routes/tool-call-route.js';

/** The scope the admin API needs. */
export const ADMIN_API_SCOPE = 'admin';
/** Where the admin API is served. */
export const ADMIN_BASE = '/admin/v1';
/** Where the REST facade is served. */
export const FACADE_BASE = '/api/v1';

/** The admin API's `onRequest` hook. */
export interface AdminApi {
  (request: IncomingMessage, response: ServerResponse): Promise<boolean>;
  /** The route groups (for the OpenAPI document and its test). */
  readonly groups: readonly RouteGroup[];
  /** The OpenAPI 3.1 document. */
  readonly document: ReturnType<typeof buildOpenApiDocument>;
}

/** Whether an origin-form request target is under a path the admin API (or the dashboard) serves. */
function ownsPath(target: string): boolean {
  return (
    target.startsWith('/ui') ||
    target.startsWith(`${ADMIN_BASE}/`) ||
    target.startsWith(`${FACADE_BASE}/`)
  );
}

/** Refuses (403) a caller without the admin scope, and records the attempt in the audit trail. */
async function requireAdmin(
  context: AdminContext,
  principal: Principal,
  request: IncomingMessage,
  path: string,
): Promise<void> {
  if (principal.scopes.includes(ADMIN_API_SCOPE)) return;
  await context.audit.record({
    type: 'auth',
    outcome: 'denied',
    action: `${request.method} ${path}`,
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
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const query = parseWith(route.query, Object.fromEntries(url.searchParams), 'query');
  const parsedParams = parseWith(route.params, params, 'path');
  const raw =
    route.method === 'GET' || route.method === 'DELETE' ? undefined : await readJsonBody(request);
  const body = parseWith(route.body, raw, 'body');
  const result = await route.handle({
    params: parsedParams,
    query,
    body,
    principal,
    request,
    response,
  });
  if (route.stream) return;
  const status = route.status ?? 200;
  sendJson(response, status, result);
}

/** Builds the hook over a running server's parts. */
export function createAdminApi(
  context: AdminContext,
  options: { version: string; logger: Logger },
): AdminApi {
  const groups: RouteGroup[] = [
    { base: ADMIN_BASE, routes: adminRoutes(context), security: 'admin' },
    { base: FACADE_BASE, routes: [toolCallRoute(context)], security: 'caller' },
  ];
  // Built on first use: most hubs never serve it, and building it converts every route's schemas.
  let document: ReturnType<typeof buildOpenApiDocument> | undefined;
  const openApiDocument = () => {
    document ??= buildOpenApiDocument(groups, options.version);
    return document;
  };
  const table = groups.flatMap((group) =>
    group.routes.map((route) => ({ group, route, matcher: compilePath(group.base + route.path) })),
  );
  const ui = createUiRoute();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const target = request.url ?? '/';
    // Every MCP request passes through here first: leave other paths without parsing a URL.
    if (target.startsWith('/') && !ownsPath(target)) return false;
    const url = new URL(target, 'http://localhost');
    const path = url.pathname;
    if (await ui(request, response, path)) return true;
    if (!path.startsWith(`${ADMIN_BASE}/`) && !path.startsWith(`${FACADE_BASE}/`)) return false;
    try {
      if (path === `${ADMIN_BASE}/openapi.json` && request.method === 'GET') {
        sendJson(response, 200, openApiDocument());
        return true;
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
      const principal = await authenticateCaller(context.authenticate, request);
      if (found.group.security === 'admin') await requireAdmin(context, principal, request, path);
      await run(found.route, found.params ?? {}, url, principal, request, response);
    } catch (error) {
      const problem = toProblemError(error);
      if (problem.problem.status >= 500) {
        options.logger.error({ err: (error as Error)?.message, path }, 'admin API request failed');
      }
      sendProblem(response, problem);
    }
    return true;
  };
  return Object.defineProperties(handle, {
    groups: { value: groups, enumerable: true },
    document: { get: openApiDocument, enumerable: true },
  }) as AdminApi;
}
