/**
 * Stage 6 of the pipeline — how a forwarded request ended, recorded once through the access
 * hook's `completed` (the audit record), with the latency since the gate let it through, before
 * the answer leaves: a client that got an answer can find its record, even after a crash.
 */
import type { Span } from '@opentelemetry/api';
import type { AccessOutcome, AccessRequest, HubAccess } from '../hub-access.js';
import { endRequestSpan, type SpannedRequest } from '../observe/request-spans.js';

/**
 * Records how a request the gate let through ended; resolves once the record is kept (the
 * client gets its answer only then, so an answered call always has its audit record).
 */
export type Finish = (outcome: Omit<AccessOutcome, 'latencyMs'>) => Promise<void>;

const RECORDED: Promise<void> = Promise.resolve();
const ignore = (): void => {};

/** The finish of a request nobody records. */
export const NO_FINISH: Finish = () => RECORDED;

/** Starts the clock of a request the gate let through; the returned finish records its end. */
export function startFinish(access: HubAccess | undefined, request: AccessRequest): Finish {
  const completed = access?.completed;
  if (!completed) return NO_FINISH;
  const started = performance.now();
  // No async frame and no spread of the outcome per call (issue #18 profile: every forwarded
  // call goes through here): the outcome is built field by field, and the hook's own promise is
  // waited for.
  return (outcome) => {
    const latencyMs = Math.round((performance.now() - started) * 1000) / 1000;
    let recorded: void | Promise<void>;
    try {
      recorded = completed.call(
        access,
        request,
        outcome.ok
          ? { ok: true, result: outcome.result, latencyMs }
          : { ok: false, error: outcome.error, latencyMs },
      );
    } catch {
      return RECORDED;
    }
    // A recording that fails must not turn an answered call into an error.
    return recorded ? recorded.then(undefined, ignore) : RECORDED;
  };
}

/** A finish that also ends the request's server span, once the outcome is recorded. */
export function spanFinish(finish: Finish, span: Span, request: SpannedRequest): Finish {
  return async (outcome) => {
    await finish(outcome);
    endRequestSpan(span, request, outcome);
  };
}

/** Runs `run`, records its outcome through `finish`, and passes the result or error on. */
export async function finishing<T>(finish: Finish, run: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (error) {
    await finish({ ok: false, error });
    throw error;
  }
  await finish({ ok: true, result });
  return result;
}
