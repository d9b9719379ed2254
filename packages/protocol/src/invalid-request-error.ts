import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link InvalidRequestError}. */
export interface InvalidRequestErrorOptions {
  /** What is wrong with the request. */
  reason: string;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when a request is malformed or not allowed in the current state. Code `INVALID_REQUEST`.
 *
 * @example
 * ```ts
 * throw new InvalidRequestError({ reason: 'params.name is missing' });
 * ```
 */
export class InvalidRequestError extends FedmcpError {
  static override readonly errorCode = 'INVALID_REQUEST' as const;

  constructor(options: InvalidRequestErrorOptions) {
    super(
      'INVALID_REQUEST',
      options.message ?? `Invalid request: ${options.reason}. Fix the request and send it again.`,
      { cause: options.cause, data: { ...{ reason: options.reason }, ...options.data } },
    );
    this.name = 'InvalidRequestError';
  }
}
