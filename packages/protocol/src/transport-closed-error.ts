import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link TransportClosedError}. */
export interface TransportClosedErrorOptions {
  /** Why the connection closed, if known. */
  reason?: string;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when a connection closes before the response to a request arrived. Code `TRANSPORT_CLOSED`.
 *
 * @example
 * ```ts
 * throw new TransportClosedError({ reason: 'stdio child exited with code 1' });
 * ```
 */
export class TransportClosedError extends FedmcpError {
  static override readonly errorCode = 'TRANSPORT_CLOSED' as const;

  constructor(options: TransportClosedErrorOptions = {}) {
    super(
      'TRANSPORT_CLOSED',
      options.message ??
        `The connection closed before the response arrived${options.reason === undefined ? '' : ` (${options.reason})`}. Retry once the connection is re-established.`,
      {
        cause: options.cause,
        data: {
          ...{ ...(options.reason === undefined ? {} : { reason: options.reason }) },
          ...options.data,
        },
      },
    );
    this.name = 'TransportClosedError';
  }
}
