/**
 * The federation discovery routes: `/.well-known/mcp-federation` (the `@fedmcp/protocol`
 * discovery document: hub id, name, version, MCP endpoint and transports, JWKS URI, protocol
 * versions, max hops) and `/.well-known/jwks.json` (the hub's published public keys). Both are
 * public and served without authentication, with CORS.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  DEFAULT_MAX_HOPS,
  DISCOVERY_DOCUMENT_PATH,
  type DiscoveryDocument,
  type DiscoveryTransport,
  FEDMCP_PROTOCOL_VERSIONS,
  parseDiscoveryDocument,
} from '@fedmcp/protocol';
import type { FedmcpConfig } from '../config/config-schema.js';
import { hubIdOf, type ServerHubIdentity } from './server-hub-identity.js';

/** The path of the JWK Set. */
export const JWKS_PATH = '/.well-known/jwks.json';

/** The software version in discovery documents. */
export const FEDMCP_SERVER_VERSION = '0.1.0';

/**
 * The discovery document of a hub whose canonical MCP endpoint is `resource`.
 *
 * @example
 * ```ts
 * buildDiscoveryDocument(config, 'https://hub.example.com/mcp'); // { hubId: 'hub-example-com', … }
 * ```
 */
export function buildDiscoveryDocument(config: FedmcpConfig, resource: string): DiscoveryDocument {
  const endpoint = new URL(resource);
  const base = new URL('/', endpoint);
  const transports: DiscoveryTransport[] = [];
  const enabled = config.hub.transports;
  if (enabled.streamableHttp !== false) {
    transports.push({ type: 'streamable-http', url: endpoint.href });
  }
  if (enabled.sse !== false) transports.push({ type: 'sse', url: new URL('/sse', base).href });
  if (enabled.websocket !== false) {
    const ws = new URL('/ws', base);
    ws.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    transports.push({ type: 'websocket', url: ws.href });
  }
  return parseDiscoveryDocument({
    hubId: hubIdOf(config, resource),
    name: config.hub.name ?? 'fedmcp',
    version: FEDMCP_SERVER_VERSION,
    endpoint: endpoint.href,
    transports,
    jwksUri: new URL(JWKS_PATH, base).href,
    protocolVersions: [...FEDMCP_PROTOCOL_VERSIONS],
    maxHops: config.hub.maxHops ?? DEFAULT_MAX_HOPS,
  });
}

function send(response: ServerResponse, method: string, contentType: string, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, {
    'content-type': contentType,
    'cache-control': 'public, max-age=60',
    'access-control-allow-origin': '*',
    'content-length': Buffer.byteLength(text),
  });
  response.end(method === 'HEAD' ? undefined : text);
}

/**
 * The route handler (an `onRequest` hook of the HTTP host): answers the two well-known paths and
 * resolves `false` for anything else.
 */
export function createDiscoveryRoutes(options: {
  config: () => FedmcpConfig;
  resource: () => string;
  identity: ServerHubIdentity;
}): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  return async (request, response) => {
    const method = request.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') return false;
    const path = (request.url ?? '/').split('?')[0];
    if (path === DISCOVERY_DOCUMENT_PATH) {
      send(
        response,
        method,
        'application/json',
        buildDiscoveryDocument(options.config(), options.resource()),
      );
      return true;
    }
    if (path === JWKS_PATH) {
      const keyring = await options.identity.keyring();
      send(response, method, 'application/jwk-set+json', keyring.jwks());
      return true;
    }
    return false;
  };
}
