import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link PolicyDeniedError}. */
export interface PolicyDeniedErrorOptions {
  /** The action, e.g. `'tools/call'`. */
  action: string;
  /** The namespaced name or URI acted on, e.g. `'github__delete_repo'`. */
  target?: string;
  /** Who was denied (the end user or client id). */
  subject?: string;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when the access policy does not allow the caller to perform an action. Code `POLICY_DENIED`.
 *
 * @example
 * ```ts
 * throw new PolicyDeniedError({ action: 'tools/call', target: 'github__delete_repo', subject: 'alice' });
 * ```
 */
export class PolicyDeniedError extends FedmcpError {
  static override readonly errorCode = 'POLICY_DENIED' as const;

  constructor(options: PolicyDeniedErrorOptions) {
    super(
      'POLICY_DENIED',
      options.message ??
        `The access policy does not allow ${options.subject === undefined ? 'this caller' : `"${options.subject}"`} to perform "${options.action}"${options.target === undefined ? '' : ` on "${options.target}"`}. Ask a hub administrator to grant access if you need it.`,
      {
        cause: options.cause,
        data: {
          ...{
            action: options.action,
            ...(options.target === undefined ? {} : { target: options.target }),
            ...(options.subject === undefined ? {} : { subject: options.subject }),
          },
          ...options.data,
        },
      },
    );
    this.name = 'PolicyDeniedError';
  }
}
