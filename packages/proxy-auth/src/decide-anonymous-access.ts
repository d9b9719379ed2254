/**
 * Whether the hub may accept requests without credentials (issue 6): only when explicitly
 * configured, or by default when it listens on loopback only — with a warning — and never by
 * default on another address, where the hub must refuse to start and say why.
 */
import { InvalidConfigError } from '@fedmcp/protocol';

/** Whether `host` (a bind address or host name) reaches only this machine. `0.0.0.0` and `::` do not. */
export function isLoopbackHost(host: string): boolean {
  const name = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return (
    name === 'localhost' ||
    name === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(name) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(name)
  );
}

/** Options of {@link decideAnonymousAccess}. */
export interface AnonymousAccessOptions {
  /** The address the hub listens on (`hub.host`). */
  host: string;
  /** Whether any authenticator (OAuth, API keys, mTLS) is configured. */
  authConfigured: boolean;
  /** The explicit setting (`auth.anonymous`), if any. @default undefined: decided by `host` */
  allowAnonymous?: boolean;
}

/** The outcome of {@link decideAnonymousAccess}. */
export interface AnonymousAccessDecision {
  /** Pass this as `allowAnonymous` to `authenticateRequest`. */
  allowAnonymous: boolean;
  /** A warning to log at startup, when the choice deserves one. */
  warning?: string;
}

/**
 * Decides anonymous access at startup.
 *
 * @throws {InvalidConfigError} when no authentication is configured, anonymous access is not
 * explicitly enabled and the hub would listen on a non-loopback address; or when anonymous access
 * is explicitly disabled and nothing could authenticate a caller.
 * @example
 * ```ts
 * const { allowAnonymous, warning } = decideAnonymousAccess({ host: config.hub.host, authConfigured: authenticators.length > 0 });
 * if (warning) logger.warn(warning);
 * ```
 */
export function decideAnonymousAccess(options: AnonymousAccessOptions): AnonymousAccessDecision {
  const loopback = isLoopbackHost(options.host);
  if (options.allowAnonymous === true) {
    return {
      allowAnonymous: true,
      ...(loopback
        ? {}
        : {
            warning: `Anonymous access is enabled (auth.anonymous: true) on ${options.host}, which other machines can reach: anyone who reaches it can use every tool the policy allows to "anonymous".`,
          }),
    };
  }
  if (options.allowAnonymous === false && !options.authConfigured) {
    throw new InvalidConfigError({
      path: 'auth',
      reason:
        'anonymous access is disabled but no authentication (oauth, apiKeys or mtls) is configured, so no caller could be accepted',
    });
  }
  if (options.authConfigured || options.allowAnonymous === false) return { allowAnonymous: false };
  if (loopback) {
    return {
      allowAnonymous: true,
      warning: `No authentication is configured: accepting anonymous requests because the hub listens on loopback (${options.host}) only. Configure auth (oauth, apiKeys or mtls) before listening on another address.`,
    };
  }
  throw new InvalidConfigError({
    path: 'auth',
    reason: `the hub would listen on ${options.host}, which other machines can reach, with no authentication configured. Configure auth (oauth, apiKeys or mtls), listen on 127.0.0.1, or set auth.anonymous: true to accept anyone explicitly`,
  });
}
