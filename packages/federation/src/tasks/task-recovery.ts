/**
 * What becomes of a task whose hub died before it finished (the sweep of another hub, or of the
 * restarted one): an idempotent tool runs again from the start — questions it was waiting on are
 * dropped, it will ask again — any other call is failed with a reason that says why, and whether
 * it was waiting for its client's input.
 */
import type { HubTaskRecord } from './hub-task.js';

/** The record of a task that runs again after its hub died (idempotent tools). */
export function resumedRecord(task: HubTaskRecord): HubTaskRecord {
  const { inputRequests: _dropped, ...rest } = task;
  return {
    ...rest,
    status: 'working',
    attempts: task.attempts + 1,
    statusMessage: 'Resumed: the hub running it stopped; the tool is idempotent, so it runs again.',
  };
}

/** How a task that cannot run again ends after its hub died. */
export function lostRunnerOutcome(task: HubTaskRecord): Partial<HubTaskRecord> {
  const waiting = task.status === 'input_required';
  const when = waiting ? 'while the task waited for its client’s input' : 'before it finished';
  return {
    status: 'failed',
    statusMessage: `The hub running this task stopped ${when}, and the tool is not marked idempotent (idempotentHint), so it was not run again.`,
    inputRequests: undefined,
    error: {
      code: -32603,
      message: `The hub running this task stopped ${when}; the tool is not idempotent, so the hub did not run it again. Its effects are unknown.`,
    },
  };
}
