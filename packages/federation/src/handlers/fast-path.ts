/**
 * The forwarding fast path (`Hub.fastRequest`, the `fastRequest` option of `createMcpHttpHost`):
 * a tools/call (no task) of a 2025-era client, to a shared 2025-era upstream,
 * is relayed as raw JSON-RPC — no SDK decode and re-encode on either side — and answered by the
 * host as one JSON response. A client that can answer questions (sampling, elicitation, roots)
 * takes it too, without a lease: its answer becomes an SSE stream carrying a question only if the
 * upstream asks one that can only be this call's (pipeline/attributed-questions.ts: a connection
 * only its session uses, until its tool has proved quiet), or sends
 * progress (MCP 2025-11-25 basic/utilities/progress, the client's token restored); consent
 * questions of the gate take the SDK path. A plain call to a 2026-07-28 upstream (a peer hub) takes
 * it too, through the upstream's SDK client, as the 2026-07-28 fast path does
 * (modern-fast-path.ts): before, a 2025 client's first hop always ran the SDK handler. It runs the same
 * stages as the SDK path (resolve, meta, gate, call, map, finish); anything else declines
 * (`undefined`) and takes the SDK path. A tools/list is answered from the cached page the SDK
 * handler answers (list-handlers.ts), as one JSON answer serialised once per page.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { McpFastRequestHandler } from '@fedmcp/transports';
import type { JSONRPCResponse, Result, ServerContext } from '@modelcontextprotocol/server';
import { noteQuietCall, streamAsker } from '../pipeline/attributed-questions.js';
import { callUpstream } from '../pipeline/call-upstream.js';
import { type Finish, NO_FINISH } from '../pipeline/finish.js';
import { gate } from '../pipeline/gate.js';
import { mapToolResult } from '../pipeline/map-result.js';
import { assertOpen } from '../pipeline/resolve.js';
import type { HubServices } from '../services/hub-services.js';
import type { HubSession } from '../services/session-registry.js';
import { withCallerCapabilities } from './caller-capabilities.js';
import { fastListTools } from './list-handlers.js';
import { connectionOwner, createSessionScope, type SessionScope } from './session-scope.js';
import { prepareToolCall } from './tool-handlers.js';

type Params = Record<string, unknown>;

/**
 * What a transport host tells the fast path about a request, and the fast path's signature: the
 * `fastRequest` option of `@fedmcp/transports`' `createMcpHttpHost`.
 */
export type {
  McpFastRequestExtra as FastRequestExtra,
  McpFastRequestHandler as FastRequestHandler,
} from '@fedmcp/transports';

// The gate reads no round state on the fast path (a question it asks sends the call to the SDK).
const FAST_CONTEXT = {
  mcpReq: { envelope: undefined, requestState: () => undefined, inputResponses: undefined },
} as unknown as ServerContext;

/** The fast context of a request carrying trace context: the gate's span continues its trace. */
function tracedContext(meta: Params, id: unknown): ServerContext {
  const mcpReq = { ...FAST_CONTEXT.mcpReq, _meta: meta, id };
  return { ...FAST_CONTEXT, mcpReq } as ServerContext;
}

/** Builds a hub's fast path. */
export function createFastRequest(services: HubServices): McpFastRequestHandler {
  // One scope per session, built on its first fast call (it resolves the hub id once).
  const scopes = new WeakMap<HubSession, SessionScope>();
  const scopeOf = (session: HubSession): SessionScope => {
    let scope = scopes.get(session);
    if (!scope) {
      scope = createSessionScope(services, session);
      scopes.set(session, scope);
    }
    return scope;
  };
  return (message, extra) => {
    const method = message.method;
    if (!services.settings.fastPath || (method !== 'tools/call' && method !== 'tools/list')) {
      return undefined;
    }
    const session = services.sessions.bySessionId(extra.sessionId);
    if (session?.era !== 'legacy' || services.sessions.isClosed(session)) return undefined;
    if (method === 'tools/list') return fastListTools(scopeOf(session), message);
    const requestParams = (message.params ?? {}) as Params;
    const name = requestParams.name;
    if (typeof name !== 'string' || requestParams.task !== undefined) return undefined;
    const incomingMeta = requestParams._meta as Params | undefined;
    // Progress goes on the request's own stream (upgraded to SSE by the first one).
    const progressToken = incomingMeta?.progressToken;
    if (progressToken !== undefined && extra.stream === undefined) return undefined;
    const capabilities = session.server.getClientCapabilities();
    if (!capabilities) return undefined;
    const interactive = Boolean(
      capabilities.sampling || capabilities.elicitation || capabilities.roots,
    );
    if (interactive && extra.stream === undefined) return undefined;
    const catalog = services.catalog.current;
    if (catalog.quarantined.has(name)) return undefined;
    const route = catalog.tools.byName.get(name);
    if (!route) return undefined;
    const upstream = route.upstream;
    if (
      services.catalog.reviews?.pending(upstream.id) ||
      !upstream.available ||
      (upstream.era === 'legacy'
        ? (upstream.options.isolation ?? 'shared') !== 'shared'
        : !plainModernCall(services, session, route, interactive, progressToken))
    ) {
      return undefined;
    }
    const sessionScope = scopeOf(session);
    const id = message.id;
    const stream = extra.stream;
    return (async (): Promise<JSONRPCResponse | undefined> => {
      let finish: Finish = NO_FINISH;
      try {
        assertOpen(services);
        const { params, access } = prepareToolCall(sessionScope, requestParams, route);
        const gated = await gate(
          services,
          access,
          { principal: session.principal, capabilities },
          incomingMeta?.traceparent === undefined ? FAST_CONTEXT : tracedContext(incomingMeta, id),
          true,
        );
        // A consent question: the SDK path asks it (its legacy shim pushes it to this client).
        if ('reply' in gated) return undefined;
        finish = gated.finish;
        if (upstream.era !== 'legacy') {
          // A 2026-07-28 upstream (a peer hub): its SDK client adds the envelope, which names
          // this plain client's capabilities, so the next hub can take its fast path too.
          const owner = connectionOwner(sessionScope, upstream);
          const answer = await callUpstream({
            upstream,
            method: 'tools/call',
            params: withCallerCapabilities(upstream, route.item, params, capabilities),
            signal: extra.signal,
            lease: { interactive: false, ...(owner ? { owner } : {}) },
          });
          const result = mapToolResult(upstream, answer);
          await finish({ ok: true, result });
          return { jsonrpc: '2.0', id, result } as JSONRPCResponse;
        }
        const cancellation = extra.cancellation;
        const response = await callUpstream({
          upstream,
          method: 'tools/call',
          params,
          // The host's cancellation when it has one: no AbortSignal built per call.
          ...(cancellation ? { cancellation } : { signal: extra.signal }),
          lease: { interactive: false },
          raw: true,
          ...(progressToken !== undefined && stream
            ? {
                onprogress: (progress: Params) =>
                  stream.notify({
                    method: 'notifications/progress',
                    params: { ...progress, progressToken },
                  }),
              }
            : {}),
          ...(interactive && stream
            ? {
                asker: streamAsker({
                  services,
                  session,
                  upstream,
                  name: route.name,
                  capabilities,
                  stream,
                }),
              }
            : {}),
        });
        if (interactive) noteQuietCall(upstream, route.name); // a question marks it first
        if ('error' in response) {
          const error = response.error as { code: number; message: string; data?: unknown };
          await finish({ ok: false, error: FedmcpError.fromJsonRpcError(error) });
          return { jsonrpc: '2.0', id, error } as JSONRPCResponse;
        }
        const result = mapToolResult(upstream, response.result as Result);
        await finish({ ok: true, result });
        return { jsonrpc: '2.0', id, result } as JSONRPCResponse;
      } catch (error) {
        const failure = FedmcpError.from(error);
        await finish({ ok: false, error: failure });
        return { jsonrpc: '2.0', id, error: failure.toJsonRpcError() } as JSONRPCResponse;
      }
    })();
  };
}

/**
 * Whether a 2025-era session's call to a 2026-07-28 upstream (a peer hub) can take the fast path:
 * a plain call (the client answers no questions, sends no progress token and set no log level —
 * the SDK path leases a connection for those, tool-handlers.ts), of a tool that never runs as a
 * task, on a shared or per-principal connection (per-session isolation is the SDK path's).
 */
function plainModernCall(
  services: HubServices,
  session: HubSession,
  route: {
    readonly item: { execution?: { taskSupport?: string } };
    readonly upstream: { readonly options: { isolation?: string } };
  },
  interactive: boolean,
  progressToken: unknown,
): boolean {
  const taskSupport = route.item.execution?.taskSupport;
  return (
    !interactive &&
    progressToken === undefined &&
    (taskSupport === undefined || taskSupport === 'forbidden') &&
    services.notifications.logLevelOf(session) === undefined &&
    route.upstream.options.isolation !== 'per-session'
  );
}
