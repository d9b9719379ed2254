/**
 * A bound on the requests a hub has in flight to one peer. Calls between hubs ride the runtime's
 * keep-alive connection pool (Node's `fetch` keeps connections to a peer open and reuses them);
 * that pool opens one more connection for each request sent while all are busy, without limit. A
 * burst of calls would then open as many connections to the peer, whose host sheds those beyond
 * its per-address budget with 503. Here the requests beyond `maxConcurrentRequests` wait, in
 * order, for one to be answered: a slot is held from the moment a request is sent until its
 * response headers arrive (not while a body streams, so long-lived SSE streams never starve the
 * calls), and a request whose signal aborts while it waits leaves the queue with the abort
 * reason. Web-standard: nothing here depends on Node.
 */

/** Options of {@link createBoundedFetch}. */
export interface BoundedFetchOptions {
  /** The fetch underneath. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Most requests waiting for their response headers at once; `0` or `Infinity`: no bound. */
  maxConcurrentRequests: number;
}

/** A bounded fetch, with its state for diagnostics. */
export interface BoundedFetch {
  (input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
  /** Requests sent and not yet answered. */
  readonly inFlight: number;
  /** Requests waiting for a slot. */
  readonly waiting: number;
}

/**
 * Wraps a fetch so that at most `maxConcurrentRequests` requests wait for their response headers at
 * once; see the file comment.
 *
 * @example
 * ```ts
 * const toPeer = createBoundedFetch({ maxConcurrentRequests: 64 });
 * await toPeer('https://eu.example.com/mcp', { method: 'POST', body });
 * ```
 */
export function createBoundedFetch(options: BoundedFetchOptions): BoundedFetch {
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const limit = options.maxConcurrentRequests;
  const unbounded = !(limit > 0) || limit === Number.POSITIVE_INFINITY;
  let inFlight = 0;
  const queue: Array<() => void> = [];

  const release = () => {
    const next = queue.shift();
    if (next) next();
    else inFlight -= 1;
  };

  const acquire = (signal: AbortSignal | null | undefined): Promise<void> => {
    if (inFlight < limit) {
      inFlight += 1;
      return Promise.resolve();
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      // The slot passes straight from the releasing request to this one (inFlight unchanged).
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = queue.indexOf(grant);
        if (index >= 0) queue.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      queue.push(grant);
    });
  };

  const bounded = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    if (unbounded) return fetchImplementation(input, init);
    await acquire(init?.signal ?? (input instanceof Request ? input.signal : undefined));
    try {
      return await fetchImplementation(input, init);
    } finally {
      release();
    }
  };
  return Object.defineProperties(bounded, {
    inFlight: { get: () => inFlight },
    waiting: { get: () => queue.length },
  }) as BoundedFetch;
}
