/**
 * Exponential backoff with jitter for restarting a dead upstream: attempt n waits
 * `min(maxDelayMs, initialDelayMs × factor^(n-1))`, shortened by a random share of up to `jitter`
 * of it, so many upstreams that died together do not come back in lockstep.
 */

/** The restart policy of a supervised upstream. */
export interface RestartBackoffOptions {
  /**
   * Restarts allowed in a row (a run that stays up `resetAfterMs` starts the count again);
   * after that the upstream stays down until it is connected anew.
   * @default 5
   */
  maxRestarts?: number;
  /**
   * Delay before the first restart, in milliseconds.
   * @default 500
   */
  initialDelayMs?: number;
  /**
   * Upper bound of the delay, in milliseconds.
   * @default 30_000
   */
  maxDelayMs?: number;
  /**
   * Growth of the delay per attempt.
   * @default 2
   */
  factor?: number;
  /**
   * Share of the delay (0…1) that is randomly taken off.
   * @default 0.5
   */
  jitter?: number;
  /**
   * Uptime after which the restart count starts again from zero, in milliseconds.
   * @default 60_000
   */
  resetAfterMs?: number;
}

/** The defaults of {@link RestartBackoffOptions}. */
export const DEFAULT_RESTART_BACKOFF: Required<RestartBackoffOptions> = {
  maxRestarts: 5,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.5,
  resetAfterMs: 60_000,
};

/**
 * The delay before restart number `attempt` (1-based).
 *
 * @param random - A source of numbers in [0, 1); `Math.random` by default.
 * @example
 * ```ts
 * computeRestartDelay(3, { initialDelayMs: 100, jitter: 0 }); // 400
 * ```
 */
export function computeRestartDelay(
  attempt: number,
  options: RestartBackoffOptions = {},
  random: () => number = Math.random,
): number {
  const { initialDelayMs, maxDelayMs, factor, jitter } = { ...DEFAULT_RESTART_BACKOFF, ...options };
  const exponent = Math.max(0, attempt - 1);
  const delay = Math.min(maxDelayMs, initialDelayMs * factor ** exponent);
  const share = Math.min(1, Math.max(0, jitter));
  return Math.round(delay * (1 - share * random()));
}
