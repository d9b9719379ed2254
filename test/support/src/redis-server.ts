/**
 * A throwaway `redis-server` on a free port of 127.0.0.1, for tests that stop and restart Redis
 * (outages) or need a database of their own, leaving the shared one on 6379 alone. No persistence
 * (`--save '' --appendonly no`): a restart starts empty, as `redis-cli shutdown nosave` + start
 * would in production without persistence.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** Whether `redis-server` and `redis-cli` are installed (a test needing them fails in CI without them). */
export function redisServerAvailable(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    execFileSync('redis-cli', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A free TCP port on 127.0.0.1 (bound once by the OS, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** A redis-server the test controls. */
export interface TestRedisServer extends AsyncDisposable {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Starts it (again) on the same port and waits until it answers PING. */
  start(): Promise<void>;
  /** `redis-cli shutdown nosave`, and waits until the process is gone. */
  stop(): Promise<void>;
  /** Runs `redis-cli` with these arguments against it; resolves its output. */
  cli(...args: string[]): string;
}

/** Starts a redis-server on a free port; dispose it (or `stop()`) to end it. */
export async function startTestRedisServer(): Promise<TestRedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const cli = (...args: string[]): string =>
    execFileSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  const start = async (): Promise<void> => {
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    child = started;
    exited = new Promise((resolve) => started.once('exit', () => resolve()));
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`redis-server on port ${port} exited`);
      try {
        if (cli('ping') === 'PONG') return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const stop = async (): Promise<void> => {
    if (!child || child.exitCode !== null) return;
    try {
      cli('shutdown', 'nosave');
    } catch {
      // redis-cli reports the closed connection of a shutdown as an error on some versions
    }
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop,
    cli,
    async [Symbol.asyncDispose]() {
      await stop();
      if (child && child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
