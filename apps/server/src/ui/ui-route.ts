/**
 * `/ui` on the Node host: the dashboard's files read from the package (`<package>/ui/`), served
 * by the web-standard route of `web-ui-route.ts`.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createWebUiRoute, type DashboardFile, type WebUiRoute } from './web-ui-route.js';

/** From `src/ui/` (sources) and from `dist/` (the built package), the folder is `<package>/ui/`. */
const CANDIDATES = [new URL('../../ui/', import.meta.url), new URL('../ui/', import.meta.url)];

/** Reads one of the dashboard's files from the package. */
export async function readDashboardFile(file: DashboardFile): Promise<string> {
  let lastError: unknown;
  for (const folder of CANDIDATES) {
    try {
      return await readFile(new URL(file, folder), 'utf8');
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** The web-standard `/ui` route over the package's files. */
export function createNodeWebUiRoute(): WebUiRoute {
  return createWebUiRoute(readDashboardFile);
}

/** The `/ui` route as a Node route: `true` when it answered. */
export function createUiRoute(): (
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
) => Promise<boolean> {
  const route = createNodeWebUiRoute();
  return async (request, response, path) => {
    const answer = await route(
      // Only GET and HEAD are served; any other method (some cannot make a Request) gets the 404.
      new Request(new URL(path, 'http://localhost'), {
        method: request.method === 'GET' || request.method === 'HEAD' ? request.method : 'POST',
      }),
      path,
    );
    if (!answer) return false;
    const headers: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      headers[name] = value;
    });
    response.writeHead(answer.status, headers);
    response.end(answer.body ? Buffer.from(await answer.arrayBuffer()) : undefined);
    return true;
  };
}
