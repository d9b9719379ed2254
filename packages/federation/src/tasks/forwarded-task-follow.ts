/**
 * Listening instead of polling (issue #19): a client's listen stream that follows a task forwarded
 * to a 2026-07-28 upstream running the tasks extension opens the upstream's own
 * `subscriptions/listen` with `taskIds` (the extension's `notifications/tasks` on that stream), so
 * each status change reaches the client as the upstream sends it, without the poll interval.
 * The listen goes raw on the upstream's shared connection (SDK 2.4.0's client knows neither the
 * extension nor `taskIds`), its notifications are taken off the connection by the task's own id
 * (`UpstreamConnection.tapNotifications`), and each is shown to the client as `tasks/get` would
 * show it (the hub's id, the result namespaced, the upstream's marks dropped).
 *
 * Progress the upstream sends on that stream for the task (marked with the related task) goes to
 * the client's listen stream with the progress token of the client's call.
 *
 * An upstream that refuses the listen, or does not acknowledge the task id, is polled as before
 * (tasks/task-listen.ts); so is a task whose upstream stream ends before the task does.
 */
import type { UpstreamConnection } from '../upstream-connection.js';
import {
  extensionTaskState,
  toClientDetailedTask,
  withExtensionEnvelope,
} from './forwarded-modern-tasks.js';
import { onForwardedTaskProgress } from './forwarded-task-progress.js';
import { type ForwardedContext, forwardedTarget } from './forwarded-tasks.js';

type Params = Record<string, unknown>;

/** How long the upstream listen may stay open at most (the client's stream ends it sooner). */
const LISTEN_MAX_MS = 86_400_000;
/** How long the upstream has to acknowledge the task id on its listen stream. */
const ACK_WAIT_MS = 5_000;
const RELATED_TASK = 'io.modelcontextprotocol/related-task';
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/**
 * Follows a forwarded task on its upstream's listen stream, calling `onState` with each state
 * (as `tasks/get` answers it), until the task is terminal or `signal` aborts: then `true`. `false`
 * (at once, or when the upstream's stream ended early) means: poll it instead.
 */
export async function followForwardedTask(
  context: ForwardedContext,
  taskId: string,
  owner: string,
  signal: AbortSignal,
  onState: (state: Params) => void,
  onNotification?: (method: string, params: Params) => void,
): Promise<boolean> {
  const target = await forwardedTarget(context, taskId, owner);
  if (target && target.record.era !== 'modern' && !signal.aborted) {
    // A 2025-11-25 upstream's task: polled, its progress heard here (forwarded-task-progress.ts).
    const { progressToken } = target.record;
    if (progressToken !== undefined && onNotification) {
      onForwardedTaskProgress(context.forwarded, taskId, signal, (progress) =>
        onNotification('notifications/progress', { ...progress, progressToken }),
      );
    }
  }
  // A task on its caller's own connection is polled (tasks/get with the caller's lease).
  if (target?.record.era !== 'modern' || target.record.ownConnection || signal.aborted) {
    return false;
  }
  const { upstream } = target;
  const upstreamTaskId = target.taskId;
  let connection: UpstreamConnection;
  try {
    connection = upstream.primary();
  } catch {
    return false;
  }
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  let acknowledged: (() => void) | undefined;
  const ack = new Promise<void>((resolve) => {
    acknowledged = resolve;
  });
  let terminal = false;
  const show = (state: Params) => {
    if (terminal) return;
    if (TERMINAL.has(String(state.status))) {
      terminal = true;
      stop.abort();
    }
    onState(state);
  };
  const untap = connection.tapNotifications((method, params) => {
    if (method === 'notifications/subscriptions/acknowledged') {
      const honored = (params.notifications as { taskIds?: unknown } | undefined)?.taskIds;
      if (!Array.isArray(honored) || !honored.includes(upstreamTaskId)) return false;
      acknowledged?.();
      return true;
    }
    if (method === 'notifications/progress') {
      // Progress tied to the task after its call was answered (its related-task mark): the
      // client's own token, the upstream's marks dropped.
      const related = (params._meta as Params | undefined)?.[RELATED_TASK] as Params | undefined;
      if (related?.taskId !== upstreamTaskId) return false;
      const { progressToken } = target.record;
      if (progressToken !== undefined && !terminal) {
        const { _meta: _marks, progressToken: _upstreamToken, ...progress } = params;
        onNotification?.('notifications/progress', { ...progress, progressToken });
      }
      return true;
    }
    if (method !== 'notifications/tasks' || params.taskId !== upstreamTaskId) return false;
    show(toClientDetailedTask(upstream, taskId, params));
    return true;
  });
  try {
    const listening = connection.rawRequest(
      'subscriptions/listen',
      withExtensionEnvelope({ notifications: { taskIds: [upstreamTaskId] } }),
      { signal: stop.signal, timeoutMs: LISTEN_MAX_MS },
    );
    // Answered (refused, or ended) before it acknowledged the task, or never acknowledged it (an
    // upstream whose listen ignores taskIds): not followed this way.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const first = await Promise.race([
      ack.then(() => 'ack' as const),
      listening.catch(() => {}),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ACK_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (first !== 'ack') return false;
    // A change between the client's read and the acknowledgement is read once more.
    void extensionTaskState(upstream, taskId, upstreamTaskId, stop.signal)
      .then(show)
      .catch(() => {});
    await listening.catch(() => {});
    return terminal || signal.aborted;
  } finally {
    untap();
    signal.removeEventListener('abort', onAbort);
    if (!stop.signal.aborted) stop.abort();
  }
}
