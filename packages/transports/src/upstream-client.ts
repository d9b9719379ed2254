/**
 * The SDK v2 `Client` that `connectUpstream` returns: a plain `Client` (every SDK method works,
 * `instanceof Client` holds) with per-request defaults (timeout, reset on progress), what it is
 * connected over, and a `close()` that also stops a stdio supervisor.
 */

import type {
  ClientOptions,
  ConnectOptions,
  Implementation,
  RequestOptions,
  Transport,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/client';
import { applyRequestDefaults, calledFromFailedHandshake } from './sdk-seams.js';
import type { UpstreamTransportKind } from './upstream-spec.js';

/** Defaults applied to every request the client sends, unless the call overrides them. */
export interface UpstreamRequestDefaults {
  /**
   * Per-request timeout in milliseconds.
   * @default 60_000
   */
  timeoutMs?: number;
  /**
   * Whether a progress notification restarts the timeout (long tools that report progress
   * do not time out). Takes effect for calls that pass `onprogress`.
   * @default true
   */
  resetTimeoutOnProgress?: boolean;
  /**
   * A hard cap on a request's total time, progress or not, in milliseconds.
   * @default undefined (no cap)
   */
  maxTotalTimeoutMs?: number;
}

/** Options of the {@link UpstreamClient} constructor. */
export interface UpstreamClientOptions extends ClientOptions {
  /** Defaults applied to every request. */
  requestDefaults?: UpstreamRequestDefaults;
}

/** The default per-request timeout: 60 s, as the SDK's. */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000;

/**
 * An SDK v2 `Client` for one upstream. Create it with `createUpstreamClient` (unconnected, so you
 * can register request handlers first) or get it connected from `connectUpstream`.
 */
export class UpstreamClient extends Client {
  /** The transport the client is connected over; `undefined` before the first connect. */
  transportKind: UpstreamTransportKind | undefined;
  /** How many times a supervised stdio upstream was restarted and re-initialized. */
  restarts = 0;
  /** The process id of a stdio upstream's current process (also its process group id). */
  pid: number | undefined;
  #closeHooks: Array<() => void | Promise<void>> = [];
  #closed = false;
  #connectAttempts = 0;

  constructor(clientInfo: Implementation, options: UpstreamClientOptions = {}) {
    const { requestDefaults, ...clientOptions } = options;
    super(clientInfo, clientOptions);
    const defaults: RequestOptions = {
      timeout: requestDefaults?.timeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
      resetTimeoutOnProgress: requestDefaults?.resetTimeoutOnProgress ?? true,
      ...(requestDefaults?.maxTotalTimeoutMs !== undefined && {
        maxTotalTimeout: requestDefaults.maxTotalTimeoutMs,
      }),
    };
    // Every SDK request gets the defaults (see the seam).
    applyRequestDefaults(this, defaults);
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Registers work to run when the client is closed, before the transport closes (used by the
   * stdio supervisor to stop restarting).
   * @internal
   */
  addCloseHook(hook: () => void | Promise<void>): void {
    this.#closeHooks.push(hook);
  }

  /**
   * `connect()`, marked as one of ours: while it runs, the SDK's own `close()` after a failed
   * handshake only closes the transport, so the client stays usable for the next attempt (an SSE
   * fallback, a stdio restart) instead of being closed for good.
   * @internal
   */
  async connectAttempt(transport: Transport, options?: ConnectOptions): Promise<void> {
    this.#connectAttempts++;
    try {
      await this.connect(transport, options);
    } finally {
      this.#connectAttempts--;
    }
  }

  /** Closes the connection; for stdio, stops supervision and kills the server's process tree. */
  override async close(): Promise<void> {
    // The SDK's own close after a failed handshake (see the seam) only closes the transport.
    if (this.#connectAttempts > 0 && calledFromFailedHandshake()) {
      await super.close();
      return;
    }
    this.#closed = true;
    const hooks = this.#closeHooks.splice(0);
    await Promise.allSettled(hooks.map((hook) => hook()));
    await super.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
