/**
 * `POST|GET|DELETE /mcp` of the web-standard hub, both protocol eras on one URL (mcp-sdk-v2
 * notes §4): 2026-07-28 requests go to the hub's fast path (a plain tools/call) or else to the
 * SDK's `createMcpHandler` (stateless, one hub session server per request over the hub's shared
 * catalogs); 2025-era traffic (`initialize`,
 * `Mcp-Session-Id`, GET streams) to the in-memory sessions of this isolate. The hub's views are
 * served the same way at `/mcp/<view>` (`HubOptions.views`), as the Node host serves them: their
 * servers are built with `view` in their context, a session answers only on the path it was
 * opened on, and the fast path (which knows no views) is left to `/mcp` itself.
 */
import type { Logger } from '@fedmcp/protocol';
import {
  type ClusterSessions,
  JsonRpcErrorCode,
  type McpAuthenticate,
  runAuthenticate,
  type SessionEventStores,
} from '@fedmcp/transports';
import { createMcpHandler, isLegacyRequest, readRequestBody } from '@modelcontextprotocol/server';
import type { Hub } from '../hub-options.js';
import type { WebRoute } from '../peers/web-route.js';
import type { TaskListenRequest } from '../tasks/task-listen.js';
import { createLegacySessions } from './legacy-sessions.js';
import { answerModernFast } from './modern-fast-answer.js';
import { jsonRpcErrorResponse } from './responses.js';

/** Options of {@link createMcpRoute}. */
export interface McpRouteOptions {
  hub: Hub;
  /** The endpoint's path (`/mcp`). */
  path: string;
  /** The views served at `${path}/<view>`. @default none */
  views?: readonly string[];
  authenticate: McpAuthenticate;
  /** The owner of a principal's sessions. */
  owner: (principal: unknown) => string | undefined;
  maxBodyBytes: number;
  maxSessions: number;
  sessionIdleMs: number;
  /** Client-carried 2025-era sessions any isolate can serve (see `legacy-sessions.ts`). */
  cluster?: ClusterSessions | undefined;
  /** Event stores of the 2025-era sessions (resumable streams). */
  eventStores?: SessionEventStores | undefined;
  logger?: Logger;
}

/** The MCP endpoint: its route and what closes its sessions. */
export interface McpRoute {
  route: WebRoute;
  close(): Promise<void>;
}

type TaskListenServer = (request: TaskListenRequest) => Promise<Response | undefined>;

type Parsed = { ok: true; body: unknown } | { ok: false; response: Response };

async function readJson(request: Request, maxBytes: number): Promise<Parsed> {
  const read = await readRequestBody(request, maxBytes);
  if (read.tooLarge) {
    const message = `Payload Too Large: the body exceeds ${maxBytes} bytes`;
    return {
      ok: false,
      response: jsonRpcErrorResponse(413, JsonRpcErrorCode.invalidRequest, message),
    };
  }
  try {
    return { ok: true, body: JSON.parse(read.text) };
  } catch {
    const message = 'Parse error: the body is not JSON';
    return { ok: false, response: jsonRpcErrorResponse(400, JsonRpcErrorCode.parseError, message) };
  }
}

/**
 * The view a path names: `null` for the endpoint itself, the view's name for `${path}/<view>`
 * (any name: the caller checks it is one), `undefined` when the path is not the endpoint's.
 */
function viewOfPath(pathname: string, path: string): string | null | undefined {
  if (pathname === path) return null;
  if (!pathname.startsWith(`${path}/`)) return undefined;
  try {
    return decodeURIComponent(pathname.slice(path.length + 1));
  } catch {
    return pathname.slice(path.length + 1);
  }
}

/** Creates the `/mcp` route of a hub (and its `/mcp/<view>` routes). */
export function createMcpRoute(options: McpRouteOptions): McpRoute {
  const { hub, logger } = options;
  const views = new Set(options.views ?? []);
  // The factory of the modern handler learns the principal through the Request it is given.
  const principals = new WeakMap<Request, unknown>();
  type ModernHandler = ReturnType<typeof createMcpHandler>;
  const modernHandlers = new Map<string | undefined, ModernHandler>();
  const modernOf = (view: string | undefined): ModernHandler => {
    let handler = modernHandlers.get(view);
    if (handler) return handler;
    handler = createMcpHandler(
      (context) =>
        hub.createServer({
          era: context.era,
          transport: 'streamable-http',
          ...(context.requestInfo ? { principal: principals.get(context.requestInfo) } : {}),
          ...(view === undefined ? {} : { view }),
        }),
      {
        legacy: 'reject',
        bus: hub.bus,
        maxRequestBodySize: options.maxBodyBytes,
        onerror: (error) =>
          logger?.debug({ err: error }, 'MCP 2026-07-28 request rejected or failed'),
      },
    );
    modernHandlers.set(view, handler);
    return handler;
  };
  const serveListen = (hub.bus as Partial<{ serveListen: TaskListenServer }>).serveListen?.bind(
    hub.bus,
  );
  const sessions = createLegacySessions({
    createServer: ({ sessionId, principal, view }) =>
      hub.createServer({
        era: 'legacy',
        transport: 'streamable-http',
        sessionId,
        principal,
        ...(view === undefined ? {} : { view }),
      }),
    owner: options.owner,
    maxSessions: options.maxSessions,
    idleMs: options.sessionIdleMs,
    cluster: options.cluster,
    eventStores: options.eventStores,
  });

  const route: WebRoute = async (request) => {
    const named = viewOfPath(new URL(request.url).pathname, options.path);
    if (named === undefined) return undefined;
    if (named !== null && !views.has(named)) {
      const known = [...views].map((view) => `${options.path}/${view}`).join(', ');
      const message = `Not Found: no view "${named}" at ${options.path}/${named}; ${known ? `this hub's views are ${known}` : 'this hub has no views'}`;
      return jsonRpcErrorResponse(404, JsonRpcErrorCode.transportError, message);
    }
    const view = named ?? undefined;
    const method = request.method;
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      const message = `Method Not Allowed: ${method}; use GET, POST or DELETE`;
      return jsonRpcErrorResponse(405, JsonRpcErrorCode.transportError, message, {
        allow: 'GET, POST, DELETE',
      });
    }
    const outcome = await runAuthenticate(options.authenticate, request);
    if (outcome.kind === 'response') return outcome.response;
    const { principal } = outcome;
    let body: unknown;
    if (method === 'POST') {
      const parsed = await readJson(request, options.maxBodyBytes);
      if (!parsed.ok) return parsed.response;
      body = parsed.body;
    }
    const legacy =
      request.headers.has('mcp-session-id') ||
      method !== 'POST' ||
      (await isLegacyRequest(request, body, { maxRequestBodySize: options.maxBodyBytes }));
    if (legacy) return sessions.serve(request, body, principal, view);
    // A plain tools/call without a server per request (see modern-fast-answer.ts); it knows no
    // views, so a view's calls take the SDK path, whose server is built for the view.
    if (view === undefined) {
      const fast = await answerModernFast(hub.modernFastRequest, request, body, principal);
      if (fast) return fast;
    }
    principals.set(request, principal);
    // A listen naming the tasks extension's `taskIds` is served by the hub (tasks/task-listen.ts).
    if ((body as { method?: unknown } | null)?.method === 'subscriptions/listen') {
      const owned = await serveListen?.({ message: body, principal, signal: request.signal });
      if (owned) return owned;
    }
    return modernOf(view).fetch(request, { parsedBody: body });
  };

  return {
    route,
    async close() {
      try {
        await sessions.close();
      } finally {
        await Promise.allSettled([...modernHandlers.values()].map((handler) => handler.close()));
      }
    },
  };
}
