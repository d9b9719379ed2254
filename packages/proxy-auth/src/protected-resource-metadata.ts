/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) for the hub, the document MCP clients read to
 * find the authorization server(s) (MCP 2025-11-25 basic/authorization: a MUST, with at least one
 * `authorization_servers` entry). Written here rather than taken from the SDK, whose router
 * advertises exactly one authorization server.
 */
import { FedmcpError } from '@fedmcp/protocol';

/** The well-known path prefix of RFC 9728 §3. */
export const PROTECTED_RESOURCE_METADATA_PATH = '/.well-known/oauth-protected-resource';

/** The RFC 9728 §2 document, with snake_case keys as on the wire. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported?: string[];
  bearer_methods_supported: string[];
  resource_name?: string;
  resource_documentation?: string;
  resource_policy_uri?: string;
  resource_tos_uri?: string;
  jwks_uri?: string;
  resource_signing_alg_values_supported?: string[];
  tls_client_certificate_bound_access_tokens?: boolean;
}

/** Options of {@link buildProtectedResourceMetadata}. */
export interface ProtectedResourceMetadataOptions {
  /** The hub's canonical resource URI (RFC 8707), e.g. `https://hub.example.com/mcp`; also the token audience. */
  resource: string;
  /** Issuer URLs of the authorization servers that issue tokens for this hub; at least one. */
  authorizationServers: readonly string[];
  /** Scopes clients may request. @default omitted */
  scopesSupported?: readonly string[];
  /** A human-readable name of the hub. @default omitted */
  resourceName?: string;
  /** A page that documents the hub for developers. @default omitted */
  resourceDocumentation?: string;
  /** The hub's policy page. @default omitted */
  resourcePolicyUri?: string;
  /** The hub's terms of service. @default omitted */
  resourceTermsOfServiceUri?: string;
  /** Whether access tokens must be bound to the client's TLS certificate (RFC 8705). @default omitted */
  tlsClientCertificateBoundAccessTokens?: boolean;
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}

/**
 * Normalises a resource URI to the canonical form of RFC 8707 as the MCP spec uses it: absolute,
 * lowercase scheme and host (the URL parser does that), no fragment, no trailing slash on a path.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when the URI is not absolute http(s), has a fragment, or
 * uses plain http for a non-loopback host.
 */
export function canonicalResourceUri(resource: string): string {
  let url: URL;
  try {
    url = new URL(resource);
  } catch (cause) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `The resource URI "${resource}" is not an absolute URL.`,
      {
        cause,
      },
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new FedmcpError('INVALID_CONFIG', `The resource URI "${resource}" must use https.`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `The resource URI "${resource}" must use https (plain http is allowed on loopback only).`,
    );
  }
  if (url.hash !== '' || resource.includes('#')) {
    // RFC 8707 §2: the resource indicator MUST NOT include a fragment component.
    throw new FedmcpError(
      'INVALID_CONFIG',
      `The resource URI "${resource}" must not have a fragment.`,
    );
  }
  const text = url.href;
  return url.search === '' && text.endsWith('/') ? text.slice(0, -1) : text;
}

/**
 * The well-known paths that serve the metadata of `resource`, most specific first (RFC 9728 §3.1):
 * for `https://hub.example.com/mcp`, `['/.well-known/oauth-protected-resource/mcp',
 * '/.well-known/oauth-protected-resource']`. Serve the same document at each.
 */
export function protectedResourceMetadataPaths(resource: string): string[] {
  const url = new URL(canonicalResourceUri(resource));
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return path === ''
    ? [PROTECTED_RESOURCE_METADATA_PATH]
    : [`${PROTECTED_RESOURCE_METADATA_PATH}${path}`, PROTECTED_RESOURCE_METADATA_PATH];
}

/**
 * The URL of the metadata document of `resource`, for `resource_metadata` in challenges: the
 * well-known prefix goes between the host and the path (RFC 9728 §3.1).
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(canonicalResourceUri(resource));
  return `${url.origin}${protectedResourceMetadataPaths(resource)[0]}`;
}

/**
 * Builds the Protected Resource Metadata document to serve (as `application/json`) at the paths
 * of {@link protectedResourceMetadataPaths}.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when `resource` is not a valid resource URI or no
 * authorization server is given.
 * @example
 * ```ts
 * const metadata = buildProtectedResourceMetadata({
 *   resource: 'https://hub.example.com/mcp',
 *   authorizationServers: ['https://YOUR_TENANT.auth0.com/'],
 *   scopesSupported: ['tools.read', 'tools.call'],
 * });
 * ```
 */
export function buildProtectedResourceMetadata(
  options: ProtectedResourceMetadataOptions,
): ProtectedResourceMetadata {
  const resource = canonicalResourceUri(options.resource);
  if (options.authorizationServers.length === 0) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      'Protected Resource Metadata needs at least one authorization server (MCP authorization requires it); set auth.oauth.issuer.',
    );
  }
  for (const server of options.authorizationServers) {
    if (!URL.canParse(server)) {
      throw new FedmcpError(
        'INVALID_CONFIG',
        `The authorization server "${server}" is not an absolute URL.`,
      );
    }
  }
  return {
    resource,
    authorization_servers: [...options.authorizationServers],
    ...(options.scopesSupported ? { scopes_supported: [...options.scopesSupported] } : {}),
    bearer_methods_supported: ['header'],
    ...(options.resourceName ? { resource_name: options.resourceName } : {}),
    ...(options.resourceDocumentation
      ? { resource_documentation: options.resourceDocumentation }
      : {}),
    ...(options.resourcePolicyUri ? { resource_policy_uri: options.resourcePolicyUri } : {}),
    ...(options.resourceTermsOfServiceUri
      ? { resource_tos_uri: options.resourceTermsOfServiceUri }
      : {}),
    ...(options.tlsClientCertificateBoundAccessTokens !== undefined
      ? {
          tls_client_certificate_bound_access_tokens: options.tlsClientCertificateBoundAccessTokens,
        }
      : {}),
  };
}
