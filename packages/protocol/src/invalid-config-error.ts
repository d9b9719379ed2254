import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link InvalidConfigError}. */
export interface InvalidConfigErrorOptions {
  /** What is wrong. */
  reason: string;
  /** The path of the bad key, e.g. `'mcpServers.github.url'`. */
  path?: string;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when configuration (or a factory option) is invalid. Code `INVALID_CONFIG`.
 *
 * @example
 * ```ts
 * throw new InvalidConfigError({ path: 'upstreams.0.id', reason: 'must match [a-z0-9][a-z0-9-]{0,31}' });
 * ```
 */
export class InvalidConfigError extends FedmcpError {
  static override readonly errorCode = 'INVALID_CONFIG' as const;

  constructor(options: InvalidConfigErrorOptions) {
    super(
      'INVALID_CONFIG',
      options.message ??
        `Invalid configuration${options.path === undefined ? '' : ` at "${options.path}"`}: ${options.reason}. Fix the configuration and try again.`,
      {
        cause: options.cause,
        data: {
          ...{
            reason: options.reason,
            ...(options.path === undefined ? {} : { path: options.path }),
          },
          ...options.data,
        },
      },
    );
    this.name = 'InvalidConfigError';
  }
}
