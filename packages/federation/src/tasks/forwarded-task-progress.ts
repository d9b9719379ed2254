/**
 * Progress of a 2025-11-25 upstream's task after its `CreateTaskResult` answered the call (issue
 * #19). MCP 2025-11-25 basic/utilities/tasks: the call's progress token stays valid for the
 * task's whole life, so the upstream may go on sending progress with it. The SDK client drops
 * progress once its request was answered, so the hub sends the task-augmented call with a token
 * of its own and takes that token's notifications off the connection itself
 * (`UpstreamConnection.tapNotifications`): while the call runs they go to the call's own stream,
 * then to where the task's client hears of it —
 *
 * - a 2025-era client: its session (outside any request: the standalone stream), with its own
 *   progress token and the related-task mark;
 * - a 2026-07-28 client (the tasks extension, tasks/forwarded-tasks.ts): its listen streams that
 *   follow the task (tasks/forwarded-task-follow.ts, {@link onForwardedTaskProgress}).
 *
 * The tap ends with the task: a terminal `notifications/tasks/status`, the task's ttl (capped by
 * the hub's), or the connection's end. Progress is relayed by the replica holding the upstream
 * connection only (a listen stream on another replica gets the task's states, polled, but not
 * its progress).
 */
import type { Result, Server, ServerContext } from '@modelcontextprotocol/server';
import type { SessionScope } from '../handlers/session-scope.js';
import { exposeTaskId } from '../namespacing.js';
import { stripDownstreamMeta } from '../pipeline/meta.js';
import { createProgressRelay } from '../pipeline/progress-relay.js';
import type { Upstream } from '../upstream.js';
import type { UpstreamConnection } from '../upstream-connection.js';
import type { ForwardedTasks } from './forwarded-task-store.js';

type Params = Record<string, unknown>;
type Deliver = (progress: Params) => void;

/** The prefix of the progress tokens the hub sends with task-augmented calls. */
const TOKEN_PREFIX = 'fedmcp-task-progress-';
const RELATED_TASK = 'io.modelcontextprotocol/related-task';
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
/** The longest a task's progress is awaited when it names no ttl. */
const DEFAULT_LIFETIME_MS = 3_600_000;

/** Where a task's progress goes once its call was answered, and for how long. */
export interface TaskProgressTarget {
  /** The upstream's id of the task (a terminal status notification about it ends the tap). */
  upstreamTaskId: string;
  deliver: Deliver;
  /** The task's lifetime (its ttl); @default one hour */
  lifetimeMs?: number;
}

/**
 * The task-augmented call: sent with the params it is given, it calls `onConnection` with the
 * connection it goes on (the shared one, or the caller's own: `UpstreamCall.onConnection`)
 * before sending.
 */
export type CreateTask<T> = (
  params: Params,
  onConnection: (connection: UpstreamConnection) => void,
) => Promise<T>;

/**
 * Runs `create` — the task-augmented call, sent with `params` and the hub's progress token —
 * relaying the upstream's progress on the connection it goes on: to `during` while the call runs,
 * then to `after(created)`'s target (none: the tap ends).
 */
export async function withTaskProgress<T>(
  params: Params,
  during: Deliver | undefined,
  create: CreateTask<T>,
  after: (created: T) => TaskProgressTarget | undefined,
): Promise<T> {
  const token = `${TOKEN_PREFIX}${crypto.randomUUID()}`;
  let deliver = during;
  let upstreamTaskId: string | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let connection: UpstreamConnection | undefined;
  let untap = () => {};
  const stop = () => {
    clearTimeout(timer);
    untap();
  };
  const tap = (tapped: UpstreamConnection) => {
    connection = tapped;
    untap = tapped.tapNotifications(onNotification);
  };
  const onNotification = (method: string, notification: Params): boolean => {
    if (method === 'notifications/tasks/status') {
      if (notification.taskId === upstreamTaskId && TERMINAL.has(String(notification.status))) {
        stop();
      }
      return false;
    }
    if (method !== 'notifications/progress' || notification.progressToken !== token) return false;
    const { progressToken: _token, _meta: _marks, ...progress } = notification;
    deliver?.(progress);
    return true;
  };
  const meta = params._meta as Params | undefined;
  let created: T;
  try {
    created = await create({ ...params, _meta: { ...meta, progressToken: token } }, tap);
  } catch (error) {
    stop();
    throw error;
  }
  const target = after(created);
  if (!target || !connection || connection.closed) {
    stop();
    return created;
  }
  deliver = target.deliver;
  upstreamTaskId = target.upstreamTaskId;
  timer = setTimeout(stop, Math.max(1, target.lifetimeMs ?? DEFAULT_LIFETIME_MS));
  timer.unref?.();
  return created;
}

/**
 * Progress for a 2025-era client's task: a notification on its session with the client's token
 * and the related-task mark (MCP 2025-11-25 basic/utilities/tasks), while the session is open.
 */
export function sessionTaskProgress(
  server: Server,
  progressToken: string | number,
  taskId: string,
  isOpen: () => boolean,
): Deliver {
  return (progress) => {
    if (!isOpen()) return;
    const params = {
      ...progress,
      progress: Number(progress.progress),
      progressToken,
      _meta: { [RELATED_TASK]: { taskId } },
    };
    server.notification({ method: 'notifications/progress', params }).catch(() => {});
  };
}

/** The client's progress token of a request, when it sent a valid one. */
export function clientProgressToken(ctx: ServerContext): string | number | undefined {
  const { progressToken } = stripDownstreamMeta(ctx.mcpReq._meta);
  return typeof progressToken === 'string' || typeof progressToken === 'number'
    ? progressToken
    : undefined;
}

/**
 * A task-augmented call to a 2025-11-25 upstream (`create`, sent with the params it is given):
 * when the client sent a progress token, the upstream's progress reaches it with that token while
 * the call runs (on the call's stream) and, once the task exists, through `target(created, token)`
 * for the task's life.
 */
export async function callWithTaskProgress<T>(
  params: Params,
  ctx: ServerContext,
  create: CreateTask<T>,
  target: (created: T, progressToken: string | number) => TaskProgressTarget,
): Promise<T> {
  const progressToken = clientProgressToken(ctx);
  if (progressToken === undefined) return create(params, () => {});
  const relay = createProgressRelay(ctx, progressToken);
  const created = await withTaskProgress(params, relay.onprogress, create, (result) =>
    target(result, progressToken),
  );
  await relay.flush();
  return created;
}

/** {@link callWithTaskProgress} for a 2025-era session: the task's progress goes to its session. */
export function callWithSessionTaskProgress(
  scope: SessionScope,
  upstream: Upstream,
  params: Params,
  ctx: ServerContext,
  create: CreateTask<Result>,
): Promise<Result> {
  const { services, session } = scope;
  return callWithTaskProgress(params, ctx, create, (result, progressToken) => {
    const task = (result.task ?? {}) as Params;
    const taskId = String(task.taskId);
    const isOpen = () => !services.sessions.isClosed(session);
    return {
      upstreamTaskId: taskId,
      deliver: sessionTaskProgress(
        session.server,
        progressToken,
        exposeTaskId(upstream.id, taskId),
        isOpen,
      ),
      ...(typeof task.ttl === 'number' ? { lifetimeMs: task.ttl } : {}),
    };
  });
}

/** Listeners of forwarded tasks' progress in this process, by the hub's task id. */
const listeners = new WeakMap<ForwardedTasks, Map<string, Set<Deliver>>>();

function listenersOf(forwarded: ForwardedTasks): Map<string, Set<Deliver>> {
  let map = listeners.get(forwarded);
  if (!map) {
    map = new Map();
    listeners.set(forwarded, map);
  }
  return map;
}

/** Progress for a forwarded task (a 2026-07-28 client's): to the listeners of `taskId`. */
export function forwardedTaskProgress(forwarded: ForwardedTasks, taskId: string): Deliver {
  return (progress) => {
    for (const listener of listenersOf(forwarded).get(taskId) ?? []) listener(progress);
  };
}

/** Hears the progress of the forwarded task `taskId` until `signal` aborts. */
export function onForwardedTaskProgress(
  forwarded: ForwardedTasks,
  taskId: string,
  signal: AbortSignal,
  listener: Deliver,
): void {
  if (signal.aborted) return;
  const map = listenersOf(forwarded);
  let set = map.get(taskId);
  if (!set) {
    set = new Set();
    map.set(taskId, set);
  }
  set.add(listener);
  const own = set;
  signal.addEventListener(
    'abort',
    () => {
      own.delete(listener);
      if (own.size === 0 && map.get(taskId) === own) map.delete(taskId);
    },
    { once: true },
  );
}
