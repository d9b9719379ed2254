/**
 * Web-standard routes: a function of a `Request` that answers it, or resolves `undefined` when
 * the path is not its own. Any runtime mounts them (a Worker's `fetch`, Deno.serve, or Node through
 * `toNodeRoute` from `@fedmcp/federation/node`).
 */

/** A route: the `Response`, or `undefined` for a request it does not serve. */
export type WebRoute = (request: Request) => Promise<Response | undefined>;

/**
 * One route of several: the first answer wins.
 *
 * @example
 * ```ts
 * const routes = composeWebRoutes(discoveryRoutes, statusRoute);
 * const response = (await routes(request)) ?? new Response('Not Found', { status: 404 });
 * ```
 */
export function composeWebRoutes(...routes: WebRoute[]): WebRoute {
  return async (request) => {
    for (const route of routes) {
      const response = await route(request);
      if (response !== undefined) return response;
    }
    return undefined;
  };
}
