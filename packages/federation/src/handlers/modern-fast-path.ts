/**
 * The 2026-07-28 forwarding fast path (`Hub.modernFastRequest`, the `modernFastRequest` option of
 * `createMcpHttpHost`): a stateless tools/call (no log level, no progress token, no task, not an
 * MRTR retry, no tasks extension declared) is relayed without building an SDK `Server` for the
 * request — which the SDK's `createMcpHandler` does for every 2026-07-28 request, and which was
 * most of such a call's cost (bench/modern). Between hubs this is the hop's path too: hubs speak
 * 2026-07-28 to each other.
 *
 * - A client that can answer no questions: the call goes to a shared 2025-era upstream as raw
 *   JSON-RPC, or to a 2026-07-28 upstream (a peer hub) through its SDK client.
 * - A client that declares sampling, elicitation or roots (as hosts do): the call's first round
 *   runs here, as the SDK path runs it (pipeline/interactive-call.ts: a flow on a leased
 *   connection, or a quiet tool's call on a shared one). Most calls end in that round and are
 *   answered as JSON; one whose upstream asks something is answered `input_required`, and its
 *   retry (`requestState`) takes the SDK path, which resumes the same flow.
 *
 * It runs the same stages as the SDK path (resolve, meta, gate, call, map, finish) and answers as
 * the SDK would (`resultType`, the hub's `serverInfo` in `_meta`); anything else declines
 * (`undefined`) and takes the SDK path, a consent question of the gate included. A `tools/list`
 * is answered from the cached page the SDK path would answer (list-handlers.ts), for the caller's
 * audience (a peer hub's items carry their origin), as bytes serialised once per page.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type {
  McpModernFastRequestExtra,
  McpModernFastRequestHandler,
  McpModernFastSerializedResponse,
} from '@fedmcp/transports';
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type JSONRPCRequest,
  type JSONRPCResponse,
  LOG_LEVEL_META_KEY,
  type Result,
  SERVER_INFO_META_KEY,
  type Server,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { callUpstream, type Lease } from '../pipeline/call-upstream.js';
import { type Finish, NO_FINISH } from '../pipeline/finish.js';
import { gate } from '../pipeline/gate.js';
import { startInteractiveCall } from '../pipeline/interactive-call.js';
import { mapToolResult } from '../pipeline/map-result.js';
import { principalKey } from '../pipeline/meta.js';
import { assertOpen } from '../pipeline/resolve.js';
import { HubServer } from '../sdk-seams.js';
import type { HubServices } from '../services/hub-services.js';
import type { HubSession } from '../services/session-registry.js';
import { PLAIN_CALL_META_KEY, withCallerCapabilities } from './caller-capabilities.js';
import { listAudience, sharedToolsPage } from './list-handlers.js';
import { connectionOwner, createSessionScope } from './session-scope.js';
import { prepareToolCall } from './tool-handlers.js';

type Params = Record<string, unknown>;

/** The lease of a plain call on a shared connection (no owner): one object for every call. */
const PLAIN_LEASE: Lease = Object.freeze({ interactive: false });
/** The lease of an interactive call (no owner), as the SDK path asks for it. */
const INTERACTIVE_LEASE: Lease = Object.freeze({ interactive: true });

/** The tasks extension a client may declare in its capabilities (2026-07-28). */
const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** The gate's view of a fast request: no round state (a question it would ask declines the call). */
function gateContext(meta: Params, id: unknown): ServerContext {
  const mcpReq = {
    envelope: undefined,
    requestState: () => undefined,
    inputResponses: undefined,
    _meta: meta,
    id,
  };
  return { mcpReq } as unknown as ServerContext;
}

/**
 * The request as an interactive call's first round reads it (what the SDK path's `ctx` gives):
 * its method (the `requestState` a question is answered with is bound to it), id, `_meta` and
 * envelope (the client's capabilities), and the request's abort; no round state, no stream.
 */
function roundContext(meta: Params, id: unknown, signal: AbortSignal): ServerContext {
  const mcpReq = {
    method: 'tools/call',
    envelope: meta,
    requestState: () => undefined,
    inputResponses: undefined,
    _meta: meta,
    id,
    signal,
  };
  return { mcpReq } as unknown as ServerContext;
}

/**
 * Whether an upstream may ask this client something during a call (sampling, elicitation, roots):
 * then the call runs as an interactive one. A peer hub's plain call declares `roots` it answers
 * itself with none ({@link PLAIN_CALL_META_KEY}): this hub answers an upstream's roots/list on a
 * shared connection the same way.
 */
function mayBeAsked(capabilities: ClientCapabilities, meta: Params, principal: unknown): boolean {
  const plainPeerCall =
    meta[PLAIN_CALL_META_KEY] === true &&
    (principal as { authMethod?: unknown } | undefined)?.authMethod === 'peer';
  return Boolean(
    capabilities.sampling || capabilities.elicitation || (capabilities.roots && !plainPeerCall),
  );
}

/** Whether a client declares the tasks extension (its calls may become tasks: the SDK path's). */
function declaresTasks(capabilities: ClientCapabilities): boolean {
  const extensions = (capabilities as { extensions?: Record<string, unknown> }).extensions;
  return extensions?.[TASKS_EXTENSION] !== undefined;
}

/** Builds a hub's 2026-07-28 fast path. */
export function createModernFastRequest(services: HubServices): McpModernFastRequestHandler {
  // A 2026-07-28 request has no session; the pipeline's scope wants one. This stand-in server is
  // never connected: nothing of the fast path reads it (capabilities come from the envelope).
  let standIn: Server | undefined;
  const sessionOf = (principal: unknown): HubSession => {
    standIn ??= new HubServer(services.settings.serverInfo, { capabilities: {} });
    return { server: standIn, era: 'modern', sessionId: undefined, pinned: false, principal };
  };
  const serializedPages: SerializedPages = new WeakMap();
  return (message, extra) => {
    if (!services.settings.fastPath) return undefined;
    if (message.method === 'tools/list') {
      return listTools(services, sessionOf, serializedPages, message, extra);
    }
    const requestParams = (message.params ?? {}) as Params;
    const name = requestParams.name;
    if (
      typeof name !== 'string' ||
      requestParams.task !== undefined ||
      requestParams.requestState !== undefined ||
      requestParams.inputResponses !== undefined
    ) {
      return undefined;
    }
    const incomingMeta = (requestParams._meta ?? {}) as Params;
    if (
      incomingMeta.progressToken !== undefined ||
      incomingMeta[LOG_LEVEL_META_KEY] !== undefined
    ) {
      return undefined;
    }
    const capabilities = (incomingMeta[CLIENT_CAPABILITIES_META_KEY] ?? {}) as ClientCapabilities;
    if (declaresTasks(capabilities)) return undefined;
    const interactive = mayBeAsked(capabilities, incomingMeta, extra.principal);
    const catalog = services.catalog.current;
    if (catalog.quarantined.has(name)) return undefined;
    const route = catalog.tools.byName.get(name);
    if (!route) return undefined;
    const upstream = route.upstream;
    const taskSupport = route.item.execution?.taskSupport;
    const isolation = upstream.options.isolation ?? 'shared';
    if (
      (taskSupport !== undefined && taskSupport !== 'forbidden') ||
      services.catalog.reviews?.pending(upstream.id) ||
      !upstream.available ||
      (upstream.era === 'legacy' ? isolation !== 'shared' : isolation === 'per-session')
    ) {
      return undefined;
    }
    const scope = createSessionScope(services, sessionOf(extra.principal));
    const id = message.id;
    return (async (): Promise<JSONRPCResponse | undefined> => {
      let finish: Finish = NO_FINISH;
      try {
        assertOpen(services);
        const { params, access } = prepareToolCall(scope, requestParams, route);
        const gated = await gate(
          services,
          access,
          { principal: extra.principal, capabilities },
          gateContext(incomingMeta, id),
          true,
        );
        // A consent question: the SDK path asks it (as `input_required`).
        if ('reply' in gated) return undefined;
        finish = gated.finish;
        const owner = connectionOwner(scope, upstream);
        if (interactive) {
          // From here the call's flow records how it ended (on this round, or on a retry's).
          const outcome = {
            upstream,
            map: (result: Result) => mapToolResult(upstream, result),
            finish,
          };
          finish = NO_FINISH;
          const lease: Lease = owner ? { interactive: true, owner } : INTERACTIVE_LEASE;
          const call = { upstream, method: 'tools/call', params, signal: extra.signal, lease };
          const result = await startInteractiveCall(
            { services, session: scope.session, logLevel: undefined },
            principalKey(extra.principal),
            call,
            outcome,
            roundContext(incomingMeta, id, extra.signal),
          );
          return answered(services, result, id);
        }
        const lease: Lease = owner ? { interactive: false, owner } : PLAIN_LEASE;
        let answer: Result;
        if (upstream.era === 'legacy') {
          // The host's cancellation when it has one: no AbortSignal built per call. The call as
          // one literal: its spread of a shared call and of a conditional member was most of
          // this closure's own time in a c=1 profile.
          const cancellation = extra.cancellation;
          const response = await callUpstream(
            cancellation
              ? { upstream, method: 'tools/call', params, lease, cancellation, raw: true }
              : { upstream, method: 'tools/call', params, lease, signal: extra.signal, raw: true },
          );
          if ('error' in response) {
            const error = response.error as { code: number; message: string; data?: unknown };
            await finish({ ok: false, error: FedmcpError.fromJsonRpcError(error) });
            return { jsonrpc: '2.0', id, error } as JSONRPCResponse;
          }
          answer = response.result as Result;
        } else {
          // A 2026-07-28 upstream (a peer hub): its SDK client adds the envelope and headers,
          // and cancels by closing the request's stream.
          answer = await callUpstream({
            upstream,
            method: 'tools/call',
            params: withCallerCapabilities(upstream, route.item, params, capabilities),
            lease,
            signal: extra.signal,
          });
        }
        const result = mapToolResult(upstream, answer);
        await finish({ ok: true, result });
        return answered(services, result, id);
      } catch (error) {
        const failure = FedmcpError.from(error);
        await finish({ ok: false, error: failure });
        return { jsonrpc: '2.0', id, error: failure.toJsonRpcError() } as JSONRPCResponse;
      }
    })();
  };
}

/**
 * A result as the SDK answers a 2026-07-28 request: its type (`complete` unless it has one, as an
 * `input_required` round does), the server's info.
 */
function answered(services: HubServices, result: Result, id: unknown): JSONRPCResponse {
  const serverInfo = services.settings.serverInfo;
  const _meta =
    result._meta === undefined
      ? serverInfoMeta(serverInfo)
      : { ...result._meta, [SERVER_INFO_META_KEY]: serverInfo };
  const wire =
    result.resultType === undefined
      ? { ...result, resultType: 'complete', _meta }
      : { ...result, _meta };
  // In the SDK's key order, so the bytes are the SDK path's.
  return { result: wire, jsonrpc: '2.0', id } as JSONRPCResponse;
}

/** The `_meta` of a result that had none, per server info (see {@link serverInfoMeta}). */
const serverInfoMetas = new WeakMap<object, Readonly<Record<string, unknown>>>();

/**
 * The `_meta` of a result that had none: the server's info alone, one frozen object per server
 * info (a computed key after a spread, built per call, showed in a c=1 profile). Only serialised.
 */
function serverInfoMeta(serverInfo: object): Readonly<Record<string, unknown>> {
  let meta = serverInfoMetas.get(serverInfo);
  if (meta === undefined) {
    meta = Object.freeze({ [SERVER_INFO_META_KEY]: serverInfo });
    serverInfoMetas.set(serverInfo, meta);
  }
  return meta;
}

/** A page's answer as bytes, up to its id, and the server info it was built with. */
interface SerializedPage {
  serverInfo: unknown;
  prefix: Uint8Array;
}

const encoder = new TextEncoder();

/**
 * The serialised answers of the cached `tools/list` pages of a hub, keyed by the cached page
 * itself: a page replaced (its list changed upstream, a view's list rebuilt) takes its bytes with
 * it, and a page of another list (another view, another audience) is another key.
 */
type SerializedPages = WeakMap<object, SerializedPage>;

/**
 * A 2026-07-28 `tools/list`: the cached page the SDK path would answer (list-handlers.ts), without
 * a server for the request, and serialised once per page: each request costs the bytes of its id
 * (profiled in bench/catalog: serialising a 1,000-tool page, some 230 KB, was most of a listing's
 * cost on the hub). Declines a request with a progress token (the SDK's to answer).
 */
function listTools(
  services: HubServices,
  sessionOf: (principal: unknown) => HubSession,
  serializedPages: SerializedPages,
  message: JSONRPCRequest,
  extra: McpModernFastRequestExtra,
): Promise<JSONRPCResponse | McpModernFastSerializedResponse> | undefined {
  const requestParams = (message.params ?? {}) as Params;
  const meta = (requestParams._meta ?? {}) as Params;
  if (meta.progressToken !== undefined) return undefined;
  const capabilities = (meta[CLIENT_CAPABILITIES_META_KEY] ?? {}) as ClientCapabilities;
  const id = message.id;
  try {
    assertOpen(services);
    const scope = createSessionScope(services, sessionOf(extra.principal));
    const audience = listAudience(extra.principal);
    const page = sharedToolsPage(scope, capabilities, requestParams.cursor, audience);
    const { serverInfo } = services.settings;
    let serialized = serializedPages.get(page);
    if (serialized?.serverInfo !== serverInfo) {
      // As the SDK encodes a cacheable 2026-07-28 result with no cache hint configured (the hub
      // sets none): its type, then `ttlMs: 0` and `cacheScope: 'private'`, then the server's
      // info; in the SDK's key order (result, jsonrpc, id), so the bytes are the SDK path's.
      const wire = {
        ...page,
        resultType: 'complete',
        ttlMs: 0,
        cacheScope: 'private',
        _meta: { [SERVER_INFO_META_KEY]: serverInfo },
      };
      const text = JSON.stringify({ result: wire, jsonrpc: '2.0' });
      serialized = { serverInfo, prefix: encoder.encode(`${text.slice(0, -1)},"id":`) };
      serializedPages.set(page, serialized);
    }
    return Promise.resolve({
      serialized: [serialized.prefix, encoder.encode(`${JSON.stringify(id)}}`)],
    });
  } catch (error) {
    const failure = FedmcpError.from(error);
    return Promise.resolve({
      jsonrpc: '2.0',
      id,
      error: failure.toJsonRpcError(),
    } as JSONRPCResponse);
  }
}
