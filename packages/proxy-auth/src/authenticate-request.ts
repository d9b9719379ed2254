/**
 * The web-standard entry point of authentication: read the credentials of a request (the
 * `Authorization` header, `X-API-Key`, the TLS client certificate the host hands over), let the
 * configured authenticators turn them into a {@link Principal}, or throw the error the HTTP host
 * answers with (status and `WWW-Authenticate` in its `data`).
 */
import { FedmcpError, PolicyDeniedError, UnauthenticatedError } from '@fedmcp/protocol';
import { type AuthenticationErrorData, invalidCredentialsError } from './auth-errors.js';
import type { PeerCertificateLike } from './certificate-principal.js';
import { type AuthMethod, anonymousPrincipal, type Principal } from './principal.js';
import { rememberAccessToken } from './subject-token.js';
import { buildInsufficientScopeChallenge, buildUnauthorizedChallenge } from './www-authenticate.js';

/** Headers as a web `Headers` object or a Node `IncomingHttpHeaders`-like record (lowercase names). */
export type HeadersLike =
  | Headers
  | Readonly<Record<string, string | readonly string[] | undefined>>;

/** What {@link authenticateRequest} reads: a web `Request`, or anything with headers. */
export interface AuthenticationRequest {
  headers: HeadersLike;
  /**
   * The TLS client certificate (Node: `socket.getPeerCertificate()`), when the host asked for one.
   * Only used when `peerCertificateAuthorized` is true.
   */
  peerCertificate?: PeerCertificateLike | null;
  /** Whether the TLS layer verified the client certificate against the configured CA (Node: `socket.authorized`). */
  peerCertificateAuthorized?: boolean;
}

/** The credentials found on a request, handed to each {@link Authenticator}. */
export interface PresentedCredentials {
  /** The token of `Authorization: Bearer <token>` (never taken from the query string). */
  bearerToken?: string;
  /** The value of the `X-API-Key` header. */
  apiKey?: string;
  /** The verified TLS client certificate. */
  peerCertificate?: PeerCertificateLike;
  /** All headers, for custom authenticators. */
  headers: HeadersLike;
}

/**
 * Turns credentials into a principal. Resolve `undefined` when the request carries no credential
 * this authenticator handles; throw (see `invalidCredentialsError`, `insufficientScopeError`)
 * when it carries one that is not valid.
 */
export interface Authenticator {
  /** The method its principals carry. */
  readonly method: AuthMethod;
  authenticate(credentials: PresentedCredentials): Promise<Principal | undefined>;
}

/** Options of {@link authenticateRequest}. */
export interface AuthenticateRequestOptions {
  /** The URL of the Protected Resource Metadata document, sent in every challenge. @default omitted */
  resourceMetadataUrl?: string;
  /** Scopes to name in 401 challenges (what a new token should ask for). @default omitted */
  scope?: readonly string[];
  /**
   * Accept requests without any credential as the anonymous principal. Requests that present an
   * invalid credential are still refused. @default false
   */
  allowAnonymous?: boolean;
  /** Longest accepted credential in characters; longer ones are refused before any parsing. @default 16384 */
  maxCredentialLength?: number;
}

const DEFAULT_MAX_CREDENTIAL_LENGTH = 16_384;
// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token
const BEARER_PATTERN = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

function readHeader(headers: HeadersLike, name: string): string | readonly string[] | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as Headers).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  if (Object.hasOwn(record, name)) return record[name];
  // Node lowercases header names; a hand-built record may not.
  const key = Object.keys(record).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : record[key];
}

function single(value: string | readonly string[] | undefined): string | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (value.length === 0) return undefined;
  // Several headers of the same name are ambiguous: refuse rather than pick one.
  return value.length === 1 ? (value[0] ?? undefined) : null;
}

// Which refusal to report when several authenticators refuse: a missing scope (the token is
// valid) over a specific problem, over "another issuer" (only says this verifier is not the one).
function refusalRank(error: FedmcpError): number {
  if (error.code === 'POLICY_DENIED') return 2;
  return error.data?.reason === 'the token comes from another issuer' ? 0 : 1;
}

function challengeData(
  error: FedmcpError,
  options: AuthenticateRequestOptions,
  tokenPresented: boolean,
): AuthenticationErrorData {
  const data = (error.data ?? {}) as Partial<AuthenticationErrorData>;
  if (data.error === 'insufficient_scope') {
    const wwwAuthenticate = buildInsufficientScopeChallenge({
      resourceMetadataUrl: options.resourceMetadataUrl,
      scope: data.requiredScopes ?? options.scope ?? [],
    });
    return {
      ...data,
      httpStatus: 403,
      wwwAuthenticate,
      headers: challengeHeaders(wwwAuthenticate),
    };
  }
  const wwwAuthenticate = buildUnauthorizedChallenge({
    resourceMetadataUrl: options.resourceMetadataUrl,
    tokenPresented,
    errorDescription: data.reason,
    scope: options.scope,
  });
  return {
    ...data,
    httpStatus: 401,
    ...(tokenPresented ? { error: 'invalid_token' as const } : { error: undefined }),
    wwwAuthenticate,
    headers: challengeHeaders(wwwAuthenticate),
  };
}

// The same challenge under `data.headers`, where an HTTP host that is handed the thrown error
// (the `authenticate` hook of @fedmcp/transports) takes the response headers from.
function challengeHeaders(wwwAuthenticate: string): Record<string, string> {
  return { 'www-authenticate': wwwAuthenticate, 'cache-control': 'no-store' };
}

function answer(
  error: FedmcpError,
  options: AuthenticateRequestOptions,
  tokenPresented: boolean,
): FedmcpError {
  const data = challengeData(error, options, tokenPresented);
  if (data.error === undefined) delete data.error;
  return error.code === 'POLICY_DENIED'
    ? new PolicyDeniedError({
        action: 'authenticate',
        message: error.message,
        cause: error.cause,
        data,
      })
    : new UnauthenticatedError({ message: error.message, cause: error.cause, data });
}

/**
 * Authenticates a request with the first authenticator that recognises its credentials.
 *
 * - The bearer token comes only from the `Authorization` header (MCP forbids tokens in the query
 *   string); an API key may also come from `X-API-Key`; a client certificate only when the host
 *   says the TLS layer verified it.
 * - Every authenticator is asked in order; the first principal wins. When none accepts, the
 *   most specific refusal is thrown (a 403 for missing scopes over a 401).
 * - A request without credentials is refused with a 401 challenge without `error` (RFC 6750
 *   §3.1), unless `allowAnonymous` is set.
 *
 * @throws {FedmcpError} `UNAUTHENTICATED` (data.httpStatus 401) or `POLICY_DENIED` (data.httpStatus
 * 403, insufficient scope), with `data.wwwAuthenticate` holding the challenge to send.
 * @example
 * ```ts
 * try {
 *   const principal = await authenticateRequest(request, [jwtVerifier, apiKeys], { resourceMetadataUrl });
 * } catch (error) {
 *   const refusal = authenticationErrorResponse(error); // 401/403 with WWW-Authenticate
 *   if (refusal) return refusal;
 *   throw error;
 * }
 * ```
 */
export async function authenticateRequest(
  request: AuthenticationRequest,
  authenticators: readonly Authenticator[],
  options: AuthenticateRequestOptions = {},
): Promise<Principal> {
  const maxLength = options.maxCredentialLength ?? DEFAULT_MAX_CREDENTIAL_LENGTH;
  const authorization = single(readHeader(request.headers, 'authorization'));
  const apiKeyHeader = single(readHeader(request.headers, 'x-api-key'));
  const credentials: PresentedCredentials = { headers: request.headers };
  let tokenPresented = false;

  if (authorization === null || apiKeyHeader === null) {
    throw answer(
      invalidCredentialsError('several credentials headers of the same name'),
      options,
      true,
    );
  }
  if (authorization !== undefined) {
    tokenPresented = true;
    if (authorization.length > maxLength) {
      throw answer(invalidCredentialsError('the credential is too long'), options, true);
    }
    const match = BEARER_PATTERN.exec(authorization);
    if (match) credentials.bearerToken = match[1];
    else if (/^Bearer\b/i.test(authorization)) {
      throw answer(invalidCredentialsError('the bearer token is malformed'), options, true);
    } else {
      // Another scheme (Basic, Digest…): the hub does not accept it; challenge for Bearer.
      throw answer(invalidCredentialsError('only the Bearer scheme is accepted'), options, true);
    }
  }
  if (apiKeyHeader !== undefined) {
    tokenPresented = true;
    if (apiKeyHeader.length > maxLength) {
      throw answer(invalidCredentialsError('the credential is too long'), options, true);
    }
    credentials.apiKey = apiKeyHeader.trim();
  }
  if (request.peerCertificate && request.peerCertificateAuthorized === true) {
    credentials.peerCertificate = request.peerCertificate;
  }

  let refusal: FedmcpError | undefined;
  for (const authenticator of authenticators) {
    let principal: Principal | undefined;
    try {
      principal = await authenticator.authenticate(credentials);
    } catch (error) {
      const normalised = FedmcpError.from(error);
      if (normalised.code !== 'UNAUTHENTICATED' && normalised.code !== 'POLICY_DENIED') {
        throw normalised;
      }
      if (refusal === undefined || refusalRank(normalised) > refusalRank(refusal)) {
        refusal = normalised;
      }
      continue;
    }
    if (principal) {
      // Kept aside for RFC 8693 token exchange only (subject-token.ts); a peer token is the
      // calling hub's, not the user's, and is never exchanged.
      if (principal.authMethod === 'oauth' && credentials.bearerToken) {
        rememberAccessToken(principal, credentials.bearerToken);
      }
      return principal;
    }
  }
  if (refusal) throw answer(refusal, options, true);
  if (tokenPresented) {
    throw answer(
      invalidCredentialsError('no configured authenticator accepts this credential'),
      options,
      true,
    );
  }
  if (options.allowAnonymous) return anonymousPrincipal();
  throw answer(
    new UnauthenticatedError({
      message:
        'Authentication required: send "Authorization: Bearer <token>" with an access token for this hub (or an API key).',
    }),
    options,
    false,
  );
}
