/**
 * Tasks created through the hub. A hub-managed task (`hubtask.…`, run by the hub for an upstream
 * or tool that knows nothing of tasks) is answered from the store, for its principal (see
 * tasks/hub-task-requests.ts). An upstream's MCP 2025-11-25 task: `tasks/get`, `tasks/result`
 * and `tasks/cancel` resolve the exposed task id (only the session that created the task may use
 * it) and go to its upstream on the shared connection; `tasks/list` gathers the caller's
 * hub-managed tasks and the session's own tasks from the upstreams that hold any.
 */
import type { Result, Server } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';
import { exposeTaskId, NAME_SEPARATOR } from '../namespacing.js';
import { callUpstream } from '../pipeline/call-upstream.js';
import { mapTaskResult } from '../pipeline/map-result.js';
import { resolveTask } from '../pipeline/resolve.js';
import { forwardedTaskRequest, isForwardedTaskId } from '../tasks/forwarded-tasks.js';
import { isHubTaskId } from '../tasks/hub-task.js';
import { hubTaskRequest, listHubTasks } from '../tasks/hub-task-requests.js';
import { upstreamTaskElsewhere, upstreamTasksElsewhere } from '../tasks/upstream-task-replicas.js';
import type { SessionScope } from './session-scope.js';
import { callerLease, outgoingMeta, withClientLogLevel } from './session-scope.js';

type Params = Record<string, unknown>;

/** The most pages of one upstream's `tasks/list` the hub reads. */
const MAX_TASK_PAGES = 32;

/**
 * The params schema of every task handler, built once for all sessions: a zod schema costs some
 * 3 KiB of heap (and compiles its parser on first use), and one per handler per session made
 * the five task handlers over half of an idle session's memory.
 */
const anyParams = z.looseObject({});

/** Registers the task handlers of a session. */
export function registerTaskHandlers(server: Server, scope: SessionScope): void {
  const { services, session } = scope;
  for (const method of ['tasks/get', 'tasks/result', 'tasks/cancel', 'tasks/update'] as const) {
    server.setRequestHandler(method, { params: anyParams }, async (params, ctx) => {
      // A 2026-07-28 client's task forwarded to its upstream (bound to its principal in the store).
      if (session.era === 'modern' && isForwardedTaskId(scope, params.taskId)) {
        return forwardedTaskRequest(scope, method, params.taskId, ctx);
      }
      if (isHubTaskId(params.taskId) || method === 'tasks/update') {
        return hubTaskRequest(scope, method, String(params.taskId), params, ctx);
      }
      if (method === 'tasks/result' || !services.tasks.owns(String(params.taskId), session)) {
        // Its principal's upstream task, created on another replica (the store knows it); a
        // tasks/result there or here takes the task's questions on its stream.
        const elsewhere = await upstreamTaskElsewhere(scope, method, params, ctx);
        if (elsewhere) return elsewhere;
      }
      const target = resolveTask(services, session, params.taskId);
      // The client's io.fedmcp/ keys are never passed on as they are: this hub writes its own.
      const { _meta, ...rest } = params;
      const meta = outgoingMeta(scope, _meta);
      const result = await callUpstream({
        upstream: target.upstream,
        method,
        params: withClientLogLevel(
          scope,
          target.upstream,
          { ...rest, taskId: target.name, ...(meta ? { _meta: meta } : {}) },
          ctx,
        ),
        signal: ctx.mcpReq.signal,
        // An isolating upstream's task runs on the caller's own connection (issue #21).
        ...callerLease(scope, target.upstream),
      });
      return mapTaskResult(target.upstream, result);
    });
  }
  server.setRequestHandler('tasks/list', { params: anyParams }, async (_params, ctx) => {
    const tasks: unknown[] = await listHubTasks(scope);
    for (const upstream of services.upstreams.list()) {
      if (!upstream.available || !upstream.serverCapabilities.tasks?.list) continue;
      // Nothing of this session's there: no upstream round trip.
      if (!services.tasks.ownsAny(`${upstream.id}${NAME_SEPARATOR}`, session)) continue;
      let cursor: unknown;
      for (let page = 0; page < MAX_TASK_PAGES; page++) {
        const result: Result = await callUpstream({
          upstream,
          method: 'tasks/list',
          params: withClientLogLevel(scope, upstream, cursor ? { cursor } : {}, ctx),
          signal: ctx.mcpReq.signal,
          ...callerLease(scope, upstream),
        });
        for (const task of (result.tasks as Params[] | undefined) ?? []) {
          const taskId = exposeTaskId(upstream.id, String(task.taskId));
          // Only the requestor's own tasks (§6.5); the upstream sees one client, the hub.
          if (services.tasks.owns(taskId, session)) tasks.push({ ...task, taskId });
        }
        cursor = result.nextCursor;
        if (!cursor) break;
      }
    }
    // The principal's upstream tasks other replicas hold.
    const listed = new Set(tasks.map((task) => String((task as Params).taskId)));
    tasks.push(...(await upstreamTasksElsewhere(scope, listed, ctx)));
    return { tasks };
  });
}
