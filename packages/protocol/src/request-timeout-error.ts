import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link RequestTimeoutError}. */
export interface RequestTimeoutErrorOptions {
  /** The timeout that elapsed, in milliseconds. */
  timeoutMs: number;
  /** The JSON-RPC method, e.g. `'tools/call'`. */
  method?: string;
  /** The upstream the request was sent to. */
  upstreamId?: string;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when a forwarded request does not complete within its timeout. Code `REQUEST_TIMEOUT`.
 *
 * @example
 * ```ts
 * throw new RequestTimeoutError({ timeoutMs: 30_000, method: 'tools/call', upstreamId: 'github' });
 * ```
 */
export class RequestTimeoutError extends FedmcpError {
  static override readonly errorCode = 'REQUEST_TIMEOUT' as const;

  constructor(options: RequestTimeoutErrorOptions) {
    super(
      'REQUEST_TIMEOUT',
      options.message ??
        `The request${options.method === undefined ? '' : ` "${options.method}"`}${options.upstreamId === undefined ? '' : ` to upstream "${options.upstreamId}"`} did not complete within ${options.timeoutMs} ms. Retry it, or raise the timeout if the operation is slow.`,
      {
        cause: options.cause,
        data: {
          ...{
            timeoutMs: options.timeoutMs,
            ...(options.method === undefined ? {} : { method: options.method }),
            ...(options.upstreamId === undefined ? {} : { upstreamId: options.upstreamId }),
          },
          ...options.data,
        },
      },
    );
    this.name = 'RequestTimeoutError';
  }
}
