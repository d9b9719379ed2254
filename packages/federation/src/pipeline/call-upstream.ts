/**
 * Stage 4 of the pipeline — the one way a request reaches an upstream, for every kind of
 * request, the fast path included: acquire a connection (the shared primary, or a lease for a
 * tools/call: shared by plain calls, exclusive to an interactive one), send (through the SDK
 * client, or raw JSON-RPC for the fast paths and for an interactive call's flow to a 2025-era
 * upstream), relay progress, cancel with the caller's signal, time out (reset by progress), keep
 * the circuit breaker's books, release the connection, and turn any failure into the error the
 * client gets.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { JSONRPCResponse } from '@modelcontextprotocol/client';
import { ResultSchema } from '@modelcontextprotocol/core';
import type { Result } from '@modelcontextprotocol/server';
import { hubError, isTransportFailure, upstreamError } from '../errors.js';
import { endCallSpan, type SpannedCall, startCallSpan } from '../observe/request-spans.js';
import type { Upstream } from '../upstream.js';
import type {
  AttributedCall,
  RawCancellation,
  UpstreamConnection,
} from '../upstream-connection.js';

type Params = Record<string, unknown>;

/** How a call holds its connection. */
export interface Lease {
  /** Exclusive (its client can answer server→client requests) or shared by plain calls. */
  interactive: boolean;
  /** Per-session isolation: the downstream session whose own connection is used. */
  owner?: object;
}

/** One request to an upstream. */
export interface UpstreamCall {
  upstream: Upstream;
  method: string;
  params: Params;
  /**
   * Aborts the request (downstream cancellation): the upstream gets `notifications/cancelled`.
   * A raw request may take `cancellation` instead; any other needs the signal to be cancelled.
   */
  signal?: AbortSignal;
  /**
   * The same as `signal` without an `AbortSignal`, for a raw request (a Streamable HTTP host's
   * `McpFastRequestExtra.cancellation`: no controller built and listened to per forwarded call).
   */
  cancellation?: RawCancellation;
  /** A tools/call's lease; without one the request goes on the shared primary connection. */
  lease?: Lease;
  /** Upstream progress, as the upstream sent it (its token, not the client's). */
  onprogress?: (progress: Params) => void;
  /** Called with the leased connection before the request is sent (an interactive call binds to it). */
  onConnection?: (connection: UpstreamConnection) => void;
  /** The schema the result is parsed with. @default any MCP result */
  resultSchema?: { parse(value: unknown): unknown };
  /** Relay as raw JSON-RPC and resolve with the upstream's response message (the fast path). */
  raw?: boolean;
  /**
   * A shared call whose client can answer questions: placed where only its party's calls run
   * when possible, and tracked on its connection while it runs (see `UpstreamConnection.asker`).
   */
  asker?: AttributedCall;
}

const NOT_ABORTED = Object.freeze({ aborted: false });

/**
 * The party a call's connection must serve alone: an attributed call's session while its tool
 * may still ask (attributed-questions.ts). A quiet tool's call (`mayShare`) shares connections as
 * a plain call does — the shared primary first, no connection opened for it: spreading one
 * session's quiet calls over `maxConnections` stdio processes cost an interactive client's calls
 * at c=32 ~15 % of their throughput and four processes' memory on a 2-core machine (issue #18,
 * `pnpm bench gateway/independent`); a question such a tool asks after all is still attributed
 * when only one session's calls are in flight on the connection, refused otherwise.
 */
function partyOf(call: UpstreamCall): object | undefined {
  const { asker } = call;
  return asker !== undefined && !asker.mayShare ? asker.party : undefined;
}

/** Acquires a connection for a call (see {@link Lease}). */
async function acquire(call: UpstreamCall): Promise<UpstreamConnection> {
  const { upstream, lease } = call;
  if (!lease) return upstream.primary();
  try {
    const party = partyOf(call);
    return await upstream.acquire(
      lease.interactive,
      lease.owner,
      // A waiting acquire reads only `aborted` (upstream-pool.ts `PoolSignal`), which a host's
      // cancellation has too: no signal is built for it.
      call.signal ?? call.cancellation ?? NOT_ABORTED,
      party && { party, exclusive: true, spread: call.asker?.asks === true },
    );
  } catch (error) {
    // Opening an extra connection failed: the upstream is unavailable for this call.
    const mapped = upstreamError(error, upstream.id);
    if (mapped.jsonRpcCode !== -32603) throw mapped;
    throw hubError(
      'UPSTREAM_UNAVAILABLE',
      `Could not open a connection to upstream "${upstream.id}": ${mapped.message}`,
      { upstream: upstream.id },
    );
  }
}

/**
 * Sends one request upstream (see the file comment).
 * @throws FedmcpError what the client gets: the upstream's own JSON-RPC error, or
 * `REQUEST_TIMEOUT`, `UPSTREAM_UNAVAILABLE`, `CANCELED`.
 */
export function callUpstream(call: UpstreamCall & { raw: true }): Promise<JSONRPCResponse>;
export function callUpstream(call: UpstreamCall): Promise<Result>;
export function callUpstream(call: UpstreamCall): Promise<Result | JSONRPCResponse> {
  // A client span when the request it is made for has a recording span (observe/request-spans);
  // without one, the send's own promise (no extra async frame on the hot path).
  const spanned = startCallSpan(call.upstream.id, call.method, call.params);
  return spanned ? sendSpanned(call, spanned) : send(call);
}

/** {@link send} inside a client span. */
async function sendSpanned(
  call: UpstreamCall,
  spanned: SpannedCall,
): Promise<Result | JSONRPCResponse> {
  try {
    const answer = await send({ ...call, params: spanned.params });
    const error = call.raw ? (answer as { error?: JsonRpcErrorObject }).error : undefined;
    endCallSpan(
      spanned.span,
      error
        ? { ok: false, error: FedmcpError.fromJsonRpcError(error) }
        : { ok: true, result: answer },
    );
    return answer;
  } catch (error) {
    endCallSpan(spanned.span, { ok: false, error });
    throw error;
  }
}

type JsonRpcErrorObject = { code: number; message: string; data?: unknown };

/** Acquires a connection, sends, and releases it (see the file comment). */
async function send(call: UpstreamCall): Promise<Result | JSONRPCResponse> {
  const { upstream, lease } = call;
  const onprogress = call.onprogress && increasingOnly(call.onprogress);
  // A plain call on the free shared primary is claimed at once (no promise of acquire's own).
  const connection =
    (lease && upstream.acquireNow(lease.interactive, lease.owner, partyOf(call))) ||
    (await acquire(call));
  const untrack = call.asker ? connection.track(call.asker) : undefined;
  if (!lease) connection.unleasedCalls += 1;
  try {
    call.onConnection?.(connection);
    const answer = call.raw
      ? await connection.rawRequest(call.method, call.params, {
          signal: call.signal,
          cancellation: call.cancellation,
          timeoutMs: upstream.timeoutMs,
          ...(onprogress ? { onprogress } : {}),
        })
      : ((await connection.client!.request(
          { method: call.method, params: call.params },
          (call.resultSchema ?? ResultSchema) as typeof ResultSchema,
          {
            signal: call.signal,
            timeout: upstream.timeoutMs,
            resetTimeoutOnProgress: true,
            ...(onprogress ? { onprogress } : {}),
          },
        )) as Result);
    upstream.recordSuccess();
    return answer;
  } catch (error) {
    if (isTransportFailure(error)) upstream.recordFailure(error);
    throw upstreamError(error, upstream.id) satisfies FedmcpError;
  } finally {
    untrack?.();
    if (lease) upstream.release(connection, lease.interactive);
    else connection.unleasedCalls -= 1;
  }
}

/**
 * Relays a call's progress only when it increases (MCP 2025-11-25 basic/utilities/progress: "The
 * progress value MUST increase with each notification"). An upstream may deliver one notification
 * more than once — a resumed SSE stream whose event store replays events the hub already had
 * (server-everything's replays every event after `Last-Event-ID`, of all the session's streams)
 * — and the client would see the same progress again at every hop.
 */
function increasingOnly(onprogress: (progress: Params) => void): (progress: Params) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (progress) => {
    const value = progress.progress;
    if (typeof value === 'number') {
      if (value <= last) return;
      last = value;
    }
    onprogress(progress);
  };
}
