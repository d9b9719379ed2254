/**
 * The hub's own OAuth client routes (issue 21), web-standard (Node's host adapts them; the edge
 * hub serves them as they are), outside the hub's authentication:
 *
 * - `GET /oauth/callback`: the redirect back from an upstream's authorization server after a
 *   user's sign-in (per-user mode). The `state` binds it to the user and the upstream that asked;
 *   it is single-use and expires (`createUserUpstreamOAuth`).
 * - `GET /oauth/client-metadata.json`: the hub's Client ID Metadata Document
 *   (draft-ietf-oauth-client-id-metadata-document; MCP authorization 2025-11-25 "Client ID
 *   Metadata Documents"): its URL is the hub's `client_id` at authorization servers that
 *   advertise `client_id_metadata_document_supported`, when no client is pre-registered.
 */
import type { UpstreamOAuthConfig } from '@fedmcp/proxy-auth';
import type { UserUpstreamOAuth } from './user-upstream-oauth.js';

/** The path of the redirect back from an authorization server. */
export const OAUTH_CALLBACK_PATH = '/oauth/callback';
/** The path of the hub's client metadata document. */
export const CLIENT_METADATA_PATH = '/oauth/client-metadata.json';

/**
 * The hub's client metadata document, served at `<origin>/oauth/client-metadata.json`: a public
 * client (`none`: PKCE, no secret) whose only redirect URI is the hub's callback.
 */
export function hubClientMetadata(origin: string, clientName = 'fedmcp') {
  return {
    client_id: new URL(CLIENT_METADATA_PATH, origin).href,
    client_name: clientName,
    redirect_uris: [new URL(OAUTH_CALLBACK_PATH, origin).href],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}

/** The URL of the hub's client metadata document, when the SDK and servers accept it (https). */
export function hubClientMetadataUrl(origin: string): string | undefined {
  const url = new URL(CLIENT_METADATA_PATH, origin);
  // A client id URL must be https (the SDK's `auth()` and the CIMD draft refuse others).
  return url.protocol === 'https:' ? url.href : undefined;
}

/** An upstream's `oauth` block with the hub's client metadata URL when it names no client. */
export function withHubClientMetadata(
  config: UpstreamOAuthConfig,
  clientMetadataUrl: string | undefined,
): UpstreamOAuthConfig {
  if (clientMetadataUrl === undefined || config.clientId !== undefined) return config;
  if (config.clientMetadataUrl !== undefined) return config;
  return { ...config, clientMetadataUrl };
}

/** Options of {@link createOAuthWebRoutes}. */
export interface OAuthWebRoutesOptions {
  /** The per-user sign-ins the callback completes. */
  users: Pick<UserUpstreamOAuth, 'callback'>;
  /** The hub's public origin (`hub.url`, else the request's), read per request. */
  origin: () => string;
  /** `client_name` of the metadata document. @default 'fedmcp' */
  clientName?: string;
}

/**
 * The routes as a web handler: answers `pathname`'s two paths (given apart, so a host that
 * serves the hub under a prefix strips it first), `undefined` for any other.
 */
export function createOAuthWebRoutes(
  options: OAuthWebRoutesOptions,
): (request: Request, pathname?: string) => Promise<Response | undefined> {
  return async (request, pathname = new URL(request.url).pathname) => {
    if (pathname !== OAUTH_CALLBACK_PATH && pathname !== CLIENT_METADATA_PATH) return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return new Response(`${pathname} answers GET only.\n`, {
        status: 405,
        headers: { allow: 'GET, HEAD', 'content-type': 'text/plain' },
      });
    }
    if (pathname === CLIENT_METADATA_PATH) {
      return Response.json(hubClientMetadata(options.origin(), options.clientName), {
        headers: { 'cache-control': 'public, max-age=3600' },
      });
    }
    const answer = await options.users.callback(new URL(request.url).searchParams);
    return new Response(request.method === 'HEAD' ? null : answer.page, {
      status: answer.status,
      headers: answer.headers,
    });
  };
}
