/**
 * The federation discovery routes: `/.well-known/mcp-federation` (the `@fedmcp/protocol`
 * discovery document: hub id, name, version, MCP endpoint and transports, JWKS URI, protocol
 * versions, max hops) and `/.well-known/jwks.json` (the hub's published public keys). Both are
 * public and served without authentication, with CORS.
 */
import {
  DEFAULT_MAX_HOPS,
  DISCOVERY_DOCUMENT_PATH,
  type DiscoveryDocument,
  type DiscoveryTransport,
  FEDMCP_PROTOCOL_VERSIONS,
  FEDMCP_VERSION,
  parseDiscoveryDocument,
} from '@fedmcp/protocol';
import type { HubKeyring } from '@fedmcp/proxy-auth';
import type { WebRoute } from './web-route.js';

/** The path of the JWK Set. */
export const JWKS_PATH = '/.well-known/jwks.json';

/** Options of {@link createDiscoveryDocument}. */
export interface DiscoveryDocumentOptions {
  /** The hub id. */
  hubId: string;
  /** The hub's canonical MCP endpoint (`https://hub.example.com/mcp`); the other URLs derive from it. */
  endpoint: string;
  /** The hub's name. @default 'fedmcp' */
  name?: string;
  /** The software version. @default FEDMCP_VERSION */
  version?: string;
  /** The transports served at `/mcp`, `/sse`, `/ws`. @default all three */
  transports?: { streamableHttp?: boolean; sse?: boolean; websocket?: boolean };
  /** The most hubs a request may cross. @default 4 */
  maxHops?: number;
}

/**
 * The discovery document of a hub.
 *
 * @example
 * ```ts
 * createDiscoveryDocument({ hubId: 'eu', endpoint: 'https://eu.example.com/mcp' }).jwksUri;
 * // 'https://eu.example.com/.well-known/jwks.json'
 * ```
 */
export function createDiscoveryDocument(options: DiscoveryDocumentOptions): DiscoveryDocument {
  const endpoint = new URL(options.endpoint);
  const base = new URL('/', endpoint);
  const transports: DiscoveryTransport[] = [];
  const enabled = options.transports ?? {};
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
    hubId: options.hubId,
    name: options.name ?? 'fedmcp',
    version: options.version ?? FEDMCP_VERSION,
    endpoint: endpoint.href,
    transports,
    jwksUri: new URL(JWKS_PATH, base).href,
    protocolVersions: [...FEDMCP_PROTOCOL_VERSIONS],
    maxHops: options.maxHops ?? DEFAULT_MAX_HOPS,
  });
}

/** Options of {@link createDiscoveryRoutes}. */
export interface DiscoveryRoutesOptions {
  /** The document in force (asked per request: the endpoint may be known only once listening). */
  document(): DiscoveryDocument;
  /** The keyring whose public keys are published, e.g. `identity.keyring()`. */
  keyring(): Promise<HubKeyring>;
}

function json(method: string, contentType: string, body: unknown): Response {
  const text = JSON.stringify(body);
  const bytes = new TextEncoder().encode(text);
  return new Response(method === 'HEAD' ? null : bytes, {
    status: 200,
    headers: {
      'content-type': contentType,
      'cache-control': 'public, max-age=60',
      'access-control-allow-origin': '*',
      'content-length': String(bytes.byteLength),
    },
  });
}

/**
 * The route answering `GET|HEAD /.well-known/mcp-federation` and `/.well-known/jwks.json`;
 * `undefined` for anything else.
 *
 * @example
 * ```ts
 * const routes = createDiscoveryRoutes({ document: () => document, keyring: identity.keyring });
 * await routes(new Request('http://hub/.well-known/jwks.json')); // 200 application/jwk-set+json
 * ```
 */
export function createDiscoveryRoutes(options: DiscoveryRoutesOptions): WebRoute {
  return async (request) => {
    const method = request.method;
    if (method !== 'GET' && method !== 'HEAD') return undefined;
    const path = new URL(request.url).pathname;
    if (path === DISCOVERY_DOCUMENT_PATH) {
      return json(method, 'application/json', options.document());
    }
    if (path === JWKS_PATH) {
      return json(method, 'application/jwk-set+json', (await options.keyring()).jwks());
    }
    return undefined;
  };
}
