/**
 * The errors authenticators throw: `UnauthenticatedError` (`UNAUTHENTICATED`, HTTP 401) for
 * missing or invalid credentials and `PolicyDeniedError` (`POLICY_DENIED`, HTTP 403) for a valid
 * token that lacks a required scope. {@link authenticateRequest} adds the `WWW-Authenticate` value to their `data`.
 */
import { type FedmcpError, PolicyDeniedError, UnauthenticatedError } from '@fedmcp/protocol';
import type { BearerErrorCode } from './www-authenticate.js';

/** The `data` of an authentication error once {@link authenticateRequest} has answered it. */
export interface AuthenticationErrorData extends Record<string, unknown> {
  /** The status the HTTP host answers with: 401 or 403. */
  httpStatus: 401 | 403;
  /** The value of the `WWW-Authenticate` header to send. */
  wwwAuthenticate: string;
  /**
   * The response headers to send (`www-authenticate`, `cache-control: no-store`), for an HTTP host
   * that answers a thrown error itself: the `authenticate` hook of `@fedmcp/transports` takes a
   * refusal's headers from `data.headers`.
   */
  headers: Record<string, string>;
  /** The RFC 6750 error code; absent when no credentials were sent. */
  error?: BearerErrorCode;
  /** A short, fixed description of why the credential was refused (never echoes its content). */
  reason?: string;
  /** The scopes the request needs, for `insufficient_scope`. */
  requiredScopes?: string[];
}

/**
 * A presented credential is not valid (expired, wrong audience, bad signature, unknown API key…).
 * `reason` is a fixed phrase safe to show to the caller.
 */
export function invalidCredentialsError(reason: string, cause?: unknown): FedmcpError {
  return new UnauthenticatedError({
    reason,
    message: `The credentials are not valid: ${reason}. Obtain a new token from the authorization server (or check the API key) and retry.`,
    cause,
    data: { error: 'invalid_token' },
  });
}

/** A valid token lacks scopes the hub requires (RFC 6750 §3.1 `insufficient_scope`, HTTP 403). */
export function insufficientScopeError(requiredScopes: readonly string[]): FedmcpError {
  return new PolicyDeniedError({
    action: 'authenticate',
    message: `The token lacks a required scope (needs: ${requiredScopes.join(' ')}). Request a token with these scopes and retry.`,
    data: {
      error: 'insufficient_scope',
      reason: 'insufficient scope',
      requiredScopes: [...requiredScopes],
    },
  });
}
