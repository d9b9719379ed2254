/**
 * Starts `fedmcp serve` from source as a child process (as apps/cli's serve test does), waits
 * for its URL, and stops it and every process it started — also after a kill -9, when its
 * upstreams are left behind.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repositoryRoot, 'apps/cli/src/bin.ts');
const tsx = pathToFileURL(join(repositoryRoot, 'node_modules/tsx/dist/esm/index.mjs')).href;
export const everythingServer = join(
  repositoryRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

/** A running `fedmcp` process. */
export interface RunningCli {
  child: ChildProcess;
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

/** Runs the fedmcp CLI from source. */
export function startCli(args: string[], cwd: string): RunningCli {
  const child = spawn(
    process.execPath,
    ['--conditions=@fedmcp/source', '--import', tsx, bin, ...args],
    { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
    if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  return {
    child,
    pid: child.pid as number,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
  };
}

/** Polls `probe` until it returns a value (bounded). */
export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts `fedmcp serve --config <file>` and waits until it serves and its upstreams are ready. */
export async function startHub(
  configFile: string,
  cwd: string,
): Promise<{ cli: RunningCli; url: string }> {
  const cli = startCli(['serve', '--config', configFile], cwd);
  const url = await until(() => {
    if (cli.child.exitCode !== null) {
      throw new Error(`fedmcp serve exited: ${cli.stderr().slice(-2000)}`);
    }
    return cli.stdout().match(/serving at (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
  }, 'the serving URL');
  await until(() => (/everything\s+ready/.test(cli.stdout()) ? true : undefined), 'the upstream');
  return { cli, url };
}

const execFileAsync = promisify(execFile);

/** The process ids below `pid` (children, grandchildren …), from `ps`. */
export async function descendantsOf(pid: number): Promise<number[]> {
  const { stdout } = await execFileAsync('ps', ['-eo', 'pid=,ppid=']).catch(() => ({
    stdout: '',
  }));
  const children = new Map<number, number[]>();
  for (const line of stdout.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (child === undefined || parent === undefined) continue;
    children.set(parent, [...(children.get(parent) ?? []), child]);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

/** The command line of a process ('' when it is gone). */
export async function commandOf(pid: number): Promise<string> {
  const { stdout } = await execFileAsync('ps', ['-o', 'args=', '-p', String(pid)]).catch(() => ({
    stdout: '',
  }));
  return stdout.trim();
}

/** Kills a process and everything it started (SIGKILL), and waits until it has exited. */
export async function killTree(cli: RunningCli): Promise<void> {
  const below = await descendantsOf(cli.pid);
  if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill('SIGKILL');
  for (const pid of below) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await cli.exited;
}
