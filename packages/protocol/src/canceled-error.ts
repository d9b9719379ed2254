import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link CanceledError}. */
export interface CanceledErrorOptions {
  /** Why it was canceled, e.g. the reason of `notifications/cancelled`. */
  reason?: string;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when a request is canceled by its caller (an aborted signal, `notifications/cancelled`). Code `CANCELED`.
 *
 * @example
 * ```ts
 * throw new CanceledError({ reason: 'user pressed stop' });
 * ```
 */
export class CanceledError extends FedmcpError {
  static override readonly errorCode = 'CANCELED' as const;

  constructor(options: CanceledErrorOptions = {}) {
    super(
      'CANCELED',
      options.message ??
        `The request was canceled by its caller${options.reason === undefined ? '' : `: ${options.reason}`}. Send it again if you still need the result.`,
      {
        cause: options.cause,
        data: {
          ...{ ...(options.reason === undefined ? {} : { reason: options.reason }) },
          ...options.data,
        },
      },
    );
    this.name = 'CanceledError';
  }
}
