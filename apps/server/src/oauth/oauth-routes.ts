/**
 * The hub's own OAuth client routes (issue 21), on its port and outside its authentication:
 *
 * - `GET /oauth/callback`: the redirect back from an upstream's authorization server after a
 *   user's sign-in (per-user mode). The `state` binds it to the user and the upstream that asked;
 *   it is single-use and expires (`createUserUpstreamOAuth`).
 * - `GET /oauth/client-metadata.json`: the hub's Client ID Metadata Document
 *   (draft-ietf-oauth-client-id-metadata-document; MCP authorization 2025-11-25 "Client ID
 *   Metadata Documents"): its URL is the hub's `client_id` at authorization servers that
 *   advertise `client_id_metadata_document_supported`, when no client is pre-registered.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CLIENT_METADATA_PATH,
  hubClientMetadata,
  OAUTH_CALLBACK_PATH,
  type OAuthWebRoutesOptions,
} from '@fedmcp/federation';

export {
  CLIENT_METADATA_PATH,
  hubClientMetadata,
  hubClientMetadataUrl,
  OAUTH_CALLBACK_PATH,
  withHubClientMetadata,
} from '@fedmcp/federation';

/** Options of {@link createOAuthRoutes}. */
export type OAuthRoutesOptions = OAuthWebRoutesOptions;

/**
 * Creates the route handler (an `onRequest` of the HTTP host: answers its paths, returns `false`
 * for the others).
 */
export function createOAuthRoutes(
  options: OAuthRoutesOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  return async (request, response) => {
    const target = request.url ?? '/';
    // Every MCP request passes through here first: leave other paths without parsing a URL.
    if (
      target.startsWith('/') &&
      !target.startsWith(OAUTH_CALLBACK_PATH) &&
      !target.startsWith(CLIENT_METADATA_PATH)
    ) {
      return false;
    }
    const url = new URL(target, 'http://hub.invalid');
    if (url.pathname !== OAUTH_CALLBACK_PATH && url.pathname !== CLIENT_METADATA_PATH) {
      return false;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      response.end(`${url.pathname} answers GET only.\n`);
      return true;
    }
    if (url.pathname === CLIENT_METADATA_PATH) {
      response.writeHead(200, {
        'content-type': 'application/json',
        'cache-control': 'public, max-age=3600',
      });
      response.end(JSON.stringify(hubClientMetadata(options.origin(), options.clientName)));
      return true;
    }
    const answer = await options.users.callback(url.searchParams);
    response.writeHead(answer.status, answer.headers);
    response.end(request.method === 'HEAD' ? undefined : answer.page);
    return true;
  };
}
