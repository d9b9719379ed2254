import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link UpstreamUnavailableError}. */
export interface UpstreamUnavailableErrorOptions {
  /** The id of the upstream or peer. */
  upstreamId: string;
  /** Why it is unavailable, e.g. `'connection refused'`, `'circuit open'`. */
  reason?: string;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when an upstream server or peer hub cannot be reached, its circuit is open, or it went away. Code `UPSTREAM_UNAVAILABLE`.
 *
 * @example
 * ```ts
 * throw new UpstreamUnavailableError({ upstreamId: 'github', reason: 'connection refused' });
 * ```
 */
export class UpstreamUnavailableError extends FedmcpError {
  static override readonly errorCode = 'UPSTREAM_UNAVAILABLE' as const;

  constructor(options: UpstreamUnavailableErrorOptions) {
    super(
      'UPSTREAM_UNAVAILABLE',
      options.message ??
        `Upstream "${options.upstreamId}" is unavailable${options.reason === undefined ? '' : `: ${options.reason}`}. Retry later; if this persists, check the upstream's health and configuration.`,
      {
        cause: options.cause,
        data: {
          ...{
            upstreamId: options.upstreamId,
            ...(options.reason === undefined ? {} : { reason: options.reason }),
          },
          ...options.data,
        },
      },
    );
    this.name = 'UpstreamUnavailableError';
  }
}
