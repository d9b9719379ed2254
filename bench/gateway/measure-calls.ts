/**
 * The call loop of the gateway benchmarks: `calls` calls by `concurrency` workers, with each call's
 * latency, the wall time, and the CPU time of the contender's process tree and of its root process
 * alone (from /proc) over the same span. Each measurement starts with the client's heap collected
 * (when the bench runs with `--expose-gc`, as `pnpm bench` runs it).
 */
import { cpuMillisecondsBetween, cpuTicks, machineBusyMilliseconds } from './processes.ts';

/** The measurements of some calls to one contender. */
export interface CallSample {
  latencies: number[];
  calls: number;
  wallMs: number;
  /** CPU of the whole process tree (upstream children included). */
  cpuMs: number;
  /** CPU of the server process alone. */
  ownCpuMs: number;
  /**
   * CPU of the bench's own process (the client) over the same span: at c=32 the client is the
   * busiest process, so what a server costs its client shows here.
   */
  clientCpuMs: number;
  /**
   * Busy CPU of the whole machine over the same span. What it holds beyond the contender's tree
   * and the client is other processes' work (another contender's children still collecting the
   * garbage of their turn, or the machine's other tenants): interference, not this contender's cost.
   */
  machineCpuMs: number;
}

export function emptySample(): CallSample {
  return {
    latencies: [],
    calls: 0,
    wallMs: 0,
    cpuMs: 0,
    ownCpuMs: 0,
    clientCpuMs: 0,
    machineCpuMs: 0,
  };
}

/** Adds `sample` to `total` (rounds of the same cell). */
export function addSample(total: CallSample, sample: CallSample): void {
  total.latencies.push(...sample.latencies);
  total.calls += sample.calls;
  total.wallMs += sample.wallMs;
  total.cpuMs += sample.cpuMs;
  total.ownCpuMs += sample.ownCpuMs;
  total.clientCpuMs += sample.clientCpuMs;
  total.machineCpuMs += sample.machineCpuMs;
}

/**
 * Makes `calls` calls, `concurrency` at a time (`call(index, worker)`, index 0 … calls - 1), and
 * measures them against the process tree rooted at `pid`.
 */
export async function measureCalls(
  pid: number,
  concurrency: number,
  calls: number,
  call: (index: number, worker: number) => Promise<void>,
): Promise<CallSample> {
  const latencies: number[] = [];
  let next = 0;
  // One client process drives every contender in turn: the garbage of the previous turn (an SSE
  // answer leaves more than a JSON one) is collected here, not during this turn's calls.
  // `pnpm bench` runs benches with --expose-gc (scripts/run-bench.mjs).
  globalThis.gc?.();
  const cpuBefore = cpuTicks(pid);
  const clientBefore = process.cpuUsage();
  const machineBefore = machineBusyMilliseconds();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (;;) {
        const index = next++;
        if (index >= calls) return;
        const callStarted = performance.now();
        await call(index, worker);
        latencies.push(performance.now() - callStarted);
      }
    }),
  );
  const wallMs = performance.now() - started;
  const client = process.cpuUsage(clientBefore);
  const cpuAfter = cpuTicks(pid);
  const machineCpuMs = machineBusyMilliseconds() - machineBefore;
  return {
    latencies,
    calls,
    wallMs,
    cpuMs: cpuMillisecondsBetween(cpuBefore, cpuAfter),
    ownCpuMs: cpuMillisecondsBetween(
      new Map([[pid, cpuBefore.get(pid) ?? 0]]),
      new Map([[pid, cpuAfter.get(pid) ?? 0]]),
    ),
    clientCpuMs: (client.user + client.system) / 1000,
    machineCpuMs,
  };
}

/**
 * The text of echo call `index`: `message <index>`, or with `bytes` that padded with `x` to
 * exactly `bytes` characters (ASCII, so bytes too) when it is shorter.
 */
export function echoText(index: number, bytes?: number): string {
  const text = `message ${index}`;
  return bytes === undefined || bytes <= text.length ? text : `${text} `.padEnd(bytes, 'x');
}

/** BENCH_PAYLOAD_BYTES as a whole number of bytes, or `fallback` when unset. */
export function payloadBytes(fallback?: number): number | undefined {
  const raw = process.env.BENCH_PAYLOAD_BYTES;
  if (raw === undefined || raw === '') return fallback;
  const bytes = Number(raw);
  if (!Number.isInteger(bytes) || bytes < 0) {
    throw new Error(`BENCH_PAYLOAD_BYTES: a whole number of bytes, not "${raw}"`);
  }
  return bytes;
}
