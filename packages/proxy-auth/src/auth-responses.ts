/**
 * Web-standard answers an HTTP host can return as they are: the refusal of a request that failed
 * authentication, and the Protected Resource Metadata document at its well-known paths.
 */
import { FedmcpError } from '@fedmcp/protocol';
import {
  type ProtectedResourceMetadata,
  protectedResourceMetadataPaths,
} from './protected-resource-metadata.js';

/**
 * The HTTP answer to an error thrown by `authenticateRequest`: its status (401 or 403), the
 * `WWW-Authenticate` challenge and an OAuth-style JSON body (`error`, `error_description`).
 * Returns `undefined` for any other error, which the host handles as usual.
 */
export function authenticationErrorResponse(error: unknown): Response | undefined {
  if (!FedmcpError.isInstance(error)) return undefined;
  const data = error.data;
  if (typeof data?.wwwAuthenticate !== 'string' || typeof data.httpStatus !== 'number') {
    return undefined;
  }
  const body = {
    error: typeof data.error === 'string' ? data.error : 'unauthorized',
    error_description: error.message,
  };
  return new Response(JSON.stringify(body), {
    status: data.httpStatus,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'www-authenticate': data.wwwAuthenticate,
    },
  });
}

/**
 * Serves the metadata document (RFC 9728 §3) when the request asks for one of its well-known
 * paths; `undefined` otherwise. Answers GET and HEAD with the JSON, OPTIONS with a CORS preflight
 * (browser-based MCP clients read it cross-origin), other methods with 405.
 */
export function protectedResourceMetadataResponse(
  request: Pick<Request, 'method' | 'url'>,
  metadata: ProtectedResourceMetadata,
): Response | undefined {
  const { pathname } = new URL(request.url, 'http://localhost');
  if (!protectedResourceMetadataPaths(metadata.resource).includes(pathname)) return undefined;
  const cors = {
    'access-control-allow-origin': '*',
    'access-control-allow-methods': 'GET, HEAD, OPTIONS',
    'access-control-allow-headers': 'mcp-protocol-version',
  };
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: cors });
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    return new Response(null, { status: 405, headers: { ...cors, allow: 'GET, HEAD, OPTIONS' } });
  }
  return new Response(request.method === 'HEAD' ? null : JSON.stringify(metadata), {
    status: 200,
    headers: { ...cors, 'content-type': 'application/json', 'cache-control': 'max-age=300' },
  });
}
