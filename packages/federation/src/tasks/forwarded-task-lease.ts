/**
 * Where the requests about a forwarded or upstream task go: a task created on its caller's own
 * upstream connection (`isolation: 'per-principal'` or `'per-session'`, the caller's credentials)
 * is asked about on that connection, never on the shared one (no or another identity there).
 */
import { hubError } from '../errors.js';
import type { Lease } from '../pipeline/call-upstream.js';
import type { ForwardedTask, ForwardedTasks } from './forwarded-task-store.js';

/** The lease of a call that creates a task on the caller's own connection, if it has one. */
export function ownerLease(owner: object | undefined): Lease | undefined {
  return owner ? { interactive: false, owner } : undefined;
}

/**
 * The lease of a request about a task: `undefined` (the shared connection) for a task that runs
 * there, else its caller's connection, known here from its creation or given by the asking
 * caller (`callerOwner`, the same principal's connection owner).
 *
 * @throws UPSTREAM_UNAVAILABLE when neither is known (no fallback to the shared connection).
 */
export function taskLease(
  forwarded: ForwardedTasks,
  exposedId: string,
  record: ForwardedTask,
  callerOwner?: object,
): Lease | undefined {
  if (!record.ownConnection) return undefined;
  const owner = forwarded.owners.of(exposedId) ?? callerOwner;
  if (!owner) {
    throw hubError(
      'UPSTREAM_UNAVAILABLE',
      `Task ${exposedId} runs on its caller's own connection to upstream "${record.upstream}", which this hub does not hold here.`,
      { upstream: record.upstream },
    );
  }
  return { interactive: false, owner };
}
