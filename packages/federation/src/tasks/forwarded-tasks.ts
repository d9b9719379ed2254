/**
 * Tasks of 2026-07-28 clients (the tasks extension `io.modelcontextprotocol/tasks`) forwarded to
 * the upstream that runs the tool as a task itself — a 2025-11-25 upstream declaring
 * `tasks.requests.tools.call` for a tool whose `execution.taskSupport` is `'required'`, or
 * `'optional'` and chosen for tasks (`HubTaskOptions.extensionTools`). The upstream owns the
 * task; the hub translates between the eras: `CreateTaskResult` → `resultType: 'task'`,
 * `tasks/get` → the extension's `DetailedTask` (a terminal task's result or error read with
 * `tasks/result` and inlined), `tasks/cancel` → an empty acknowledgement. The client sees a task
 * id of the hub's (`<upstream>__<random>`: ids of different upstreams never collide, and the
 * upstream's own id is never shown), bound in the store to its principal and upstream task, so any
 * replica answers for it and another principal's id is an unknown task (-32602).
 *
 * Not forwarded (documented in the README): a 2025 upstream task that asks its client something
 * (`input_required`) puts its questions on the `tasks/result` stream of a 2025 client; a 2026
 * client cannot receive them, so such a task reports `input_required` with no `inputRequests` and
 * a status message saying so. 2026-07-28 upstreams that run the extension: SDK 2.4.0's client
 * refuses a `resultType: 'task'` answer (`UNSUPPORTED_RESULT_TYPE`), so the hub does not declare
 * the extension upstream and runs such calls as hub-managed tasks instead.
 */
import { FedmcpError } from '@fedmcp/protocol';
import { CreateTaskResultSchema } from '@modelcontextprotocol/core';
import type { Result, ServerContext, Tool } from '@modelcontextprotocol/server';
import type { CatalogRoute } from '../catalog.js';
import { hubError } from '../errors.js';
import type { SessionScope } from '../handlers/session-scope.js';
import { NAME_SEPARATOR } from '../namespacing.js';
import { callUpstream } from '../pipeline/call-upstream.js';
import { type Finish, finishing } from '../pipeline/finish.js';
import { mapToolResult } from '../pipeline/map-result.js';
import type { Upstream } from '../upstream.js';
import type { ForwardedTasks } from './forwarded-task-store.js';
import { taskOwnerOf } from './hub-task-requests.js';
import { declaresTasksExtension, TASKS_EXTENSION } from './tasks-extension.js';

type Params = Record<string, unknown>;

/**
 * Whether a 2026-07-28 call is forwarded as a task to its upstream: the client declared the
 * extension, the upstream runs tasks of this tool, and the tool requires a task or is chosen for
 * tasks. A call of a `'required'` tool from a client without the extension is refused with the
 * extension's -32021 (the hub cannot answer it without a task).
 */
export function forwardsTask(
  scope: SessionScope,
  route: CatalogRoute<Tool>,
  exposedName: string,
  upstreamRuns: boolean,
  ctx: ServerContext,
): boolean {
  if (scope.session.era !== 'modern' || !upstreamRuns) return false;
  const support = route.item.execution?.taskSupport;
  if (!declaresTasksExtension(scope, ctx)) {
    if (support === 'required') throw missingExtension();
    return false;
  }
  if (support === 'required') return true;
  const tools = scope.services.hubTasks.settings.extensionTools;
  return tools.includes('*') || tools.includes(exposedName);
}

/** The extension's -32021 for a client that did not declare it. */
function missingExtension(): FedmcpError {
  return new FedmcpError('INVALID_REQUEST', 'Missing required client capability', {
    jsonRpcCode: -32021,
    wireData: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
  });
}

/** A 2025-11-25 `Task` in the extension's shape (`ttl` → `ttlMs`, `pollInterval` → `pollIntervalMs`). */
function toExtensionTask(task: Params, exposedId: string): Params {
  const { taskId: _upstreamId, ttl, pollInterval, ...rest } = task;
  return {
    ...rest,
    taskId: exposedId,
    ttlMs: typeof ttl === 'number' ? ttl : null,
    ...(typeof pollInterval === 'number' ? { pollIntervalMs: pollInterval } : {}),
  };
}

/**
 * Forwards a 2026-07-28 call as a 2025-11-25 task-augmented call and answers the client with the
 * extension's `CreateTaskResult` (`resultType: 'task'`), once the upstream created the task.
 */
export async function startForwardedTask(
  scope: SessionScope,
  call: { route: CatalogRoute<Tool>; params: Params; finish: Finish },
  ctx: ServerContext,
): Promise<Result> {
  const { services, session } = scope;
  const { upstream } = call.route;
  const settings = services.hubTasks.settings;
  return finishing(call.finish, async () => {
    const created = (await callUpstream({
      upstream,
      method: 'tools/call',
      params: { ...call.params, task: { ttl: settings.defaultTtlMs } },
      signal: ctx.mcpReq.signal,
      resultSchema: CreateTaskResultSchema,
    })) as { task: Params };
    const exposedId = `${upstream.id}${NAME_SEPARATOR}${crypto.randomUUID()}`;
    const ttl = typeof created.task.ttl === 'number' ? created.task.ttl : settings.maxTtlMs;
    await services.hubTasks.forwarded.set(
      exposedId,
      { owner: taskOwnerOf(session), upstream: upstream.id, taskId: String(created.task.taskId) },
      ttl,
    );
    return { resultType: 'task', ...toExtensionTask(created.task, exposedId) } as Result;
  });
}

/** Whether a task id may name a forwarded task (`<upstream>__…`, not a hub-managed one). */
export function isForwardedTaskId(scope: SessionScope, taskId: unknown): taskId is string {
  return (
    typeof taskId === 'string' &&
    scope.services.upstreams
      .list()
      .some((upstream) => taskId.startsWith(`${upstream.id}${NAME_SEPARATOR}`))
  );
}

/**
 * `tasks/get`, `tasks/update` and `tasks/cancel` of a 2026-07-28 client about a forwarded task:
 * routed to its upstream for its owner only (anyone else: -32602, as for an unknown task).
 */
export async function forwardedTaskRequest(
  scope: SessionScope,
  method: string,
  taskId: string,
  ctx: ServerContext,
): Promise<Result> {
  if (!declaresTasksExtension(scope, ctx)) throw missingExtension();
  const { services } = scope;
  const target = await forwardedTarget(
    { upstreams: services.upstreams.list(), forwarded: services.hubTasks.forwarded },
    taskId,
    taskOwnerOf(scope.session),
  );
  if (!target) throw hubError('INVALID_PARAMS', `Failed to retrieve task: unknown task ${taskId}.`);
  const { upstream } = target;
  const ask = asker(target, ctx.mcpReq.signal);
  switch (method) {
    case 'tasks/get':
      return detailedTask(upstream, taskId, await ask('tasks/get'), ask);
    case 'tasks/cancel':
      await ask('tasks/cancel');
      return {} as Result;
    case 'tasks/update':
      // A 2025 upstream task takes its answers on a 2025 client's tasks/result stream; the hub
      // never issues inputRequests for it, so there is nothing outstanding to answer (ignored).
      return {} as Result;
    default:
      throw hubError('METHOD_NOT_FOUND', `Method not found: ${method}`);
  }
}

/** Where a forwarded task runs, for its owner only. */
interface ForwardedTarget {
  upstream: Upstream;
  /** The upstream's own task id. */
  taskId: string;
}

/** What finding a forwarded task needs. */
export interface ForwardedContext {
  upstreams: readonly Upstream[];
  forwarded: ForwardedTasks;
}

async function forwardedTarget(
  context: ForwardedContext,
  taskId: string,
  owner: string,
): Promise<ForwardedTarget | undefined> {
  const task = await context.forwarded.get(taskId);
  const upstream = task && context.upstreams.find((item) => item.id === task.upstream);
  if (!task || !upstream || task.owner !== owner) return undefined;
  return { upstream, taskId: task.taskId };
}

function asker(target: ForwardedTarget, signal: AbortSignal) {
  return (method: string) =>
    callUpstream({ upstream: target.upstream, method, params: { taskId: target.taskId }, signal });
}

/**
 * A forwarded task as the extension's `DetailedTask` (what `tasks/get` answers), if `owner` owns
 * it; what a listen stream following it polls (tasks/task-listen.ts).
 */
export async function forwardedTaskState(
  context: ForwardedContext,
  taskId: string,
  owner: string,
  signal: AbortSignal,
): Promise<Params | undefined> {
  const target = await forwardedTarget(context, taskId, owner);
  if (!target) return undefined;
  const ask = asker(target, signal);
  return (await detailedTask(target.upstream, taskId, await ask('tasks/get'), ask)) as Params;
}

/** The extension's `DetailedTask` of an upstream task: a terminal one's result or error inline. */
async function detailedTask(
  upstream: Upstream,
  exposedId: string,
  task: Result,
  ask: (method: string) => Promise<Result>,
): Promise<Result> {
  const detailed = toExtensionTask(task as Params, exposedId);
  // The SDK keeps resultType for itself: the hub's answer is `complete`.
  delete detailed.resultType;
  if (task.status === 'completed') {
    // MCP 2025-11-25: tasks/result of a terminal task answers at once with its result.
    const { _meta, ...result } = await ask('tasks/result');
    return { ...detailed, result: mapToolResult(upstream, result as Result) } as Result;
  }
  if (task.status === 'failed') {
    try {
      await ask('tasks/result');
    } catch (error) {
      const { code, message, data } = error as {
        code?: unknown;
        message?: unknown;
        data?: unknown;
      };
      const failure = {
        code: typeof code === 'number' ? code : -32603,
        message: String(message ?? 'The task failed.'),
        ...(data === undefined ? {} : { data }),
      };
      return { ...detailed, error: failure } as Result;
    }
    return { ...detailed, error: { code: -32603, message: 'The task failed.' } } as Result;
  }
  if (task.status === 'input_required') {
    return {
      ...detailed,
      inputRequests: {},
      statusMessage:
        'The upstream asks its client something; its questions reach only 2025-11-25 clients (tasks/result), so this task cannot go on for a 2026-07-28 client. Cancel it, or call the tool from a 2025-11-25 session.',
    } as Result;
  }
  return detailed as Result;
}
