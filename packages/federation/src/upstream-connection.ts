/**
 * One connection to an upstream (stdio: one process): the SDK client on it, how it is held
 * (leased by one interactive call, or shared by plain calls), and raw JSON-RPC requests sent
 * past the SDK client (the forwarding fast path).
 */
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
}

interface PendingRaw {
  resolve(response: JSONRPCResponse): void;
  reject(error: unknown): void;
}

/** One connection (stdio: one process) to an upstream. */
export class UpstreamConnection {
  client: Client | undefined;
  /** Held exclusively by one interactive call (set synchronously when leased, before `flow`). */
  leased = false;
  /** Non-interactive calls in flight. */
  plainCalls = 0;
  /** The downstream session owning this connection (`isolation: 'per-session'`). */
  owner: object | undefined;
  idleSince = Date.now();
  closed = false;
  /** Raw requests waiting for their response, by id. */
  readonly rawPending = new Map<string, PendingRaw>();
  #rawCounter = 0;
  constructor(readonly upstream: Upstream) {}

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
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!isIntercepted(transport)) this.intercept(transport);
    this.#rawCounter += 1;
    const id = `${RAW_ID_PREFIX}${this.#rawCounter}`;
    return new Promise<JSONRPCResponse>((resolve, reject) => {
      const cancel = (reason: unknown, error: unknown) => {
        if (!this.rawPending.delete(id)) return;
        finish();
        transport
          .send({
            jsonrpc: '2.0',
            method: 'notifications/cancelled',
            params: { requestId: id, reason: String(reason) },
          })
          .catch(() => {});
        reject(error);
      };
      const timer = setTimeout(
        () =>
          cancel(
            'timeout',
            new SdkError(SdkErrorCode.RequestTimeout, 'Request timed out', { timeout: timeoutMs }),
          ),
        timeoutMs,
      );
      const onAbort = () => cancel(signal?.reason ?? 'aborted', signal?.reason);
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.rawPending.set(id, {
        resolve: (response) => {
          finish();
          resolve(response);
        },
        reject: (error) => {
          finish();
          reject(error);
        },
      });
      const message = (
        params === undefined
          ? { jsonrpc: '2.0', id, method }
          : { jsonrpc: '2.0', id, method, params }
      ) as JSONRPCMessage;
      transport.send(message).catch((error: unknown) => {
        const pending = this.rawPending.get(id);
        if (!pending) return;
        this.rawPending.delete(id);
        pending.reject(
          new SdkError(SdkErrorCode.SendFailed, 'Sending the request failed.', undefined, {
            cause: error,
          }),
        );
      });
    });
  }

  /** Routes responses to raw requests on `transport` to their callers (see `interceptResponses`). */
  intercept(transport: Transport): void {
    interceptResponses(transport, (id, response) => {
      const pending = this.rawPending.get(id);
      if (!pending) return;
      this.rawPending.delete(id);
      pending.resolve(response);
    });
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
