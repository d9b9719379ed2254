/**
 * A stdio client transport for one life of a local MCP server: the child is spawned in its own
 * process group (so closing kills the whole tree: SIGTERM, then SIGKILL after a grace period),
 * with only the SDK's default environment plus the spec's `env`, its stderr logged line by line,
 * and a clear error when the command does not exist. Restarts are the job of `connectUpstream`
 * (the client must re-initialize on a new process), which creates one of these per life.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { childLogger, FedmcpError, type Logger } from '@fedmcp/protocol';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { getDefaultEnvironment } from '@modelcontextprotocol/client/stdio';
import { isJsonRpcMessageShape } from '../json-rpc-error.js';

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
  logger?: Logger;
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

const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** What {@link SupervisedStdioTransport.send} returns when the message is queued. */
const SENT: Promise<void> = Promise.resolve();
/** Unanswered requests tracked to tell an idle child from a busy one. */
const MAX_TRACKED_REQUESTS = 4_096;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/**
 * A v2 SDK `Transport` over a supervised child process. It exposes `pid` and `stderr`, so the SDK
 * treats it as stdio (a silent `auto` probe means a legacy server) and probes in place.
 */
export class SupervisedStdioTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: JSONRPCMessage) => void) | undefined;

  readonly #options: SupervisedStdioTransportOptions;
  readonly #logger: Logger;
  readonly #maxMessageBytes: number;
  /** Bytes of an incomplete line, waiting for the rest. */
  #pending: Buffer | undefined;
  /** Lines sent in this turn of the event loop, written together after its I/O (one write). */
  #outgoing: string[] = [];
  #flushScheduled = false;
  /**
   * The ids of requests sent and not answered (nor cancelled) yet: while there are none the
   * child is idle, and a request is written at once (see {@link SupervisedStdioTransport.send}).
   * At most {@link MAX_TRACKED_REQUESTS}.
   */
  readonly #unanswered = new Set<unknown>();
  #child: ChildProcess | undefined;
  #closing = false;
  #exited: Promise<StdioExit> | undefined;
  #closeNotified = false;
  #settled: Promise<void> | undefined;

  constructor(options: SupervisedStdioTransportOptions) {
    this.#options = options;
    this.#logger = childLogger(options.logger, { command: options.command });
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
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
      throw new FedmcpError(
        'INVALID_REQUEST',
        'SupervisedStdioTransport already started; Client.connect() starts it.',
      );
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
      child.stdout?.on('data', (chunk: Buffer) => this.#read(chunk));
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

  /**
   * Splits stdout into lines, one JSON-RPC message each (MCP basic/transports stdio). A line that
   * is not JSON is skipped (as the SDK does: some servers log to stdout); JSON that is not a
   * JSON-RPC message is reported through `onerror`. The message bodies are validated later, by
   * the SDK protocol layer and the handlers.
   */
  #read(chunk: Buffer): void {
    let buffer = chunk;
    if (this.#pending !== undefined) {
      if (this.#pending.length + chunk.length > this.#maxMessageBytes) {
        this.#pending = undefined;
        this.onerror?.(
          new FedmcpError(
            'PARSE_ERROR',
            `A message on stdout exceeds the limit of ${this.#maxMessageBytes} bytes`,
          ),
        );
        void this.close();
        return;
      }
      buffer = Buffer.concat([this.#pending, chunk]);
      this.#pending = undefined;
    }
    let start = 0;
    for (let end = buffer.indexOf(NEWLINE); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
      const stop = end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
      const line = buffer.toString('utf8', start, stop);
      start = end + 1;
      if (this.#closeNotified) return;
      this.#deliver(line);
    }
    if (start < buffer.length) {
      if (buffer.length - start > this.#maxMessageBytes) {
        this.onerror?.(
          new FedmcpError(
            'PARSE_ERROR',
            `A message on stdout exceeds the limit of ${this.#maxMessageBytes} bytes`,
          ),
        );
        void this.close();
        return;
      }
      this.#pending = buffer.subarray(start);
    }
  }

  #deliver(line: string): void {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      if (line.trim() !== '')
        this.#logger.debug({ line: line.slice(0, 200) }, 'non-JSON stdout line');
      return;
    }
    if (!isJsonRpcMessageShape(message)) {
      this.onerror?.(
        new FedmcpError('PARSE_ERROR', `Not a JSON-RPC message on stdout: ${line.slice(0, 200)}`),
      );
      return;
    }
    // An answer (a result or an error: no method) to one of our requests.
    if (this.#unanswered.size !== 0 && (message as { method?: unknown }).method === undefined) {
      this.#unanswered.delete((message as { id?: unknown }).id);
    }
    this.onmessage?.(message as JSONRPCMessage);
  }

  /** Not `async`: a send with room in the pipe returns one shared resolved promise. */
  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.#child?.stdin;
    if (!stdin || this.#closing || !stdin.writable) {
      return Promise.reject(
        new FedmcpError(
          'TRANSPORT_CLOSED',
          `Cannot send to "${this.#options.command}": the process is not running.`,
        ),
      );
    }
    const line = `${JSON.stringify(message)}\n`;
    const { id, method } = message as { id?: unknown; method?: unknown };
    if (method === undefined || id === undefined) {
      if (method === 'notifications/cancelled') {
        // MCP 2025-11-25 basic/utilities/cancellation: the child may never answer it.
        this.#unanswered.delete(
          (message as { params?: { requestId?: unknown } }).params?.requestId,
        );
      }
    } else if (this.#unanswered.size === 0 && !this.#flushScheduled) {
      // A request to an idle child (nothing sent is waiting for its answer, nothing queued) goes
      // out at once, in the turn that sent it: at c=1 it is the whole critical path, and the
      // child works on it while this turn's remaining work runs (issue #18). Requests sent
      // after it in the turn wait for the batch below, so a busy child (c=32) still gets one
      // write per turn.
      this.#unanswered.add(id);
      stdin.write(line);
      return stdin.writableNeedDrain ? this.#drained(stdin) : SENT;
    } else if (this.#unanswered.size < MAX_TRACKED_REQUESTS) {
      // Past the bound (requests the child never answered and nobody cancelled) a request is
      // not tracked: the child may then look idle while busy, which costs one more write.
      this.#unanswered.add(id);
    }
    // Messages sent in one turn of the event loop go out in one write after its I/O callbacks
    // (setImmediate, not nextTick: requests arriving on 32 sockets in one poll phase are sent
    // together, where a flush per socket callback made the pipe write ~14% of a hub's CPU at
    // c=32), with fewer wakeups of the child. A write error (EPIPE: the child died) surfaces as
    // the exit and onclose.
    this.#outgoing.push(line);
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(this.#flush);
    }
    // Back-pressure: wait while the pipe is full, as the SDK's stdio transport does.
    return stdin.writableNeedDrain ? this.#drained(stdin) : SENT;
  }

  /** Resolves once `stdin` has drained (or closed). */
  #drained(stdin: NodeJS.WritableStream): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        stdin.off('drain', done);
        stdin.off('close', done);
        resolve();
      };
      stdin.on('drain', done);
      stdin.on('close', done);
    });
  }

  readonly #flush = (): void => {
    this.#flushScheduled = false;
    const lines = this.#outgoing;
    if (lines.length === 0) return;
    this.#outgoing = [];
    const stdin = this.#child?.stdin;
    if (!stdin?.writable) return;
    stdin.write(lines.length === 1 ? (lines[0] as string) : lines.join(''));
  };

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
      this.#flush(); // what was sent before close() still goes out
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
    this.#pending = undefined;
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
