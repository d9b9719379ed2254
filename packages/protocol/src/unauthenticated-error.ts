import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link UnauthenticatedError}. */
export interface UnauthenticatedErrorOptions {
  /** Why authentication failed, e.g. `'token expired'`. */
  reason?: string;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when a caller presents no credentials or invalid ones. Code `UNAUTHENTICATED`.
 *
 * @example
 * ```ts
 * throw new UnauthenticatedError({ reason: 'token expired' });
 * ```
 */
export class UnauthenticatedError extends FedmcpError {
  static override readonly errorCode = 'UNAUTHENTICATED' as const;

  constructor(options: UnauthenticatedErrorOptions = {}) {
    super(
      'UNAUTHENTICATED',
      options.message ??
        `Authentication required${options.reason === undefined ? '' : `: ${options.reason}`}. Send valid credentials (a bearer token or API key) and retry.`,
      {
        cause: options.cause,
        data: {
          ...{ ...(options.reason === undefined ? {} : { reason: options.reason }) },
          ...options.data,
        },
      },
    );
    this.name = 'UnauthenticatedError';
  }
}
