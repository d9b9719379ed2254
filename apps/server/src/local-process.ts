/**
 * Which process of this host left a file: the host part of its name, and whether a process id
 * still runs (the audit journal and the buffered audit sink's spill file name theirs so).
 */
import { hostname } from 'node:os';

/** The host name as a file name part: only `[A-Za-z0-9.]` (so `-` can separate the parts). */
export function fileSafeHostname(host: string = hostname()): string {
  return host.replace(/[^A-Za-z0-9.]/g, '_');
}

/** Whether a process of this host still runs (a signal-0 probe). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
