/**
 * The admin API on the Node host: the web-standard admin API (`web-admin-api.ts`) with every
 * route, including the Node-only ones (upstreams run as processes, replicas, upstream OAuth), and
 * the dashboard read from the package, as one `onRequest` hook of the HTTP host.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { Logger } from '@fedmcp/protocol';
import { toBodylessRequest } from '@fedmcp/transports/node';
import { createNodeWebUiRoute } from '../ui/ui-route.js';
import type { AdminContext } from './admin-context.js';
import type { buildOpenApiDocument, RouteGroup } from './openapi.js';
import { ProblemError, problemResponse } from './problem.js';
import { adminRoutes } from './route-table.js';
import { toolCallRoute } from './routes/tool-call-route.js';
import { adminRouteGroups, createWebAdminApi, ownsAdminPath } from './web-admin-api.js';

export { ADMIN_API_SCOPE, ADMIN_BASE, FACADE_BASE } from './web-admin-api.js';

/** The admin API's `onRequest` hook. */
export interface AdminApi {
  (request: IncomingMessage, response: ServerResponse): Promise<boolean>;
  /** The route groups (for the OpenAPI document and its test). */
  readonly groups: readonly RouteGroup[];
  /** The OpenAPI 3.1 document. */
  readonly document: ReturnType<typeof buildOpenApiDocument>;
}

/** Writes a web `Response` to a Node response, streaming its body until either side closes. */
async function writeResponse(response: ServerResponse, answer: Response): Promise<void> {
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  response.writeHead(answer.status, headers);
  if (!answer.body) {
    response.end();
    return;
  }
  const reader = answer.body.getReader();
  // The client went away: cancelling the body ends a Server-Sent Events stream's work.
  response.once('close', () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      response.write(value);
    }
  } finally {
    response.end();
  }
}

/** The web request of a Node request: its body streamed when the method carries one. */
function toWebRequest(request: IncomingMessage, bodyless: Request): Request {
  if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'DELETE') {
    return bodyless;
  }
  return new Request(bodyless.url, {
    method: bodyless.method,
    headers: bodyless.headers,
    body: Readable.toWeb(request) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit);
}

/** Builds the hook over a running server's parts. */
export function createAdminApi(
  context: AdminContext,
  options: { version: string; logger: Logger },
): AdminApi {
  const web = createWebAdminApi(context, {
    version: options.version,
    logger: options.logger,
    groups: adminRouteGroups(adminRoutes(context), [toolCallRoute(context)]),
    ui: createNodeWebUiRoute(),
  });
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<boolean> => {
    const target = request.url ?? '/';
    // Every MCP request passes through here first: leave other paths without building a Request.
    if (target.startsWith('/') && !ownsAdminPath(target)) return false;
    let bodyless: Request;
    try {
      bodyless = toBodylessRequest(request);
    } catch {
      // A method no Request can carry (CONNECT, TRACE): none is served.
      await writeResponse(
        response,
        problemResponse(new ProblemError(405, `${request.method} is not served here.`)),
      );
      return true;
    }
    const answer = await web(toWebRequest(request, bodyless), bodyless);
    if (!answer) return false;
    // A body refused before its end (over the limit): the rest is never read, so the connection
    // closes after the answer (a next request on it would wait behind that rest).
    if (!request.complete) response.setHeader('connection', 'close');
    await writeResponse(response, answer);
    return true;
  };
  return Object.defineProperties(handle, {
    groups: { value: web.groups, enumerable: true },
    document: { get: () => web.document, enumerable: true },
  }) as AdminApi;
}
