/** `/sessions` and `/tasks`: open downstream sessions, and hub-managed durable tasks. */
import * as z from 'zod';
import type { AdminContext } from '../admin-context.js';
import { type AdminRoute, defineRoute } from '../admin-route.js';
import { ProblemError } from '../problem.js';

const sessionSchema = z
  .object({
    id: z.string(),
    transport: z.string(),
    era: z.enum(['legacy', 'modern']),
    subject: z.string(),
    view: z.string().optional(),
    openedAt: z.string(),
  })
  .meta({ id: 'Session' });

const taskSchema = z
  .object({ taskId: z.string(), status: z.string(), tool: z.string(), owner: z.string() })
  .catchall(z.unknown())
  .meta({ id: 'Task' });

const taskParams = z.object({ taskId: z.string().min(1) });

/** The session routes (Node: the hub's session registry). */
export function sessionRoutes(context: Pick<AdminContext, 'sessions'>): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/sessions',
      operationId: 'listSessions',
      summary: 'Open sessions of this replica (2025-era HTTP, SSE, WebSocket, stdio).',
      tag: 'sessions',
      response: z.object({ sessions: z.array(sessionSchema) }),
      handle: async () => ({ sessions: context.sessions.list() }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/sessions/{id}',
      operationId: 'closeSession',
      summary: 'Closes a session (its client must initialize again).',
      tag: 'sessions',
      params: z.object({ id: z.string().min(1) }),
      status: 204,
      handle: async ({ params }) => {
        if (!(await context.sessions.close(params.id))) {
          throw new ProblemError(404, `No open session "${params.id}" on this replica.`);
        }
        return undefined;
      },
    }),
  ];
}

/** The task routes (the task records live in the store). */
export function taskRoutes(context: Pick<AdminContext, 'tasks'>): AdminRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/tasks',
      operationId: 'listTasks',
      summary: 'Live hub-managed tasks of every principal, oldest first.',
      tag: 'tasks',
      response: z.object({ tasks: z.array(taskSchema) }),
      handle: async () => ({ tasks: await context.tasks.list() }),
    }),
    defineRoute({
      method: 'GET',
      path: '/tasks/{taskId}',
      operationId: 'getTask',
      summary: 'One task.',
      tag: 'tasks',
      params: taskParams,
      response: taskSchema,
      handle: async ({ params }) => context.tasks.get(params.taskId),
    }),
    defineRoute({
      method: 'POST',
      path: '/tasks/{taskId}/cancel',
      operationId: 'cancelTask',
      summary: 'Cancels a running task (the hub running it aborts the upstream call).',
      tag: 'tasks',
      params: taskParams,
      response: taskSchema,
      handle: async ({ params }) => context.tasks.cancel(params.taskId),
    }),
  ];
}

/** The session and task routes. */
export function sessionTaskRoutes(context: Pick<AdminContext, 'sessions' | 'tasks'>): AdminRoute[] {
  return [...sessionRoutes(context), ...taskRoutes(context)];
}
