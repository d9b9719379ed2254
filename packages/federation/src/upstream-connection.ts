/**
 * One connection to an upstream (stdio: one process): the SDK client on it, how it is held
 * (leased by one interactive call, or shared by plain calls), and raw JSON-RPC requests sent
 * past the SDK client (the forwarding fast path).
 */
import { FedmcpError } from '@fedmcp/protocol';
import {
  type Client,
  type JSONRPCMessage,
  type JSONRPCResponse,
  SdkError,
  SdkErrorCode,
  type Transport,
} from '@modelcontextprotocol/client';
import { interceptResponses, isIntercepted, RAW_ID_PREFIX } from './sdk-seams.js';
import type { Upstream } from './upstream.js';

/** Options of {@link UpstreamConnection.rawRequest}. */
export interface RawRequestOptions {
  /** How long to wait for the response; then the request is cancelled upstream and rejected. */
  timeoutMs: number;
  /** Aborting cancels the request upstream (`notifications/cancelled`) and rejects it. */
  signal?: AbortSignal;
  /**
   * The same as `signal`, without an `AbortSignal` (a Streamable HTTP host's
   * `McpFastRequestExtra.cancellation`: no signal built and listened to per forwarded call).
   */
  cancellation?: RawCancellation;
  /**
   * The request's progress (asked for with the request's id as its token), as the upstream sent
   * it; each one restarts the timeout (as the SDK's `resetTimeoutOnProgress`).
   */
  onprogress?: (progress: Record<string, unknown>) => void;
}

/**
 * A call on a shared connection whose client can answer server→client requests (the fast path of
 * an interactive client): tracked while it runs, so a question arriving on the connection can be
 * attributed to it when nothing else could have asked (see {@link UpstreamConnection.asker}).
 */
export interface AttributedCall {
  /** Who made the call (a downstream session). */
  readonly party: object;
  /** The upstream's own name of the tool called (remembered when a question is ambiguous). */
  readonly name: string;
  /**
   * Whether the call may share a connection with other parties' calls (its tool has answered
   * often without asking anything); otherwise it waits for a connection only its party uses.
   */
  readonly mayShare: boolean;
  /**
   * Whether its tool has asked a question before: then each of a session's concurrent calls gets
   * a connection of its own while under `maxConnections`, so a question goes to the very call
   * that asked, not to the session's oldest one.
   */
  readonly asks?: boolean;
  /** Relays a server→client request to the call's client; `signal` ends the wait. */
  ask(method: string, params: Record<string, unknown>, signal: AbortSignal): Promise<unknown>;
}

/** The attributed calls of one party on a connection. */
interface PartyCalls {
  readonly calls: Set<AttributedCall>;
  /** Aborted when the party's last call on the connection ends (its questions are moot). */
  settled: AbortController | undefined;
}

/** Who a question arriving on a connection belongs to (see {@link UpstreamConnection.asker}). */
export type QuestionOwner =
  | { call: AttributedCall; calls: AttributedCall[]; signal: AbortSignal }
  | { ambiguous: AttributedCall[] }
  | undefined;

/** A request's cancellation as state and listeners (`McpCancellation` of `@fedmcp/transports`). */
export interface RawCancellation {
  readonly aborted: boolean;
  readonly reason: unknown;
  watch(listener: { cancelled(reason: unknown): void }): void;
  unwatch(listener: { cancelled(reason: unknown): void }): void;
}

interface PendingRaw {
  resolve(response: JSONRPCResponse): void;
  reject(error: unknown): void;
}

/** Whether `map` holds no key but `key` (or nothing). */
function onlyKey(map: ReadonlyMap<object, unknown>, key: object): boolean {
  return map.size === 0 || (map.size === 1 && map.has(key));
}

/** One connection (stdio: one process) to an upstream. */
export class UpstreamConnection {
  client: Client | undefined;
  /** Held exclusively by one interactive call (set synchronously when leased, before `flow`). */
  leased = false;
  /** Non-interactive calls in flight. */
  plainCalls = 0;
  /** Requests without a lease in flight here (lists, reads, prompts: any of them may ask too). */
  unleasedCalls = 0;
  /** The downstream session owning this connection (`isolation: 'per-session'`). */
  owner: object | undefined;
  idleSince = Date.now();
  closed = false;
  /** Raw requests waiting for their response, by id. */
  readonly rawPending = new Map<string, PendingRaw>();
  /** Progress handlers of raw requests, by token (the request's id). */
  readonly #rawProgress = new Map<string, (progress: Record<string, unknown>) => void>();
  #rawCounter = 0;
  /** The timeouts of raw requests: one timer for all of them (see {@link RawDeadlines}). */
  readonly #deadlines = new RawDeadlines();
  /** Listeners of inbound notifications (see {@link UpstreamConnection.tapNotifications}). */
  readonly #taps = new Set<(method: string, params: Record<string, unknown>) => boolean>();
  /** Attributed calls in flight, by party (they count among `plainCalls` too). */
  readonly #parties = new Map<object, PartyCalls>();
  #attributed = 0;
  /**
   * Attributed calls the pool placed here whose caller has not tracked them yet (it does once
   * `acquire` returns, a few microtasks later), by party: they count as that party's calls, so
   * the session's next call, placed in between, still finds the connection its own.
   */
  readonly #reserved = new Map<object, number>();
  #reservedCalls = 0;
  constructor(readonly upstream: Upstream) {}

  /** Counts a call of `party` placed here as that party's until {@link track} takes it over. */
  reserve(party: object): void {
    this.#reserved.set(party, (this.#reserved.get(party) ?? 0) + 1);
    this.#reservedCalls += 1;
  }

  /** Tracks an attributed call while it runs on this connection; returns its untracking. */
  track(call: AttributedCall): () => void {
    const reserved = this.#reserved.get(call.party);
    if (reserved !== undefined) {
      if (reserved > 1) this.#reserved.set(call.party, reserved - 1);
      else this.#reserved.delete(call.party);
      this.#reservedCalls -= 1;
    }
    let party = this.#parties.get(call.party);
    if (!party) {
      party = { calls: new Set(), settled: undefined };
      this.#parties.set(call.party, party);
    }
    party.calls.add(call);
    this.#attributed += 1;
    const tracked = party;
    return () => {
      if (!tracked.calls.delete(call)) return;
      this.#attributed -= 1;
      if (tracked.calls.size > 0) return;
      this.#parties.delete(call.party);
      tracked.settled?.abort();
    };
  }

  /** Whether an attributed call of `party` is in flight here. */
  serves(party: object): boolean {
    return this.#parties.has(party);
  }

  /** Whether every call in flight here (if any) is one of `party`'s attributed calls. */
  servesOnly(party: object): boolean {
    if (this.plainCalls === 0) return true;
    if (this.plainCalls !== this.#attributed + this.#reservedCalls) return false;
    return (
      (this.#parties.has(party) || this.#reserved.has(party)) &&
      onlyKey(this.#parties, party) &&
      onlyKey(this.#reserved, party)
    );
  }

  /**
   * Who a server→client request arriving on this (shared) connection belongs to. stdio says
   * nothing on the wire about which request a question serves, so it is attributed only when it
   * cannot be anyone else's: every call in flight is an attributed call of one party (the
   * question goes to that party's oldest call, and is settled when the party's last call here
   * ends). Calls of several parties, or calls not attributed (a plain client's), make it
   * `ambiguous` (never asked: it could be another principal's question); `undefined` when no
   * attributed call runs here.
   */
  asker(): QuestionOwner {
    if (this.#attributed === 0) return undefined;
    const first = this.#parties.values().next().value as PartyCalls;
    if (
      this.#parties.size > 1 ||
      this.plainCalls !== this.#attributed ||
      this.unleasedCalls > 0 ||
      this.leased
    ) {
      return { ambiguous: [...this.#parties.values()].flatMap((party) => [...party.calls]) };
    }
    first.settled ??= new AbortController();
    const call = first.calls.values().next().value as AttributedCall;
    return { call, calls: [...first.calls], signal: first.settled.signal };
  }

  /**
   * Sends one JSON-RPC request as it is and resolves with the upstream's response message (a
   * result or an error, carrying this request's own id), outside the SDK client's request
   * machinery (no result validation, no progress or task handling): the forwarding fast path of
   * a plain `tools/call`. Rejects like the SDK would (`SdkError` `REQUEST_TIMEOUT`,
   * `CONNECTION_CLOSED`, `SEND_FAILED`; the signal's reason when aborted); on timeout or abort
   * the upstream gets `notifications/cancelled` (MCP 2025-11-25 basic/utilities/cancellation).
   */
  rawRequest(
    method: string,
    params: Record<string, unknown> | undefined,
    options: RawRequestOptions,
  ): Promise<JSONRPCResponse> {
    const transport = this.client?.transport;
    if (this.closed || !transport) {
      return Promise.reject(
        new SdkError(SdkErrorCode.ConnectionClosed, 'The upstream connection is closed.'),
      );
    }
    const { signal, cancellation } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (cancellation?.aborted) return Promise.reject(cancellation.reason);
    if (!isIntercepted(transport)) this.intercept(transport);
    this.#rawCounter += 1;
    const id = `${RAW_ID_PREFIX}${this.#rawCounter}`;
    const call = new RawCall(this, transport, id, options);
    const promise = new Promise<JSONRPCResponse>((resolve, reject) => {
      call.settle = resolve;
      call.fail = reject;
    });
    if (options.onprogress) {
      this.#rawProgress.set(id, (progress) => call.progress(progress));
      // MCP 2025-11-25 basic/utilities/progress: the token is the request's own (unique) id.
      const meta = params?._meta as Record<string, unknown> | undefined;
      params = { ...params, _meta: { ...meta, progressToken: id } };
    }
    // No `{ once: true }` (`finish` removes it either way): Node parses an options object on
    // every add, some 10-30% of adding this per-call listener (issue #13 profile).
    signal?.addEventListener('abort', call);
    cancellation?.watch(call);
    this.rawPending.set(id, call);
    this.#deadlines.add(call, options.timeoutMs);
    const message = (
      params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params }
    ) as JSONRPCMessage;
    transport.send(message).catch(call.sendFailed);
    return promise;
  }

  /** Progress handlers of raw requests (for {@link RawCall}). @internal */
  get rawProgress(): Map<string, (progress: Record<string, unknown>) => void> {
    return this.#rawProgress;
  }

  /** The timeouts of this connection's raw requests (for {@link RawCall}). @internal */
  get rawDeadlines(): RawDeadlines {
    return this.#deadlines;
  }

  /** Routes responses to raw requests on `transport` to their callers (see `interceptResponses`). */
  intercept(transport: Transport): void {
    interceptResponses(
      transport,
      (id, response) => {
        const pending = this.rawPending.get(id);
        if (!pending) return;
        this.rawPending.delete(id);
        pending.resolve(response);
      },
      (token, progress) => this.#rawProgress.get(token)?.(progress),
      (method, params) => [...this.#taps].some((tap) => tap(method, params)),
    );
  }

  /**
   * Shows each inbound notification to `tap` before the SDK client (`true` consumes it), for
   * streams the hub opened with {@link UpstreamConnection.rawRequest}; returns the untap.
   */
  tapNotifications(tap: (method: string, params: Record<string, unknown>) => boolean): () => void {
    const transport = this.client?.transport;
    if (transport && !isIntercepted(transport)) this.intercept(transport);
    this.#taps.add(tap);
    return () => this.#taps.delete(tap);
  }

  /** Rejects every raw request still waiting (the connection closed). */
  failRawRequests(): void {
    if (this.rawPending.size === 0) return;
    const pending = [...this.rawPending.values()];
    this.rawPending.clear();
    for (const waiting of pending) {
      waiting.reject(
        new SdkError(SdkErrorCode.ConnectionClosed, 'The upstream connection closed.'),
      );
    }
  }
}

/**
 * One raw request in flight (see {@link UpstreamConnection.rawRequest}): its pending entry, its
 * abort listener (an `EventListener` object and a cancellation listener: no closure per call),
 * and its place in the connection's {@link RawDeadlines}.
 */
class RawCall implements PendingRaw {
  settle!: (response: JSONRPCResponse) => void;
  fail!: (error: unknown) => void;
  /** When it times out (`Date.now()` time), while in the deadline list. */
  deadline = 0;
  timeoutMs: number;
  previous: RawCall | undefined;
  next: RawCall | undefined;
  #done = false;

  constructor(
    private readonly connection: UpstreamConnection,
    private readonly transport: Transport,
    readonly id: string,
    private readonly options: RawRequestOptions,
  ) {
    this.timeoutMs = options.timeoutMs;
  }

  resolve(response: JSONRPCResponse): void {
    if (!this.#finish()) return;
    this.settle(response);
  }

  reject(error: unknown): void {
    if (!this.#finish()) return;
    this.fail(error);
  }

  /** The signal's `abort` event (an `EventListener` object). */
  handleEvent(): void {
    const reason = this.options.signal?.reason;
    this.#cancel(reason ?? 'aborted', reason);
  }

  /** The cancellation's listener. */
  cancelled(reason: unknown): void {
    this.#cancel(reason ?? 'aborted', reason);
  }

  timedOut(): void {
    this.#cancel(
      'timeout',
      new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', { timeout: this.timeoutMs }),
    );
  }

  /** The progress handler (each one restarts the timeout, as the SDK's `resetTimeoutOnProgress`). */
  progress(progress: Record<string, unknown>): void {
    if (this.#done) return;
    this.connection.rawDeadlines.add(this, this.timeoutMs);
    this.options.onprogress?.(progress);
  }

  readonly sendFailed = (error: unknown): void => {
    if (this.connection.rawPending.get(this.id) !== this) return;
    this.connection.rawPending.delete(this.id);
    // The hub's own error raised while sending (a per-user OAuth upstream whose token was revoked
    // asks the caller to sign in again: -32042) reaches the caller as the SDK client's request
    // would pass it on; any other failure is the transport's.
    this.reject(
      FedmcpError.isInstance(error)
        ? error
        : new SdkError(SdkErrorCode.SendFailed, 'Sending the request failed.', undefined, {
            cause: error,
          }),
    );
  };

  /** Cancels it upstream (MCP 2025-11-25 basic/utilities/cancellation) and rejects it. */
  #cancel(reason: unknown, error: unknown): void {
    if (!this.connection.rawPending.delete(this.id)) return;
    this.transport
      .send({
        jsonrpc: '2.0',
        method: 'notifications/cancelled',
        params: { requestId: this.id, reason: String(reason) },
      })
      .catch(() => {});
    this.reject(error);
  }

  /** Ends its watches; `false` when it had ended already. */
  #finish(): boolean {
    if (this.#done) return false;
    this.#done = true;
    const { signal, cancellation, onprogress } = this.options;
    this.connection.rawDeadlines.delete(this);
    signal?.removeEventListener('abort', this);
    cancellation?.unwatch(this);
    if (onprogress) this.connection.rawProgress.delete(this.id);
    return true;
  }
}

/**
 * The timeouts of one connection's raw requests, in a list ordered by deadline, under one timer
 * armed for the earliest: a request adds and removes itself (no `setTimeout` and `clearTimeout`
 * per call, which showed in profiles of plain calls), and the timer, when it fires, times out
 * what is due and re-arms for what is left. Requests with the same timeout join at the end.
 */
class RawDeadlines {
  #first: RawCall | undefined;
  #last: RawCall | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the timer fires (`Date.now()` time). */
  #armedFor = Number.POSITIVE_INFINITY;

  /** Adds (or moves) `call`, due `timeoutMs` from now. */
  add(call: RawCall, timeoutMs: number): void {
    if (call.deadline !== 0) this.delete(call);
    const deadline = Date.now() + timeoutMs;
    call.deadline = deadline;
    let after = this.#last;
    while (after !== undefined && after.deadline > deadline) after = after.previous;
    call.previous = after;
    call.next = after === undefined ? this.#first : after.next;
    if (call.next) call.next.previous = call;
    else this.#last = call;
    if (after) after.next = call;
    else this.#first = call;
    if (deadline < this.#armedFor) this.#arm(deadline);
  }

  /** Removes `call` (it settled); the timer stays armed until it fires or is needed earlier. */
  delete(call: RawCall): void {
    if (call.deadline === 0) return;
    call.deadline = 0;
    if (call.previous) call.previous.next = call.next;
    else this.#first = call.next;
    if (call.next) call.next.previous = call.previous;
    else this.#last = call.previous;
    call.previous = undefined;
    call.next = undefined;
  }

  #arm(deadline: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#armedFor = deadline;
    this.#timer = setTimeout(this.#fire, Math.max(0, deadline - Date.now()));
    // Like the SDK's request timeouts, it does not keep the process alive on its own.
    this.#timer.unref?.();
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const now = Date.now();
    for (let call = this.#first; call !== undefined && call.deadline <= now; call = this.#first) {
      this.delete(call);
      call.timedOut();
    }
    if (this.#first) this.#arm(this.#first.deadline);
  };
}
