/**
 * Tasks of 2026-07-28 clients (the tasks extension `io.modelcontextprotocol/tasks`) forwarded to
 * the upstream that runs the tool as a task itself:
 *
 * - a 2025-11-25 upstream declaring `tasks.requests.tools.call` for a tool whose
 *   `execution.taskSupport` is `'required'`, or `'optional'` and chosen for tasks
 *   (`HubTaskOptions.extensionTools`). The hub translates between the eras: `CreateTaskResult` →
 *   `resultType: 'task'`, `tasks/get` → the extension's `DetailedTask` (a terminal task's result
 *   or error read with `tasks/result` and inlined), `tasks/cancel` → an empty acknowledgement.
 *   When the upstream task asks its client something (`input_required`), the hub holds its
 *   `tasks/result` stream, shows the questions as `inputRequests` and passes the `tasks/update`
 *   answers back (tasks/forwarded-task-questions.ts).
 * - a 2026-07-28 upstream declaring the extension: every call of such a client goes with the
 *   extension declared and the upstream decides; its task and `tasks/get` / `tasks/update` /
 *   `tasks/cancel` are passed on (tasks/forwarded-modern-tasks.ts).
 *
 * The client sees a task id of the hub's (`<upstream>__<random>`: ids of different upstreams
 * never collide, and the upstream's own id is never shown), bound in the store to its principal
 * and upstream task, so any replica answers for it and another principal's id is an unknown
 * task (-32602).
 */
import { FedmcpError } from '@fedmcp/protocol';
import { CreateTaskResultSchema } from '@modelcontextprotocol/core';
import type { Result, ServerContext, Tool } from '@modelcontextprotocol/server';
import type { CatalogRoute } from '../catalog.js';
import { hubError } from '../errors.js';
import {
  clientCapabilities,
  connectionOwner,
  type SessionScope,
} from '../handlers/session-scope.js';
import { NAME_SEPARATOR } from '../namespacing.js';
import { callUpstream, type Lease } from '../pipeline/call-upstream.js';
import { type Finish, finishing } from '../pipeline/finish.js';
import { stripDownstreamMeta } from '../pipeline/meta.js';
import { createProgressRelay } from '../pipeline/progress-relay.js';
import type { Upstream } from '../upstream.js';
import type { UpstreamConnection } from '../upstream-connection.js';
import {
  callWithTasksExtension,
  extensionRequest,
  extensionTaskState,
  runsTasksExtension,
} from './forwarded-modern-tasks.js';
import { detailedTask, toExtensionTask } from './forwarded-task-detail.js';
import { ownerLease, taskLease } from './forwarded-task-lease.js';
import {
  callWithTaskProgress,
  clientProgressToken,
  forwardedTaskProgress,
} from './forwarded-task-progress.js';
import { RELAY_ANSWER_WAIT_MS, type RelayedRequest } from './forwarded-task-relay.js';
import type { ForwardedTask, ForwardedTasks } from './forwarded-task-store.js';
import { taskOwnerOf } from './hub-task-requests.js';
import { questionCapabilities } from './task-run.js';
import { declaresTasksExtension, TASKS_EXTENSION } from './tasks-extension.js';

type Params = Record<string, unknown>;

/**
 * Whether a 2026-07-28 call is forwarded as a task to its upstream: the client declared the
 * extension, and the upstream is a 2026-07-28 one running the extension (it decides), or a 2025
 * one running tasks of this tool, which requires a task or is chosen for tasks. A call of a
 * `'required'` tool of a 2025 upstream from a client without the extension is refused with the
 * extension's -32021 (the hub cannot answer it without a task).
 */
export function forwardsTask(
  scope: SessionScope,
  route: CatalogRoute<Tool>,
  exposedName: string,
  upstreamRuns: boolean,
  ctx: ServerContext,
): boolean {
  if (scope.session.era !== 'modern') return false;
  if (runsTasksExtension(route.upstream)) return declaresTasksExtension(scope, ctx);
  if (!upstreamRuns) return false;
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

/**
 * Forwards a 2026-07-28 call to the upstream that runs its task and answers the client with the
 * extension's `CreateTaskResult` (`resultType: 'task'`) once the upstream created the task. A
 * 2026-07-28 upstream may also answer at once (that result is the client's), or ask the client
 * something first (multi round-trip): then `undefined`, and the caller takes the ordinary path
 * (flows) with the same `finish`, not yet called.
 */
export async function startForwardedTask(
  scope: SessionScope,
  call: { route: CatalogRoute<Tool>; params: Params; finish: Finish },
  ctx: ServerContext,
): Promise<Result | undefined> {
  const { services, session } = scope;
  const { upstream } = call.route;
  const settings = services.hubTasks.settings;
  const forwarded = services.hubTasks.forwarded;
  forwarded.held.bind(services.flows);
  const exposedId = `${upstream.id}${NAME_SEPARATOR}${crypto.randomUUID()}`;
  // An isolating upstream: the task runs on the caller's own connection, as a plain call would.
  const leaseOwner = connectionOwner(scope, upstream);
  const lease = ownerLease(leaseOwner);
  const record = {
    owner: taskOwnerOf(session),
    upstream: upstream.id,
    capabilities: questionCapabilities(clientCapabilities(ctx, session)) as Params,
    ...(lease ? { ownConnection: true as const } : {}),
  };
  const remember = (ttl: number) =>
    leaseOwner && forwarded.owners.remember(exposedId, leaseOwner, ttl);
  if (runsTasksExtension(upstream)) {
    // The upstream's progress while it creates the task reaches the client with its own token.
    const { progressToken } = stripDownstreamMeta(ctx.mcpReq._meta);
    const relay = createProgressRelay(ctx, progressToken);
    let outcome: Awaited<ReturnType<typeof callWithTasksExtension>>;
    try {
      outcome = await callWithTasksExtension(
        upstream,
        call.params,
        ctx.mcpReq.signal,
        relay.onprogress,
        lease,
      );
      await relay.flush();
    } catch (error) {
      await call.finish({ ok: false, error });
      throw error;
    }
    if (outcome.kind === 'input_required') return undefined;
    return finishing(call.finish, async () => {
      if (outcome.kind === 'complete') return outcome.result;
      const { task } = outcome;
      const ttl = typeof task.ttlMs === 'number' ? task.ttlMs : settings.maxTtlMs;
      remember(Math.min(ttl, settings.maxTtlMs));
      await forwarded.set(
        exposedId,
        {
          ...record,
          taskId: String(task.taskId),
          era: 'modern',
          ...(typeof progressToken === 'string' || typeof progressToken === 'number'
            ? { progressToken }
            : {}),
        },
        Math.min(ttl, settings.maxTtlMs),
      );
      return { ...task, resultType: 'task', taskId: exposedId } as Result;
    });
  }
  return finishing(call.finish, async () => {
    const create = async (params: Params, onConnection: (c: UpstreamConnection) => void) =>
      (await callUpstream({
        onConnection,
        upstream,
        method: 'tools/call',
        params,
        signal: ctx.mcpReq.signal,
        resultSchema: CreateTaskResultSchema,
        ...(lease ? { lease } : {}),
      })) as { task: Params };
    const params = { ...call.params, task: { ttl: settings.defaultTtlMs } };
    const ttlOf = (task: Params) => (typeof task.ttl === 'number' ? task.ttl : settings.maxTtlMs);
    // The token stays valid for the task's life: its progress then goes to the listen streams.
    const created = await callWithTaskProgress(params, ctx, create, ({ task }) => ({
      upstreamTaskId: String(task.taskId),
      deliver: forwardedTaskProgress(forwarded, exposedId),
      lifetimeMs: ttlOf(task),
    }));
    // Its upstream session and held questions live in this process: other replicas relay here.
    await serveRelayed({
      get upstreams() {
        return services.upstreams.list();
      },
      forwarded,
    });
    const progressToken = clientProgressToken(ctx);
    const held = { taskId: String(created.task.taskId), replica: forwarded.relay.replica };
    const token = progressToken === undefined ? {} : { progressToken };
    remember(ttlOf(created.task));
    await forwarded.set(exposedId, { ...record, ...held, ...token }, ttlOf(created.task));
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
  const forwarded = services.hubTasks.forwarded;
  forwarded.held.bind(services.flows);
  const context: ForwardedContext = {
    upstreams: services.upstreams.list(),
    forwarded,
    callerOwner: (upstream) => connectionOwner(scope, upstream),
  };
  const target = await forwardedTarget(context, taskId, taskOwnerOf(scope.session));
  if (!target) throw hubError('INVALID_PARAMS', `Failed to retrieve task: unknown task ${taskId}.`);
  const signal = ctx.mcpReq.signal;
  if (method !== 'tasks/get' && method !== 'tasks/update' && method !== 'tasks/cancel') {
    throw hubError('METHOD_NOT_FOUND', `Method not found: ${method}`);
  }
  // The SDK lifts a 2026-07-28 request's `inputResponses` out of its params.
  const inputResponses = method === 'tasks/update' ? (ctx.mcpReq.inputResponses ?? {}) : {};
  if (typeof inputResponses !== 'object' || Array.isArray(inputResponses)) {
    throw hubError('INVALID_PARAMS', 'tasks/update: inputResponses must be an object.');
  }
  return (await answerForwarded(
    context,
    target,
    { taskId, method, inputResponses: inputResponses as Params },
    signal,
  )) as Result;
}

/**
 * Answers a request about a forwarded task: here, or, for a 2025 upstream task another replica
 * created, relayed to that replica (tasks/forwarded-task-relay.ts).
 */
async function answerForwarded(
  context: ForwardedContext,
  target: ForwardedTarget,
  request: RelayedRequest,
  signal: AbortSignal,
): Promise<Params> {
  const { upstream, record } = target;
  const { forwarded } = context;
  const { taskId, method, inputResponses = {} } = request;
  if (record.era !== 'modern' && record.replica && record.replica !== forwarded.relay.replica) {
    return forwarded.relay.relay(record.replica, request, signal);
  }
  const lease = taskLease(forwarded, taskId, record, context.callerOwner?.(upstream));
  target = { ...target, ...(lease ? { lease } : {}) };
  if (method === 'tasks/get') return taskState(context, target, taskId, signal);
  if (record.era === 'modern') {
    const body = method === 'tasks/update' ? { taskId: record.taskId, inputResponses } : {};
    const params = { taskId: record.taskId, ...body };
    await extensionRequest(upstream, method, params, signal, undefined, lease);
    return {};
  }
  if (method === 'tasks/update') {
    // Answers to the questions the hub holds for this task (keys not outstanding are ignored).
    forwarded.held.get(taskId)?.answer(inputResponses);
    return {};
  }
  forwarded.held.drop(taskId);
  await asker(target, signal)('tasks/cancel');
  return {};
}

/**
 * Serves the requests other replicas relay about the 2025 upstream tasks this replica created
 * (their owner was checked where the client asked).
 */
function serveRelayed(context: ForwardedContext): Promise<void> {
  return context.forwarded.relay.serve(async (request) => {
    const record = await context.forwarded.get(request.taskId);
    const target = record && (await forwardedTarget(context, request.taskId, record.owner));
    if (!target) {
      throw hubError('INVALID_PARAMS', `Failed to retrieve task: unknown task ${request.taskId}.`);
    }
    return answerForwarded(context, target, request, AbortSignal.timeout(RELAY_ANSWER_WAIT_MS));
  });
}

/** Where a forwarded task runs, for its owner only. */
export interface ForwardedTarget {
  upstream: Upstream;
  /** The upstream's own task id. */
  taskId: string;
  record: ForwardedTask;
  /** Its caller's own connection, when it runs on one (tasks/forwarded-task-lease.ts). */
  lease?: Lease;
}

/** What finding a forwarded task needs. */
export interface ForwardedContext {
  upstreams: readonly Upstream[];
  forwarded: ForwardedTasks;
  /** The asking caller's own connection owner of an upstream, if it isolates callers. */
  callerOwner?: (upstream: Upstream) => object | undefined;
}

export async function forwardedTarget(
  context: ForwardedContext,
  taskId: string,
  owner: string,
): Promise<ForwardedTarget | undefined> {
  const task = await context.forwarded.get(taskId);
  const upstream = task && context.upstreams.find((item) => item.id === task.upstream);
  if (!task || !upstream || task.owner !== owner || task.kind === 'upstream') return undefined;
  return { upstream, taskId: task.taskId, record: task };
}

function asker(target: ForwardedTarget, signal: AbortSignal) {
  return (method: string) =>
    callUpstream({
      upstream: target.upstream,
      method,
      params: { taskId: target.taskId },
      signal,
      ...(target.lease ? { lease: target.lease } : {}),
    });
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
  return answerForwarded(context, target, { taskId, method: 'tasks/get' }, signal);
}

/** How long a poll of a task just found `input_required` waits for its first question. */
const FIRST_QUESTION_WAIT_MS = 2_000;

/** The `DetailedTask` of a forwarded task, from its upstream. */
async function taskState(
  context: ForwardedContext,
  target: ForwardedTarget,
  exposedId: string,
  signal: AbortSignal,
): Promise<Params> {
  const { upstream, record } = target;
  if (record.era === 'modern') {
    return extensionTaskState(upstream, exposedId, record.taskId, signal, target.lease);
  }
  const ask = asker(target, signal);
  const task = await ask('tasks/get');
  const detailed = (await detailedTask(upstream, exposedId, task, ask)) as Params;
  if (task.status !== 'input_required') return detailed;
  // A 2025 upstream task asks on its tasks/result stream: held here, its questions are the
  // task's inputRequests (tasks/forwarded-task-questions.ts).
  const ttl = typeof task.ttl === 'number' ? task.ttl : 86_400_000;
  // (Not for a task on its caller's own connection: held questions ride the shared one.)
  const held = record.ownConnection
    ? undefined
    : context.forwarded.held.hold(
        upstream,
        exposedId,
        record.taskId,
        record.capabilities ?? {},
        ttl,
      );
  const inputRequests = held ? await held.outstanding(FIRST_QUESTION_WAIT_MS) : {};
  if (held) return { ...detailed, inputRequests };
  return {
    ...detailed,
    inputRequests,
    statusMessage: record.ownConnection
      ? 'The upstream asks its client something, which the hub cannot pass on for a task on the caller’s own connection yet.'
      : 'The upstream asks its client something, but the connection its task runs on is busy with another client’s call; poll again shortly.',
  };
}
