/**
 * A fast request's abort as its handler sees it, shared by the 2025 fast path
 * (streamable-fast-path.ts) and the 2026-07-28 fast route (modern-fast-route.ts): the
 * `AbortController` is built only when the handler reads `signal` (a controller and its listener
 * per call were 1–2 % of the hub's time in profiles of plain calls), and `cancellation` tells the
 * same abort to listeners without any signal (`McpCancellation`: a raw call upstream watches it).
 * Until someone reads the signal or watches, a cancellation is only noted (the signal, once read,
 * starts aborted). The response's close (the client going away) is watched only once someone
 * asks: how is the subclass's (`watchClose` / `stopWatchingClose`).
 */
import type { ServerResponse } from 'node:http';
import type { McpCancellation, McpCancellationListener } from '../mcp-session-context.js';
import type { HostContext, ResponseCloseWatcher } from './host-context.js';

export abstract class LazyCancellation implements McpCancellation {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #watchers: McpCancellationListener[] | undefined;

  /** The request's signal: aborted on cancellation, or when the client goes away. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      if (this.#aborted) controller.abort(this.#reason);
      else this.watchClose();
    }
    return this.#controller.signal;
  }

  /** The same abort as {@link LazyCancellation.signal}, for listeners that need no `AbortSignal`. */
  get cancellation(): McpCancellation {
    return this;
  }

  /** Whether the request was cancelled (or its client went away while it was watched). */
  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  watch(listener: McpCancellationListener): void {
    if (this.#aborted) {
      listener.cancelled(this.#reason);
      return;
    }
    if (this.#watchers === undefined) this.#watchers = [listener];
    else this.#watchers.push(listener);
    // A response closed unfinished before it was watched aborts here, telling `listener` too.
    this.watchClose();
  }

  unwatch(listener: McpCancellationListener): void {
    const watchers = this.#watchers;
    if (watchers === undefined) return;
    const index = watchers.indexOf(listener);
    if (index !== -1) watchers.splice(index, 1);
  }

  /** Aborts the request (once): the signal, if built, and every watcher are told. */
  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason ?? new DOMException('This operation was aborted', 'AbortError');
    this.#controller?.abort(this.#reason);
    const watchers = this.#watchers;
    this.#watchers = undefined;
    if (watchers) for (const watcher of watchers) watcher.cancelled(this.#reason);
  }

  /** Stops watching the response and telling watchers (the request settled). */
  release(): void {
    this.#watchers = undefined;
    this.stopWatchingClose();
  }

  /** Starts watching the response's close (idempotent); aborts at once when it closed unfinished. */
  protected abstract watchClose(): void;
  /** Stops watching the response's close. */
  protected abstract stopWatchingClose(): void;
}

/**
 * A fast request of the Node host (the 2025 fast path's and the 2026-07-28 fast route's) whose
 * client going away is its response closing before its answer was written, watched through the
 * host's one close listener of every response (`HostContext.watchClose`): no listener is added
 * and removed per request (every forwarded call watches its cancellation).
 */
export abstract class ResponseCancellation
  extends LazyCancellation
  implements ResponseCloseWatcher
{
  /** Whether the host tells it when the response closes. */
  #watchingClose = false;

  constructor(
    protected readonly context: HostContext,
    protected readonly response: ServerResponse,
  ) {
    super();
  }

  /** The response closed while watched: cancelled if it closed before its answer was written. */
  responseClosed(): void {
    this.#watchingClose = false;
    if (!this.response.writableFinished) this.abort();
  }

  protected watchClose(): void {
    if (this.#watchingClose) return;
    const response = this.response;
    if (response.closed || response.destroyed) {
      // Closed already (the host told no one): cancelled if it closed before its answer.
      if (!response.writableFinished) this.abort();
      return;
    }
    this.#watchingClose = true;
    this.context.watchClose(response, this);
  }

  protected stopWatchingClose(): void {
    if (this.#watchingClose) {
      this.#watchingClose = false;
      this.context.unwatchClose(this.response);
    }
  }
}
