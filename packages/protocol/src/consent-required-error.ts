import { FedmcpError, type FedmcpErrorData } from './fedmcp-error.js';

/** Options of {@link ConsentRequiredError}. */
export interface ConsentRequiredErrorOptions {
  /** The namespaced name or URI that needs consent. */
  target: string;
  /** Where the user can give consent. */
  consentUrl?: string;
  /** Replaces the generated message (say what happened and what to do next). */
  message?: string;
  /** The underlying failure. */
  cause?: unknown;
  /** More structured details, merged into `error.data`. */
  data?: FedmcpErrorData;
}

/**
 * Thrown when the end user has to consent before an action can run. Code `CONSENT_REQUIRED`.
 *
 * @example
 * ```ts
 * throw new ConsentRequiredError({ target: 'gmail__send', consentUrl: 'https://hub.example/consent/123' });
 * ```
 */
export class ConsentRequiredError extends FedmcpError {
  static override readonly errorCode = 'CONSENT_REQUIRED' as const;

  constructor(options: ConsentRequiredErrorOptions) {
    super(
      'CONSENT_REQUIRED',
      options.message ??
        `The user has to consent before "${options.target}" can be used. ${options.consentUrl === undefined ? 'Grant consent, then retry.' : `Open ${options.consentUrl} to grant consent, then retry.`}`,
      {
        cause: options.cause,
        data: {
          ...{
            target: options.target,
            ...(options.consentUrl === undefined ? {} : { consentUrl: options.consentUrl }),
          },
          ...options.data,
        },
      },
    );
    this.name = 'ConsentRequiredError';
  }
}
