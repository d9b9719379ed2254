/**
 * An MCP 2025-11-25 upstream task a 2025-era session created (its `tools/call` carried `task`,
 * and the upstream runs the tool as a task) lives on one hub replica: the upstream task belongs
 * to that replica's upstream session. The session itself may send its next request to any
 * replica, so the task is also recorded in the store (the forwarded tasks' records, `kind:
 * 'upstream'`: its principal, upstream, upstream task id and the replica holding it), and
 * `tasks/get`, `tasks/result`, `tasks/cancel` and `tasks/list` on another replica reach the
 * holder over the forwarded task relay (tasks/forwarded-task-relay.ts); a holder that stopped
 * gives a clear error. Only a principal's tasks are recorded: an anonymous session's tasks are
 * its own (tasks/hub-task-requests.ts, `taskOwnerOf`) and stay with the replica that holds them.
 *
 * A `tasks/result` of such a task (here or relayed) carries the task's questions to the client on
 * its stream, and the answers back upstream (tasks/upstream-task-questions.ts).
 */
import type { Result, ServerContext } from '@modelcontextprotocol/server';
import { hubError } from '../errors.js';
import {
  callerLease,
  clientCapabilities,
  connectionOwner,
  type SessionScope,
} from '../handlers/session-scope.js';
import { NAME_SEPARATOR } from '../namespacing.js';
import { callUpstream, type Lease } from '../pipeline/call-upstream.js';
import { mapTaskResult } from '../pipeline/map-result.js';
import { resolveTask } from '../pipeline/resolve.js';
import type { HubServices } from '../services/hub-services.js';
import type { Upstream } from '../upstream.js';
import { taskLease } from './forwarded-task-lease.js';
import type { HeldTasks } from './forwarded-task-questions.js';
import {
  RELAY_ANSWER_WAIT_MS,
  type RelayedAsk,
  type RelayedRequest,
} from './forwarded-task-relay.js';
import type { ForwardedTask } from './forwarded-task-store.js';
import { taskOwnerOf } from './hub-task-requests.js';
import { routeTaskQuestions, streamAsker } from './upstream-task-questions.js';

type Params = Record<string, unknown>;

/** How long a relayed `tasks/result` waits for its task to end (and its holder to answer). */
const RESULT_WAIT_MS = 10 * 60_000;
/** The most recorded tasks one `tasks/list` reads of an owner. */
const MAX_LISTED = 200;

type TaskMethod = 'tasks/get' | 'tasks/result' | 'tasks/cancel';

/** Whether a session's upstream tasks are recorded for the other replicas. */
function recorded(scope: SessionScope): boolean {
  const { principal } = scope.session;
  return (
    principal !== undefined && principal !== null && scope.services.hubTasks.forwarded.relay.enabled
  );
}

/**
 * Records the upstream task `created` (as the client sees it: exposed id) for the other replicas;
 * a store failure is logged, the task still works on this replica. `connectionOwner`: the
 * caller's own connection it runs on (an isolating upstream), where requests about it go.
 */
export async function recordUpstreamTask(
  scope: SessionScope,
  upstream: Upstream,
  created: Result,
  connectionOwner?: object,
): Promise<void> {
  if (!recorded(scope)) return;
  const { services } = scope;
  const task = created.task as Params;
  const exposedId = String(task.taskId);
  const upstreamTaskId = exposedId.slice(`${upstream.id}${NAME_SEPARATOR}`.length);
  const forwarded = services.hubTasks.forwarded;
  const settings = services.hubTasks.settings;
  const ttl = Math.min(
    typeof task.ttl === 'number' ? task.ttl : settings.maxTtlMs,
    settings.maxTtlMs,
  );
  const owner = taskOwnerOf(scope.session);
  if (connectionOwner) forwarded.owners.remember(exposedId, connectionOwner, ttl);
  try {
    await serveUpstreamRelayed(services);
    await forwarded.set(
      exposedId,
      {
        owner,
        upstream: upstream.id,
        taskId: upstreamTaskId,
        replica: forwarded.relay.replica,
        kind: 'upstream',
        ...(connectionOwner ? { ownConnection: true as const } : {}),
      },
      ttl,
    );
    await forwarded.index(owner, exposedId, ttl);
  } catch (error) {
    services.logger.warn(
      { err: (error as Error).message, taskId: exposedId },
      'upstream task not recorded for the other replicas',
    );
  }
}

/** Answers the requests other replicas relay about this replica's upstream tasks. */
function serveUpstreamRelayed(services: HubServices): Promise<void> {
  const forwarded = services.hubTasks.forwarded;
  forwarded.held.bind(services.flows);
  return forwarded.relay.serve(
    async (request, { signal, ask }) => {
      const target = await targetOf(services, request.taskId);
      if (!target) throw unknownTask(request.taskId);
      const lease = taskLease(forwarded, request.taskId, target.record);
      const method = request.method as TaskMethod;
      return answer({ ...target, lease }, method, request.params ?? {}, signal, {
        held: forwarded.held,
        ...(ask ? { ask } : {}),
      });
    },
    services.logger,
    'upstream',
  );
}

interface Target {
  upstream: Upstream;
  /** The upstream's own task id. */
  taskId: string;
  replica: string | undefined;
  owner: string;
  record: ForwardedTask;
  /** The caller's own connection it runs on (tasks/forwarded-task-lease.ts). */
  lease?: Lease | undefined;
}

async function targetOf(services: HubServices, exposedId: string): Promise<Target | undefined> {
  const record = await services.hubTasks.forwarded.get(exposedId);
  if (record?.kind !== 'upstream') return undefined;
  const upstream = services.upstreams.list().find((item) => item.id === record.upstream);
  if (!upstream) return undefined;
  return { upstream, taskId: record.taskId, replica: record.replica, owner: record.owner, record };
}

/** Where the questions of a task's `tasks/result` go (see the file comment). */
interface Questions {
  held: HeldTasks;
  ask?: RelayedAsk;
}

async function answer(
  target: Pick<Target, 'upstream' | 'taskId' | 'lease'>,
  method: TaskMethod,
  params: Params,
  signal: AbortSignal,
  questions?: Questions,
): Promise<Params> {
  const ask = method === 'tasks/result' ? questions?.ask : undefined;
  const routing = ask && routeTaskQuestions(questions!.held, target.taskId, ask, target.lease);
  try {
    const result = await callUpstream({
      upstream: target.upstream,
      method,
      params: { ...params, taskId: target.taskId },
      signal,
      ...(target.lease ? { lease: target.lease } : {}),
      ...(routing ? { onConnection: routing.onConnection } : {}),
    });
    return mapTaskResult(target.upstream, result) as Params;
  } finally {
    routing?.release();
  }
}

function unknownTask(taskId: string): Error {
  return hubError('INVALID_PARAMS', `Unknown task: ${taskId}`);
}

/**
 * `tasks/get`, `tasks/result` or `tasks/cancel` of a 2025-era session about an upstream task its
 * principal created on another replica (or in another session object of this one), answered by
 * the replica holding it; `undefined` when the store knows no such task of this principal. A
 * `tasks/result` of the session's own task here is answered too, with the task's questions on its
 * stream (an unrecorded task: an anonymous session's, or on a hub without pub/sub).
 */
export async function upstreamTaskElsewhere(
  scope: SessionScope,
  method: TaskMethod,
  params: Params,
  ctx: ServerContext,
): Promise<Result | undefined> {
  if (typeof params.taskId !== 'string') return undefined;
  if (!recorded(scope)) return ownTaskResult(scope, method, params, ctx);
  const { services } = scope;
  const target = await targetOf(services, params.taskId);
  if (!target || target.owner !== taskOwnerOf(scope.session)) return undefined;
  const { _meta, taskId: _taskId, ...rest } = params;
  const forwarded = services.hubTasks.forwarded;
  const relay = forwarded.relay;
  // A 2025-era client's tasks/result takes the task's questions on its stream.
  const ask =
    method === 'tasks/result' && scope.session.era === 'legacy'
      ? streamAsker(ctx, clientCapabilities(ctx, scope.session), params.taskId)
      : undefined;
  if (!target.replica || target.replica === relay.replica) {
    forwarded.held.bind(services.flows);
    const callerOwner = connectionOwner(scope, target.upstream);
    const lease = taskLease(forwarded, params.taskId, target.record, callerOwner);
    const questions = { held: forwarded.held, ...(ask ? { ask } : {}) };
    return (await answer(
      { ...target, lease },
      method,
      rest,
      ctx.mcpReq.signal,
      questions,
    )) as Result;
  }
  const request: RelayedRequest = {
    taskId: params.taskId,
    method,
    kind: 'upstream',
    params: rest,
    waitMs: method === 'tasks/result' ? RESULT_WAIT_MS : RELAY_ANSWER_WAIT_MS,
  };
  return (await relay.relay(target.replica, request, ctx.mcpReq.signal, ask)) as Result;
}

/** `tasks/result` of an unrecorded task of this session, here (see `upstreamTaskElsewhere`). */
async function ownTaskResult(
  scope: SessionScope,
  method: TaskMethod,
  params: Params,
  ctx: ServerContext,
): Promise<Result | undefined> {
  const { services, session } = scope;
  const taskId = String(params.taskId);
  if (
    method !== 'tasks/result' ||
    session.era !== 'legacy' ||
    !services.tasks.owns(taskId, session)
  ) {
    return undefined;
  }
  const { upstream, name } = resolveTask(services, session, taskId);
  const { lease } = callerLease(scope, upstream);
  const forwarded = services.hubTasks.forwarded;
  forwarded.held.bind(services.flows);
  const { _meta, taskId: _taskId, ...rest } = params;
  const ask = streamAsker(ctx, clientCapabilities(ctx, session), taskId);
  const target = { upstream, taskId: name, ...(lease ? { lease } : {}) };
  const questions = { held: forwarded.held, ask };
  return (await answer(target, method, rest, ctx.mcpReq.signal, questions)) as Result;
}

/**
 * The tasks of this session's principal that other replicas (or other sessions here) created,
 * not already in `listed` (exposed ids), each as its holder's `tasks/get` answers it; a task
 * whose holder is gone is left out.
 */
export async function upstreamTasksElsewhere(
  scope: SessionScope,
  listed: ReadonlySet<string>,
  ctx: ServerContext,
): Promise<Params[]> {
  if (!recorded(scope)) return [];
  const { services } = scope;
  const owner = taskOwnerOf(scope.session);
  const ids = await services.hubTasks.forwarded.indexed(owner, MAX_LISTED);
  const tasks: Params[] = [];
  for (const taskId of ids) {
    if (listed.has(taskId)) continue;
    const task = await upstreamTaskElsewhere(scope, 'tasks/get', { taskId }, ctx).catch(
      () => undefined,
    );
    if (task) tasks.push(task as Params);
  }
  return tasks;
}
