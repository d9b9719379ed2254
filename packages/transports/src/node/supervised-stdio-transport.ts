/**
 * A stdio client transport for one life of a local MCP server: the child is spawned in its own
 * process group (so closing kills the whole tree: SIGTERM, then SIGKILL after a grace period),
 * with only the SDK's default environment plus the spec's `env`, its stderr logged line by line,
 * and a clear error when the command does not exist. Restarts are the job of `connectUpstream`
 * (the client must re-initialize on a new process), which creates one of these per life.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { FedmcpError } from '@fedmcp/protocol';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/client';
import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { childTransportLogger, type TransportLogger } from '../transport-logger.js';

/** How a supervised child ended. */
export interface StdioExit {
  /** The exit code, or `null` when a signal ended it. */
  code: number | null;
  /** The signal that ended it, or `null`. */
  signal: NodeJS.Signals | null;
  /** True when `close()` asked for it; false when the process died by itself. */
  expected: boolean;
  /** The process id it had. */
  pid: number | undefined;
}

/** Options of {@link createSupervisedStdioTransport}. */
export interface SupervisedStdioTransportOptions {
  /** The executable, looked up on the child's `PATH`. */
  command: string;
  /**
   * Its arguments.
   * @default []
   */
  args?: string[];
  /**
   * Variables added to the child's environment, which otherwise holds only the SDK's safe
   * defaults (`HOME`, `LOGNAME`, `PATH`, `SHELL`, `TERM`, `USER`): secrets in the parent's
   * environment do not leak to upstream servers.
   * @default {}
   */
  env?: Record<string, string>;
  /**
   * The child's working directory.
   * @default the parent's
   */
  cwd?: string;
  /**
   * How long `close()` waits after SIGTERM before sending SIGKILL to the process group.
   * @default 2_000
   */
  killGraceMs?: number;
  /**
   * The largest message accepted on stdout, in bytes; a larger one is reported and dropped.
   * @default 10 MiB
   */
  maxMessageBytes?: number;
  /**
   * Logger; the child's stderr lines are logged with `{ stream: 'stderr', pid }`.
   * @default silent
   */
  logger?: TransportLogger;
  /**
   * The level the child's stderr lines are logged at.
   * @default 'info'
   */
  stderrLogLevel?: 'debug' | 'info' | 'warn';
  /**
   * Called once when the child has exited and its pipes are closed (after the transport's
   * `onclose`, before `close()` resolves).
   */
  onExit?: (exit: StdioExit) => void;
}

/** The default grace period between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 2_000;

/**
 * A v2 SDK `Transport` over a supervised child process. It exposes `pid` and `stderr`, so the SDK
 * treats it as stdio (a silent `auto` probe means a legacy server) and probes in place.
 */
export class SupervisedStdioTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: JSONRPCMessage) => void) | undefined;

  readonly #options: SupervisedStdioTransportOptions;
  readonly #logger: TransportLogger;
  readonly #readBuffer: ReadBuffer;
  #child: ChildProcess | undefined;
  #closing = false;
  #exited: Promise<StdioExit> | undefined;
  #closeNotified = false;
  #settled: Promise<void> | undefined;

  constructor(options: SupervisedStdioTransportOptions) {
    this.#options = options;
    this.#logger = childTransportLogger(options.logger, { command: options.command });
    this.#readBuffer = new ReadBuffer({ maxBufferSize: options.maxMessageBytes });
  }

  /** The child's process id (also its process group id), once started. */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** The child's stderr stream (already consumed by the line logger). */
  get stderr(): NodeJS.ReadableStream | null {
    return this.#child?.stderr ?? null;
  }

  /** Resolves with how the child ended; `undefined` before `start()`. */
  get exited(): Promise<StdioExit> | undefined {
    return this.#exited;
  }

  start(): Promise<void> {
    if (this.#child) {
      throw new Error('SupervisedStdioTransport already started; Client.connect() starts it.');
    }
    const { command, args = [], cwd } = this.#options;
    if (this.#closing) {
      // Closed before it started (a restart racing a close): never spawn.
      return Promise.reject(
        new FedmcpError('TRANSPORT_CLOSED', `Not starting "${command}": the transport is closed.`),
      );
    }
    const env = { ...getDefaultEnvironment(), ...this.#options.env };
    return new Promise<void>((resolve, reject) => {
      const child = spawn(command, args, {
        env,
        cwd,
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group: close() signals the group, so the server's own children die too.
        detached: process.platform !== 'win32',
        shell: false,
        windowsHide: true,
      });
      this.#child = child;
      let spawned = false;
      this.#exited = new Promise<StdioExit>((resolveExit) => {
        child.once('exit', (code, signal) => {
          const exit: StdioExit = { code, signal, expected: this.#closing, pid: child.pid };
          if (!this.#closing) {
            this.#logger.warn({ pid: child.pid, code, signal }, 'upstream process exited');
            // The server may have left children behind in its group: reap the tree.
            signalGroup(child, 'SIGKILL');
          }
          resolveExit(exit);
          // 'close' follows once stdout and stderr drain; a descendant outside the group that
          // still holds them must not keep the transport open.
          setTimeout(() => {
            child.stdout?.destroy();
            child.stderr?.destroy();
          }, 1_000).unref();
        });
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        if (spawned) {
          this.onerror?.(error);
          return;
        }
        const failure = spawnError(error, command, env.PATH, cwd);
        reject(failure);
        this.onerror?.(failure);
        this.#exited = Promise.resolve({
          code: null,
          signal: null,
          expected: false,
          pid: undefined,
        });
        this.#notifyClose();
      });
      child.once('spawn', () => {
        spawned = true;
        resolve();
      });
      this.#settled = new Promise<void>((resolveSettled) => {
        child.once('close', () => {
          void this.#exited?.then((exit) => {
            this.#notifyClose();
            this.#options.onExit?.(exit);
            resolveSettled();
          });
        });
      });
      child.stdout?.on('data', (chunk: Buffer) => {
        try {
          this.#readBuffer.append(chunk);
        } catch (error) {
          this.onerror?.(error as Error);
          void this.close();
          return;
        }
        for (;;) {
          let message: JSONRPCMessage | null;
          try {
            message = this.#readBuffer.readMessage();
          } catch (error) {
            this.onerror?.(error as Error);
            continue;
          }
          if (message === null) break;
          this.onmessage?.(message);
        }
      });
      child.stdin?.on('error', (error) => {
        // EPIPE after the child died: the exit handler reports the closure.
        if (!this.#closing) this.#logger.debug({ err: error }, 'upstream stdin error');
      });
      if (child.stderr) {
        const lines = createInterface({ input: child.stderr, crlfDelay: Number.POSITIVE_INFINITY });
        const level = this.#options.stderrLogLevel ?? 'info';
        lines.on('line', (line) => this.#logger[level]({ stream: 'stderr', pid: child.pid }, line));
      }
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || this.#closing || !stdin.writable) {
      throw new FedmcpError(
        'TRANSPORT_CLOSED',
        `Cannot send to "${this.#options.command}": the process is not running.`,
      );
    }
    // The callback runs once the data is flushed (back-pressure), or with EPIPE if the child died.
    await new Promise<void>((resolve, reject) => {
      stdin.write(serializeMessage(message), (error) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * Stops the server: closes its stdin, sends SIGTERM to its process group, and SIGKILL after
   * `killGraceMs` if it is still alive; resolves once it has exited (no zombie left).
   */
  async close(): Promise<void> {
    const child = this.#child;
    if (!child || !this.#exited) {
      this.#closing = true;
      this.#notifyClose();
      return;
    }
    const alreadyExited = child.exitCode !== null || child.signalCode !== null;
    if (!this.#closing && !alreadyExited) {
      this.#closing = true;
      try {
        child.stdin?.end();
      } catch {
        // already closed
      }
      signalGroup(child, 'SIGTERM');
      const grace = this.#options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
      const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), grace);
      timer.unref();
      void this.#exited.finally(() => clearTimeout(timer));
    }
    this.#closing = true;
    await this.#exited;
    // Anything left in the group (a grandchild that ignored SIGTERM) goes now.
    signalGroup(child, 'SIGKILL');
    await this.#settled;
    this.#readBuffer.clear();
    this.#notifyClose();
  }

  #notifyClose(): void {
    if (this.#closeNotified) return;
    this.#closeNotified = true;
    this.onclose?.();
  }
}

/**
 * Creates a supervised stdio transport (one process life). See {@link SupervisedStdioTransport}.
 *
 * @example
 * ```ts
 * const transport = createSupervisedStdioTransport({ command: 'node', args: ['server.js'], logger });
 * await client.connect(transport);
 * ```
 */
export function createSupervisedStdioTransport(
  options: SupervisedStdioTransportOptions,
): SupervisedStdioTransport {
  return new SupervisedStdioTransport(options);
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    if (process.platform === 'win32') child.kill(signal);
    else process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function spawnError(
  error: NodeJS.ErrnoException,
  command: string,
  path: string | undefined,
  cwd: string | undefined,
): FedmcpError {
  if (error.code === 'ENOENT') {
    return new FedmcpError(
      'UPSTREAM_UNAVAILABLE',
      `Cannot start the MCP server "${command}": command not found (ENOENT)${cwd ? ` or working directory "${cwd}" missing` : ''}. Check the command name, and that it is on the PATH the server gets (${path ?? 'PATH unset'}); or give an absolute path.`,
      { cause: error, data: { command, errno: 'ENOENT' } },
    );
  }
  if (error.code === 'EACCES') {
    return new FedmcpError(
      'UPSTREAM_UNAVAILABLE',
      `Cannot start the MCP server "${command}": permission denied (EACCES). Check that the file is executable.`,
      { cause: error, data: { command, errno: 'EACCES' } },
    );
  }
  return new FedmcpError(
    'UPSTREAM_UNAVAILABLE',
    `Cannot start the MCP server "${command}": ${error.message}.`,
    { cause: error, data: { command, errno: error.code } },
  );
}
