import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link RateLimitedError}. */
export interface RateLimitedErrorOptions {
  /** How long to wait before retrying, in milliseconds. */
  retryAfterMs?: number;
  /** The limit that was hit, e.g. `'60/min'`. */
  limit?: string;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when a caller exceeds its rate limit. Code `RATE_LIMITED`.
 *
 * @example
 * ```ts
 * throw new RateLimitedError({ retryAfterMs: 2_000, limit: '60/min' });
 * ```
 */
export class RateLimitedError extends FedmcpError {
  static override readonly errorCode = 'RATE_LIMITED' as const;

  constructor(options: RateLimitedErrorOptions = {}) {
    super(
      'RATE_LIMITED',
      options.message ??
        `Rate limit exceeded${options.limit === undefined ? '' : ` (${options.limit})`}. ${options.retryAfterMs === undefined ? 'Slow down and retry later.' : `Retry after ${Math.ceil(options.retryAfterMs / 1000)} s.`}`,
      {
        cause: options.cause,
        data: {
          ...{
            ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }),
            ...(options.limit === undefined ? {} : { limit: options.limit }),
          },
          ...options.data,
        },
      },
    );
    this.name = 'RateLimitedError';
  }
}
