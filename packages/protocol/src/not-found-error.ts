import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link NotFoundError}. */
export interface NotFoundErrorOptions {
  /** What kind of thing was looked up, e.g. `'tool'`, `'prompt'`, `'resource'`, `'upstream'`, `'peer'`. */
  kind: string;
  /** The name, id or URI that was not found. */
  name: string;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when a named tool, prompt, resource, upstream or peer does not exist. Code `NOT_FOUND`.
 *
 * @example
 * ```ts
 * throw new NotFoundError({ kind: 'tool', name: 'github__create_isue' });
 * ```
 */
export class NotFoundError extends FedmcpError {
  static override readonly errorCode = 'NOT_FOUND' as const;

  constructor(options: NotFoundErrorOptions) {
    super(
      'NOT_FOUND',
      options.message ??
        `Unknown ${options.kind} "${options.name}". List the available ${options.kind}s and use one of those names.`,
      {
        cause: options.cause,
        data: { ...{ kind: options.kind, name: options.name }, ...options.data },
      },
    );
    this.name = 'NotFoundError';
  }
}
