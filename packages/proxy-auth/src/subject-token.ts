/**
 * The access token a principal authenticated with, for RFC 8693 token exchange only (the caller's
 * token is the `subject_token` sent to a configured authorization server, and nowhere else). It is
 * kept beside the principal object in a module-private `WeakMap`, not as a property of it:
 * principals are logged, audited and serialised, and a token on them would leak with them.
 */
import type { Principal } from './principal.js';

const accessTokens = new WeakMap<object, string>();

/** Records that `principal` was authenticated by the OAuth access token `token`. */
export function rememberAccessToken(principal: Principal, token: string): void {
  accessTokens.set(principal, token);
}

/**
 * The OAuth access token `principal` (as `authenticateRequest` returned it) authenticated with;
 * `undefined` for API keys, certificates, peer tokens and anonymous callers.
 */
export function accessTokenOf(principal: unknown): string | undefined {
  return typeof principal === 'object' && principal !== null
    ? accessTokens.get(principal)
    : undefined;
}
