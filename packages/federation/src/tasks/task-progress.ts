/**
 * Two small pieces of the task engine's runs: the progress writer (upstream progress into the
 * task's record, one store write at a time, the newest value kept while one is in flight) and the
 * wait of a `tasks/result` between two looks at the record.
 */
import type { TaskStore } from './task-store.js';

type Params = Record<string, unknown>;

/** Returns an `onprogress` that records a task's progress without queuing writes. */
export function createProgressWriter(records: TaskStore, taskId: string) {
  let writing = false;
  let pending: Params | undefined;
  const write = (progress: Params) => {
    writing = true;
    const message = typeof progress.message === 'string' ? progress.message : undefined;
    void records
      .update(taskId, (task) => ({
        ...task,
        progress: {
          progress: Number(progress.progress),
          ...(typeof progress.total === 'number' ? { total: progress.total } : {}),
          ...(message ? { message } : {}),
        },
        ...(message ? { statusMessage: message } : {}),
      }))
      .catch(() => undefined)
      .finally(() => {
        writing = false;
        const next = pending;
        pending = undefined;
        if (next) write(next);
      });
  };
  return (progress: Params) => {
    if (writing) pending = progress;
    else write(progress);
  };
}

/**
 * Resolves on the first of: a change of `taskId` announced on `changes` (made by this process),
 * `pollMs` elapsed (a change by another process is seen on the next look), or `signal` aborted.
 */
export function waitForChange(
  changes: EventTarget,
  taskId: string,
  pollMs: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      changes.removeEventListener(taskId, done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, pollMs);
    changes.addEventListener(taskId, done);
    signal.addEventListener('abort', done);
  });
}
