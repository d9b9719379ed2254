/**
 * `tasks/get`, `tasks/result`, `tasks/cancel`, `tasks/update` and `tasks/list` of hub-managed
 * tasks, read from the store: any hub on the same store answers them, for the task's owner only
 * (another principal's task is an unknown task, -32602).
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { Result, ServerContext } from '@modelcontextprotocol/server';
import { hubError } from '../errors.js';
import type { SessionScope } from '../handlers/session-scope.js';
import { principalKey } from '../pipeline/meta.js';
import type { HubSession } from '../services/session-registry.js';
import { type HubTaskRecord, toDetailedTask, toTask } from './hub-task.js';
import { declaresTasksExtension, TASKS_EXTENSION } from './tasks-extension.js';

type Params = Record<string, unknown>;

const RELATED_TASK = 'io.modelcontextprotocol/related-task';

/** The most of a principal's tasks one `tasks/list` gathers. */
const MAX_LISTED = 1000;

const anonymousOwners = new WeakMap<HubSession, string>();

/**
 * Who owns the tasks a session creates: its principal, so they outlive the session (a restart,
 * another replica). An anonymous 2025-era session cannot be told from another anonymous one: its
 * tasks are its own, and end with it. An anonymous 2026-07-28 request belongs to no session at
 * all: its task id (122 random bits) is the only key to the task (the extension has no
 * `tasks/list`).
 */
export function taskOwnerOf(session: HubSession): string {
  if (session.principal !== undefined && session.principal !== null) {
    return principalKey(session.principal);
  }
  if (session.era === 'modern' && !session.pinned) return 'anonymous-request';
  let owner = anonymousOwners.get(session);
  if (!owner) {
    owner = `anonymous-session:${crypto.randomUUID()}`;
    anonymousOwners.set(session, owner);
  }
  return owner;
}

/** The era shape of a task for a `tasks/get` answer. */
function taskFor(scope: SessionScope, record: HubTaskRecord): Result {
  return (scope.session.era === 'modern' ? toDetailedTask(record) : toTask(record)) as Result;
}

/** MCP 2025-11-25 `tasks/result`: exactly the underlying result or error, once terminal. */
function resultOf(record: HubTaskRecord): Result {
  const related = { [RELATED_TASK]: { taskId: record.taskId } };
  if (record.status === 'completed') {
    const result = record.result ?? {};
    return { ...result, _meta: { ...(result._meta as Params | undefined), ...related } } as Result;
  }
  if (record.status === 'failed' && record.error) {
    throw FedmcpError.fromJsonRpcError({
      ...record.error,
      data: { ...(record.error.data as Params), ...related },
    });
  }
  throw hubError('CANCELED', `Task ${record.taskId} was cancelled; it has no result.`, related);
}

/**
 * A session that asks about its task (after a restart, or on another replica) hears of the
 * task's later changes made by this hub (status notifications), as the creating session does.
 */
function follow(scope: SessionScope, taskId: string): void {
  const { session, services } = scope;
  if (session.era === 'legacy' || session.pinned) services.tasks.set(taskId, session);
}

/**
 * MCP 2025-11-25: a task waiting for input has its questions sent to the client on the
 * `tasks/result` request that awaits it (marked with the related task), each once per request;
 * the answers go back to the upstream and the task works on.
 */
function questionsOnStream(scope: SessionScope, ctx: ServerContext) {
  const sent = new Set<string>();
  return async (record: HubTaskRecord): Promise<void> => {
    if (record.status !== 'input_required' || !record.inputRequests) return;
    const related = { [RELATED_TASK]: { taskId: record.taskId } };
    const pending = Object.entries(record.inputRequests).filter(([key]) => !sent.has(key));
    const answers = await Promise.all(
      pending.map(async ([key, { method, params }]) => {
        sent.add(key);
        const meta = { ...(params._meta as Params | undefined), ...related };
        const request = { method, params: { ...params, _meta: meta } };
        return [key, await ctx.mcpReq.send(request as never, { signal: ctx.mcpReq.signal })];
      }),
    );
    if (answers.length > 0) {
      await scope.services.hubTasks.inputs.answer(record, Object.fromEntries(answers));
    }
  };
}

/** Answers one task request about a hub-managed task. */
export async function hubTaskRequest(
  scope: SessionScope,
  method: string,
  taskId: string,
  params: Params,
  ctx: ServerContext,
): Promise<Result> {
  if (scope.session.era === 'modern' && !declaresTasksExtension(scope, ctx)) {
    // Tasks extension: a client that did not declare it gets -32021 for tasks/get|update|cancel.
    const requiredCapabilities = { extensions: { [TASKS_EXTENSION]: {} } };
    throw new FedmcpError('INVALID_REQUEST', 'Missing required client capability', {
      jsonRpcCode: -32021,
      wireData: { requiredCapabilities },
    });
  }
  const engine = scope.services.hubTasks;
  const owner = taskOwnerOf(scope.session);
  switch (method) {
    case 'tasks/get': {
      const record = await engine.get(taskId, owner);
      follow(scope, taskId);
      return taskFor(scope, record);
    }
    case 'tasks/result': {
      await engine.get(taskId, owner); // another principal's task is unknown before anything else
      follow(scope, taskId);
      // Only a 2025-era request can carry server→client requests (2026-07-28: tasks/update).
      const ask = scope.session.era === 'legacy' ? questionsOnStream(scope, ctx) : undefined;
      return resultOf(await engine.waitTerminal(taskId, owner, ctx.mcpReq.signal, ask));
    }
    case 'tasks/cancel': {
      const record = await engine.cancel(taskId, owner);
      // 2025-11-25 answers with the task; the 2026-07-28 extension with an empty acknowledgement.
      return (scope.session.era === 'modern' ? {} : toTask(record)) as Result;
    }
    case 'tasks/update': {
      // Tasks extension: answers to a task's `inputRequests`; unknown keys are ignored.
      const record = await engine.get(taskId, owner);
      // The SDK lifts a 2026-07-28 request's `inputResponses` out of its params.
      const responses = params.inputResponses ?? ctx.mcpReq.inputResponses;
      if (responses !== undefined && (typeof responses !== 'object' || responses === null)) {
        throw hubError('INVALID_PARAMS', 'tasks/update: inputResponses must be an object.');
      }
      if (responses) await engine.inputs.answer(record, responses as Params);
      return {} as Result;
    }
    default:
      throw hubError('METHOD_NOT_FOUND', `Method not found: ${method}`);
  }
}

/** The caller's hub-managed tasks, oldest first (MCP 2025-11-25 `tasks/list`). */
export async function listHubTasks(scope: SessionScope): Promise<Params[]> {
  const engine = scope.services.hubTasks;
  const owner = taskOwnerOf(scope.session);
  const records: HubTaskRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await engine.records.idsOf(owner, { limit: 100, ...(cursor ? { cursor } : {}) });
    for (const taskId of page.ids) {
      const record = await engine.records.get(taskId);
      if (record && record.owner === owner) records.push(record);
    }
    cursor = page.cursor;
  } while (cursor && records.length < MAX_LISTED);
  records.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return records.map(toTask);
}
