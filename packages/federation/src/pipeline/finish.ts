/**
 * Stage 6 of the pipeline — how a forwarded request ended, recorded once through the access
 * hook's `completed` (the audit record), with the latency since the gate let it through.
 */
import type { AccessOutcome, AccessRequest, HubAccess } from '../hub-access.js';

/** Records how a request the gate let through ended. */
export type Finish = (outcome: Omit<AccessOutcome, 'latencyMs'>) => void;

/** The finish of a request nobody records. */
export const NO_FINISH: Finish = () => {};

/** Starts the clock of a request the gate let through; the returned finish records its end. */
export function startFinish(access: HubAccess | undefined, request: AccessRequest): Finish {
  const completed = access?.completed;
  if (!completed) return NO_FINISH;
  const started = performance.now();
  return (outcome) =>
    completed.call(access, request, {
      ...outcome,
      latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
    });
}

/** Runs `run`, records its outcome through `finish`, and passes the result or error on. */
export async function finishing<T>(finish: Finish, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    finish({ ok: true, result });
    return result;
  } catch (error) {
    finish({ ok: false, error });
    throw error;
  }
}
