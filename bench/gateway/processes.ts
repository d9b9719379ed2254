/**
 * Process helpers for the gateway benchmark: start a contender and wait until it serves, read CPU
 * time and memory of a process and all its descendants from /proc, and stop a whole tree (also the
 * detached children some gateways start), so the benchmark leaves no process behind.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime. */
export const clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** A started contender process. */
export interface StartedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Last lines of stderr and stdout, for error messages. */
  output(): string;
}

const started = new Set<StartedProcess>();

function readStat(pid: number): { ppid: number; ticks: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) in parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/** The pid and every descendant pid of `root` (by parent pid, so detached children count too). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readStat(pid);
    if (!stat) continue;
    const siblings = children.get(stat.ppid);
    if (siblings) siblings.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  const tree: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop() as number;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** CPU time (user + system, in clock ticks) of each process of the tree rooted at `root`. */
export function cpuTicks(root: number): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const pid of processTree(root)) {
    const stat = readStat(pid);
    if (stat) ticks.set(pid, stat.ticks);
  }
  return ticks;
}

/** CPU milliseconds spent between two {@link cpuTicks} snapshots (processes born in between count whole). */
export function cpuMillisecondsBetween(
  before: Map<number, number>,
  after: Map<number, number>,
): number {
  let total = 0;
  for (const [pid, ticks] of after) total += ticks - (before.get(pid) ?? 0);
  return (total * 1000) / clockTicks;
}

/**
 * Busy CPU time of the whole machine (every CPU, every process, the kernel's own work included),
 * in milliseconds since boot: `/proc/stat`'s first line, all but idle and iowait.
 */
export function machineBusyMilliseconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').slice(0, 200).split('\n', 1)[0]?.split(/\s+/);
  if (!fields) return 0;
  // cpu user nice system idle iowait irq softirq steal …
  const [user, nice, system, , , irq, softirq, steal] = fields.slice(1, 9).map(Number);
  return (
    (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) *
      1000) /
    clockTicks
  );
}

function statusKilobytes(pid: number, file: string, key: string): number {
  try {
    const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/${file}`, 'utf8'),
    );
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Memory of a process and of its tree, in bytes. PSS shares pages common to several processes. */
export function memory(root: number): {
  rss: number;
  treeRss: number;
  treePss: number;
  processes: number;
} {
  const tree = processTree(root);
  let treeRss = 0;
  let treePss = 0;
  for (const pid of tree) {
    treeRss += statusKilobytes(pid, 'status', 'VmRSS') * 1024;
    treePss += statusKilobytes(pid, 'smaps_rollup', 'Pss') * 1024;
  }
  return {
    rss: statusKilobytes(root, 'status', 'VmRSS') * 1024,
    treeRss,
    treePss,
    processes: tree.length,
  };
}

/**
 * Starts `node ARGS` and resolves once it serves: when it prints `LISTENING <port>` (our own
 * servers), or, with `port` given, when that port accepts connections (the npm peers).
 */
export async function startNode(
  name: string,
  args: string[],
  options: { port?: number; timeoutMs?: number; cwd?: string } = {},
): Promise<StartedProcess & { port: number }> {
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stderr?.on('data', keep);
  const process_: StartedProcess = {
    name,
    child,
    pid: child.pid as number,
    output: () => output,
  };
  started.add(process_);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${output}`)),
      timeoutMs,
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early (${code ?? signal}):\n${output}`));
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      keep(chunk);
      const match = /LISTENING (\d+)/.exec(output);
      if (match && options.port === undefined) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    if (options.port !== undefined) {
      const wanted = options.port;
      const probe = () => {
        const socket = connect(wanted, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          clearTimeout(timer);
          resolve(wanted);
        });
        socket.once('error', () => {
          socket.destroy();
          setTimeout(probe, 100);
        });
      };
      probe();
    }
  });
  child.removeAllListeners('exit');
  return { ...process_, port };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a started process and its whole tree: SIGTERM to the root (a graceful exit, so gateways
 * stop their children and `--cpu-prof` writes its profile), then SIGKILL to whatever of the tree
 * (as seen before the stop) is still alive after `graceMs`.
 */
export async function stopProcess(target: StartedProcess, graceMs = 5000): Promise<void> {
  started.delete(target);
  const tree = processTree(target.pid);
  if (!alive(target.pid)) return;
  const exited = new Promise<void>((resolve) => {
    if (target.child.exitCode !== null || target.child.signalCode !== null) resolve();
    else target.child.once('exit', () => resolve());
  });
  target.child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
  for (const pid of [...tree, ...(alive(target.pid) ? processTree(target.pid) : [])]) {
    if (alive(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
}

/** Stops every process started by {@link startNode} and not stopped yet. */
export async function stopAll(graceMs = 5000): Promise<void> {
  await Promise.allSettled([...started].map((target) => stopProcess(target, graceMs)));
}

/** Last resort on exit: SIGKILL every tree still running (synchronous). */
export function killAllNow(): void {
  for (const target of started) {
    for (const pid of processTree(target.pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  }
  started.clear();
}

/** A free TCP port on 127.0.0.1 (for gateways that take `--port`). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
