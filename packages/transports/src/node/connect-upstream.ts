/**
 * `connectUpstream` for Node.js: everything the root entry does (URLs, with `ws` as the
 * WebSocket), plus stdio upstreams on a supervised child process that is restarted, with
 * exponential backoff and jitter, when it dies. After a restart the same `Client` object is
 * re-initialized on the new process (handlers stay registered); calls in flight when the process
 * died fail with a connection-closed error, and calls made while it is down fail with
 * not-connected: nothing hangs.
 */
import { childLogger } from '@fedmcp/protocol';
import {
  type ConnectUpstreamOptions,
  canceledIfAborted,
  connectUpstream as connectRemote,
  connectWithVerdict,
  createUpstreamClient,
  withFirstConnectLock,
} from '../connect-upstream.js';
import {
  computeRestartDelay,
  DEFAULT_RESTART_BACKOFF,
  type RestartBackoffOptions,
} from '../restart-backoff.js';
import type { UpstreamClient } from '../upstream-client.js';
import {
  isStdioUpstreamSpec,
  requestedRemoteTransport,
  type StdioUpstreamSpec,
  type UpstreamSpec,
  upstreamCacheKey,
} from '../upstream-spec.js';
import type { WebSocketConstructor } from '../websocket-client-transport.js';
import {
  createSupervisedStdioTransport,
  type StdioExit,
  type SupervisedStdioTransport,
} from './supervised-stdio-transport.js';

/** Reported when a supervised stdio upstream's process has exited. */
export interface UpstreamExitEvent extends StdioExit {
  /** Whether the supervisor will start it again. */
  willRestart: boolean;
  /** The restart attempt this exit leads to (1-based), when `willRestart`. */
  attempt?: number;
  /** The wait before that restart, in milliseconds, when `willRestart`. */
  delayMs?: number;
}

/** Reported when a supervised stdio upstream was restarted and the client re-initialized. */
export interface UpstreamRestartEvent {
  /** The attempt that succeeded (1-based; counts since the last stable run). */
  attempt: number;
  /** The new process id. */
  pid: number | null;
  /** Restarts so far over the client's life. */
  restarts: number;
}

/** Options of the Node {@link connectUpstream}: the root options plus stdio supervision. */
export interface NodeConnectUpstreamOptions extends ConnectUpstreamOptions {
  /**
   * Restart policy for stdio upstreams, or `false` to leave a dead process dead.
   * @default { maxRestarts: 5, initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.5, resetAfterMs: 60_000 }
   */
  restart?: RestartBackoffOptions | false;
  /**
   * Grace period between SIGTERM and SIGKILL when a stdio upstream is closed, in milliseconds.
   * @default 2_000
   */
  killGraceMs?: number;
  /**
   * The level a stdio upstream's stderr lines are logged at.
   * @default 'info'
   */
  stderrLogLevel?: 'debug' | 'info' | 'warn';
  /** Called when a stdio upstream's process exits (by itself or on close). */
  onExit?: (event: UpstreamExitEvent) => void;
  /**
   * Called after a stdio upstream was restarted and the client re-initialized on it: refresh
   * what you cached from it (tool lists, subscriptions).
   */
  onRestart?: (event: UpstreamRestartEvent) => void;
}

/**
 * Connects to an upstream MCP server from a Claude-Desktop-style entry and returns the connected
 * SDK v2 client: `{ command, args, env, cwd }` starts a supervised child process (stdio, `legacy`
 * era by default); `{ url, type, headers }` goes over Streamable HTTP (falling back to SSE) or
 * WebSocket. Close the client to stop it (for stdio: the whole process tree is killed).
 *
 * @throws FedmcpError `UPSTREAM_UNAVAILABLE` when the server cannot be started or reached (a
 * missing command names the command and the PATH to check).
 * @example
 * ```ts
 * const client = await connectUpstream(
 *   { command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] },
 *   { onRestart: () => refreshTools() },
 * );
 * await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
 * await client.close();
 * ```
 */
export async function connectUpstream(
  spec: UpstreamSpec,
  options: NodeConnectUpstreamOptions = {},
): Promise<UpstreamClient> {
  if (!isStdioUpstreamSpec(spec)) {
    // `ws` is loaded for ws/wss upstreams only (a hub without one does not carry it in memory).
    const WebSocket =
      options.WebSocket ??
      (requestedRemoteTransport(spec) === 'websocket'
        ? ((await import('ws')).default as unknown as WebSocketConstructor)
        : undefined);
    return connectRemote(spec, { ...options, ...(WebSocket ? { WebSocket } : {}) });
  }
  const client = await createUpstreamClient(options);
  const supervisor = new StdioSupervisor(client, spec, options);
  try {
    // Only an `auto` probe is worth running alone (the legacy default never probes).
    const cache = options.era === 'auto' ? options.verdictCache : undefined;
    await withFirstConnectLock(cache, supervisor.key, async () => {
      try {
        await supervisor.connect();
      } catch (error) {
        // `auto` probes in place: a server that exits on any request before `initialize` (some
        // SDKs do) closes mid-probe. That is legacy evidence: start it again, on `initialize`.
        if (options.era !== 'auto' || !isProbeClosed(error) || client.closed) throw error;
        supervisor.era = 'legacy';
        await supervisor.connect();
        options.verdictCache?.set(supervisor.key, {
          transport: 'stdio',
          prior: { kind: 'legacy' },
        });
      }
    });
  } catch (error) {
    await client.close().catch(() => {});
    throw canceledIfAborted(error, options.signal) ?? error;
  }
  return client;
}

function isProbeClosed(error: unknown): boolean {
  const candidate = error as { code?: unknown; message?: unknown };
  return (
    candidate?.code === 'ERA_NEGOTIATION_FAILED' &&
    typeof candidate.message === 'string' &&
    candidate.message.includes('connection closed')
  );
}

/** Keeps one stdio upstream alive for one client: connect, watch, restart with backoff. */
class StdioSupervisor {
  readonly key: string;
  /** The era to connect with (switched to `legacy` when an `auto` probe kills the server). */
  era: NodeConnectUpstreamOptions['era'];
  readonly #client: UpstreamClient;
  readonly #spec: StdioUpstreamSpec;
  readonly #options: NodeConnectUpstreamOptions;
  readonly #restart: Required<RestartBackoffOptions> | false;
  readonly #logger;
  #current: SupervisedStdioTransport | undefined;
  #connecting = false;
  #stopped = false;
  #attempt = 0;
  #upSince = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    client: UpstreamClient,
    spec: StdioUpstreamSpec,
    options: NodeConnectUpstreamOptions,
  ) {
    this.#client = client;
    this.#spec = spec;
    this.#options = options;
    this.key = options.cacheKey ?? upstreamCacheKey(spec);
    this.era = options.era;
    this.#restart =
      options.restart === false ? false : { ...DEFAULT_RESTART_BACKOFF, ...options.restart };
    this.#logger = childLogger(options.logger, { upstream: spec.command });
    client.addCloseHook(() => this.#stop());
  }

  async connect(): Promise<void> {
    const transport = createSupervisedStdioTransport({
      command: this.#spec.command,
      args: this.#spec.args,
      env: this.#spec.env,
      cwd: this.#spec.cwd,
      logger: this.#options.logger,
      killGraceMs: this.#options.killGraceMs,
      stderrLogLevel: this.#options.stderrLogLevel,
      onExit: (exit) => this.#onExit(transport, exit),
    });
    this.#current = transport;
    this.#connecting = true;
    try {
      await connectWithVerdict(this.#client, transport, 'stdio', this.key, {
        ...this.#options,
        era: this.era,
      });
    } finally {
      this.#connecting = false;
    }
    this.#client.pid = transport.pid ?? undefined;
    this.#upSince = Date.now();
    // Closed while connecting: the close hook ran before this transport was attached.
    if (this.#stopped) await transport.close();
  }

  #onExit(transport: SupervisedStdioTransport, exit: StdioExit): void {
    // Exits of a transport being connected are handled by the failed connect (see #restartLater).
    if (transport !== this.#current || this.#connecting) return;
    if (exit.expected || this.#stopped || this.#restart === false) {
      this.#options.onExit?.({ ...exit, willRestart: false });
      return;
    }
    this.#scheduleRestart(exit);
  }

  #scheduleRestart(exit: StdioExit): void {
    const policy = this.#restart;
    if (policy === false || this.#stopped) return;
    if (this.#upSince > 0 && Date.now() - this.#upSince >= policy.resetAfterMs) this.#attempt = 0;
    this.#upSince = 0;
    this.#attempt++;
    if (this.#attempt > policy.maxRestarts) {
      this.#logger.error(
        { restarts: policy.maxRestarts },
        'upstream keeps dying; giving up restarting it (connect it again to retry)',
      );
      this.#options.onExit?.({ ...exit, willRestart: false });
      return;
    }
    const attempt = this.#attempt;
    const delayMs = computeRestartDelay(attempt, policy);
    this.#options.onExit?.({ ...exit, willRestart: true, attempt, delayMs });
    this.#logger.warn({ attempt, delayMs }, 'restarting upstream');
    this.#timer = setTimeout(() => void this.#restartNow(attempt), delayMs);
  }

  async #restartNow(attempt: number): Promise<void> {
    this.#timer = undefined;
    if (this.#stopped) return;
    try {
      await this.connect();
    } catch (error) {
      if (this.#stopped) return;
      this.#logger.warn({ err: error, attempt }, 'upstream restart failed');
      this.#scheduleRestart({ code: null, signal: null, expected: false, pid: undefined });
      return;
    }
    if (this.#stopped) return;
    this.#client.restarts++;
    this.#options.onRestart?.({
      attempt,
      pid: this.#current?.pid ?? null,
      restarts: this.#client.restarts,
    });
  }

  async #stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current?.close();
  }
}
