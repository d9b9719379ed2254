/**
 * `WWW-Authenticate: Bearer …` challenges for the hub's 401 and 403 answers (RFC 6750 §3,
 * RFC 9728 §5.1, MCP 2025-11-25 basic/authorization: "include `scope` in challenges").
 */

/** The `error` codes of RFC 6750 §3.1. */
export type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/** Parameters of a Bearer challenge; every one is optional. */
export interface BearerChallengeOptions {
  /** The URL of the Protected Resource Metadata document (RFC 9728 §5.1 `resource_metadata`). */
  resourceMetadataUrl?: string;
  /** The protection space (RFC 6750 §3 `realm`). */
  realm?: string;
  /** Why the request failed; omit it when the request carried no credentials (RFC 6750 §3.1). */
  error?: BearerErrorCode;
  /** A human-readable explanation; characters RFC 6750 forbids are replaced by spaces. */
  errorDescription?: string;
  /** The scopes the resource needs (space-separated when given as one string). */
  scope?: readonly string[] | string;
}

// RFC 6750 §3: error_description and scope use %x20-21 / %x23-5B / %x5D-7E only (no `"`, no `\`).
function restrictCharacters(value: string): string {
  return value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, ' ');
}

function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (character) => `\\${character}`).replace(/[\r\n]/g, ' ')}"`;
}

/**
 * Builds the value of a `WWW-Authenticate` header with the `Bearer` scheme.
 *
 * @example
 * ```ts
 * buildBearerChallenge({ resourceMetadataUrl: 'https://hub.example.com/.well-known/oauth-protected-resource/mcp', error: 'invalid_token' });
 * // 'Bearer resource_metadata="https://hub.example.com/.well-known/oauth-protected-resource/mcp", error="invalid_token"'
 * ```
 */
export function buildBearerChallenge(options: BearerChallengeOptions = {}): string {
  const parameters: string[] = [];
  if (options.realm !== undefined) parameters.push(`realm=${quote(options.realm)}`);
  if (options.resourceMetadataUrl !== undefined) {
    parameters.push(`resource_metadata=${quote(options.resourceMetadataUrl)}`);
  }
  if (options.error !== undefined) parameters.push(`error=${quote(options.error)}`);
  if (options.errorDescription !== undefined) {
    parameters.push(`error_description=${quote(restrictCharacters(options.errorDescription))}`);
  }
  const scope = typeof options.scope === 'string' ? options.scope : options.scope?.join(' ');
  if (scope !== undefined && scope.length > 0) {
    parameters.push(`scope=${quote(restrictCharacters(scope))}`);
  }
  return parameters.length === 0 ? 'Bearer' : `Bearer ${parameters.join(', ')}`;
}

/** Options of {@link buildUnauthorizedChallenge}. */
export interface UnauthorizedChallengeOptions {
  /** The URL of the Protected Resource Metadata document. */
  resourceMetadataUrl?: string;
  /** Whether the request carried a credential; adds `error="invalid_token"` (RFC 6750 §3.1). @default false */
  tokenPresented?: boolean;
  /** Why the token was refused. */
  errorDescription?: string;
  /** The scopes a new token should ask for. */
  scope?: readonly string[] | string;
}

/** The challenge of a 401: `Bearer resource_metadata="…"`, plus `error="invalid_token"` when a token was presented. */
export function buildUnauthorizedChallenge(options: UnauthorizedChallengeOptions = {}): string {
  return buildBearerChallenge({
    resourceMetadataUrl: options.resourceMetadataUrl,
    error: options.tokenPresented ? 'invalid_token' : undefined,
    errorDescription: options.tokenPresented ? options.errorDescription : undefined,
    scope: options.scope,
  });
}

/** Options of {@link buildInsufficientScopeChallenge}. */
export interface InsufficientScopeChallengeOptions {
  /** The URL of the Protected Resource Metadata document. */
  resourceMetadataUrl?: string;
  /** The scopes needed for the request (MCP step-up authorization). */
  scope: readonly string[] | string;
  /** A human-readable explanation. */
  errorDescription?: string;
}

/** The challenge of a 403: `Bearer error="insufficient_scope", scope="…", resource_metadata="…"`. */
export function buildInsufficientScopeChallenge(
  options: InsufficientScopeChallengeOptions,
): string {
  return buildBearerChallenge({
    resourceMetadataUrl: options.resourceMetadataUrl,
    error: 'insufficient_scope',
    errorDescription: options.errorDescription,
    scope: options.scope,
  });
}
