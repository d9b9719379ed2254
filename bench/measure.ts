/** How long one measured run lasts, in ms (`FEDMCP_BENCH_MS`). @default 400 */
export const benchDurationMs = Number(process.env.FEDMCP_BENCH_MS ?? 400);

/**
 * Runs `operation` one awaited call at a time: a warm-up (JIT, prepared statements, caches), then
 * three runs of {@link benchDurationMs}; returns the best operations per second (the machine may
 * be shared; the best run is the least disturbed one).
 */
export async function measureOpsPerSecond(
  operation: (index: number) => Promise<unknown>,
  durationMs = benchDurationMs,
): Promise<number> {
  const warmUpUntil = performance.now() + durationMs / 4;
  let index = 0;
  while (performance.now() < warmUpUntil) await operation(index++);
  let best = 0;
  for (let run = 0; run < 3; run += 1) {
    const started = performance.now();
    let count = 0;
    while (performance.now() - started < durationMs) {
      await operation(index++);
      count += 1;
    }
    best = Math.max(best, count / ((performance.now() - started) / 1000));
  }
  return best;
}
