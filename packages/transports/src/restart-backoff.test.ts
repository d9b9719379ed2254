import { describe, expect, it } from 'vitest';
import { computeRestartDelay, DEFAULT_RESTART_BACKOFF } from './restart-backoff.js';

describe('computeRestartDelay', () => {
  it('doubles from the initial delay up to the cap', () => {
    const options = { initialDelayMs: 100, maxDelayMs: 1_000, jitter: 0 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => computeRestartDelay(attempt, options))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('takes off up to the jitter share at random', () => {
    const options = { initialDelayMs: 1_000, jitter: 0.5 };
    expect(computeRestartDelay(1, options, () => 0)).toBe(1_000);
    expect(computeRestartDelay(1, options, () => 0.5)).toBe(750);
    expect(computeRestartDelay(1, options, () => 0.999_999)).toBe(500);
  });

  it('has documented defaults', () => {
    expect(computeRestartDelay(1, {}, () => 0)).toBe(DEFAULT_RESTART_BACKOFF.initialDelayMs);
    expect(computeRestartDelay(50, {}, () => 0)).toBe(DEFAULT_RESTART_BACKOFF.maxDelayMs);
  });
});
