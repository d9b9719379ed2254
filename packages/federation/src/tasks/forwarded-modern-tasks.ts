/**
 * Tasks of 2026-07-28 clients forwarded to a 2026-07-28 upstream that runs the tasks extension
 * (`io.modelcontextprotocol/tasks` in its discover capabilities). SDK 2.4.0's client refuses a
 * `resultType: 'task'` answer before any result schema is applied (its 2026 codec knows only
 * `complete` and `input_required`), so these requests go as raw JSON-RPC on the upstream's
 * transport (`UpstreamConnection.rawRequest`, the public `Transport` API), each carrying the
 * 2026 `_meta` envelope with the extension declared — declared only on these requests, so no
 * other call of the hub can be answered with a task. The Streamable HTTP client transport
 * derives `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` (the task id) from the message.
 *
 * Mapping: `tools/call` → the upstream's `CreateTaskResult` under a hub id (`<upstream>__<uuid>`,
 * bound to its principal in the store, as for 2025 upstream tasks); `tasks/get` → its
 * `DetailedTask` with the hub id, a completed result namespaced like any tool result,
 * `inputRequests` and a failure's `error` as the upstream sent them; `tasks/update` and
 * `tasks/cancel` → passed on, answered with the extension's empty acknowledgement. Upstream
 * errors reach the client with their code and message unchanged.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { JSONRPCResponse, Result } from '@modelcontextprotocol/server';
import { hubError } from '../errors.js';
import { callUpstream, type Lease } from '../pipeline/call-upstream.js';
import { mapToolResult } from '../pipeline/map-result.js';
import { UPSTREAM_CLIENT_CAPABILITIES } from '../services/upstream-events.js';
import type { Upstream } from '../upstream.js';
import { TASKS_EXTENSION } from './tasks-extension.js';

type Params = Record<string, unknown>;

const PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
const CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
const SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
const RELATED_TASK = 'io.modelcontextprotocol/related-task';

/** Whether an upstream speaks 2026-07-28 and declared the tasks extension. */
export function runsTasksExtension(upstream: Upstream): boolean {
  const capabilities = upstream.serverCapabilities as { extensions?: Record<string, unknown> };
  return upstream.era === 'modern' && Boolean(capabilities.extensions?.[TASKS_EXTENSION]);
}

/** `params` with the 2026 `_meta` envelope declaring the tasks extension (this request only). */
export function withExtensionEnvelope(params: Params): Params {
  const meta = (params._meta as Params | undefined) ?? {};
  return {
    ...params,
    _meta: {
      ...meta,
      [PROTOCOL_VERSION]: '2026-07-28',
      [CLIENT_CAPABILITIES]: {
        ...UPSTREAM_CLIENT_CAPABILITIES,
        extensions: { [TASKS_EXTENSION]: {} },
      },
    },
  };
}

/**
 * One request to a 2026-07-28 upstream with the tasks extension declared, answered with its raw
 * result (any `resultType`). A JSON-RPC error is thrown as it came (code, message and data).
 */
export async function extensionRequest(
  upstream: Upstream,
  method: string,
  params: Params,
  signal: AbortSignal,
  onprogress?: (progress: Params) => void,
  lease?: Lease,
): Promise<Params> {
  const response: JSONRPCResponse = await callUpstream({
    upstream,
    method,
    params: withExtensionEnvelope(params),
    signal,
    raw: true,
    // A task of an isolating upstream: the caller's own connection (its credentials).
    ...(lease ? { lease } : {}),
    // The upstream's progress on this request (its token: the request's id), for the caller to
    // relay with its client's token.
    ...(onprogress ? { onprogress } : {}),
  });
  if ('error' in response) {
    throw FedmcpError.fromJsonRpcError(
      response.error as { code: number; message: string; data?: unknown },
    );
  }
  const result = (response as { result?: unknown }).result;
  if (!result || typeof result !== 'object') {
    throw hubError('INTERNAL', `Upstream "${upstream.id}" answered ${method} with no result.`, {
      upstream: upstream.id,
    });
  }
  return withoutUpstreamMeta(result as Params);
}

/** `_meta` keys naming the upstream itself or its own task id, never shown to the client. */
const UPSTREAM_META = [SERVER_INFO, RELATED_TASK];

/** A message without the upstream's own `serverInfo` and related-task mark (its own task id). */
function withoutUpstreamMeta(result: Params): Params {
  const meta = result._meta as Params | undefined;
  if (!meta || !UPSTREAM_META.some((key) => key in meta)) return result;
  const rest = Object.fromEntries(
    Object.entries(meta).filter(([key]) => !UPSTREAM_META.includes(key)),
  );
  const { _meta: _dropped, ...body } = result;
  return Object.keys(rest).length > 0 ? { ...body, _meta: rest } : body;
}

/** What a task-augmented `tools/call` to a 2026-07-28 upstream came back with. */
export type ExtensionCallOutcome =
  | { kind: 'task'; task: Params }
  | { kind: 'complete'; result: Result }
  | { kind: 'input_required' };

/** Sends a 2026-07-28 client's `tools/call` to an upstream running the extension. */
export async function callWithTasksExtension(
  upstream: Upstream,
  params: Params,
  signal: AbortSignal,
  onprogress?: (progress: Params) => void,
  lease?: Lease,
): Promise<ExtensionCallOutcome> {
  const { resultType, ...answer } = await extensionRequest(
    upstream,
    'tools/call',
    params,
    signal,
    onprogress,
    lease,
  );
  if (resultType === 'task') return { kind: 'task', task: answer };
  // MRTR before the task exists: its rounds are the ordinary path's (the hub's flows), so the
  // caller sends the call again that way (the upstream did nothing yet: it waits for a retry).
  if (resultType === 'input_required') return { kind: 'input_required' };
  if (resultType !== undefined && resultType !== 'complete') {
    throw hubError(
      'INTERNAL',
      `Upstream "${upstream.id}" answered tools/call with an unknown resultType ${JSON.stringify(resultType)}.`,
      { upstream: upstream.id },
    );
  }
  return { kind: 'complete', result: mapToolResult(upstream, answer as Result) };
}

/** An upstream's `DetailedTask` (a `tasks/get` answer) as the client sees it: the hub's id. */
export function toClientDetailedTask(
  upstream: Upstream,
  exposedId: string,
  detailed: Params,
): Params {
  const { resultType: _complete, taskId: _upstreamId, result, inputRequests, ...rest } = detailed;
  const asked =
    inputRequests && typeof inputRequests === 'object'
      ? Object.fromEntries(
          Object.entries(inputRequests as Record<string, Params>).map(([key, request]) => [
            key,
            request?.params && typeof request.params === 'object'
              ? { ...request, params: withoutUpstreamMeta(request.params as Params) }
              : request,
          ]),
        )
      : undefined;
  return {
    ...rest,
    taskId: exposedId,
    ...(asked ? { inputRequests: asked } : {}),
    ...(result && typeof result === 'object'
      ? { result: mapToolResult(upstream, result as Result) }
      : {}),
  };
}

/** The upstream's `tasks/get` of one of its tasks, as the client sees it. */
export async function extensionTaskState(
  upstream: Upstream,
  exposedId: string,
  upstreamTaskId: string,
  signal: AbortSignal,
  lease?: Lease,
): Promise<Params> {
  const detailed = await extensionRequest(
    upstream,
    'tasks/get',
    { taskId: upstreamTaskId },
    signal,
    undefined,
    lease,
  );
  return toClientDetailedTask(upstream, exposedId, detailed);
}
