/**
 * Cross-origin resource sharing for MCP endpoints (Fetch standard, "CORS protocol"), so that a
 * browser-based MCP client on another origin can call the host: which origins may, the headers of
 * an answer and of a preflight, and the check of configured origins. Web-standard: it takes and
 * returns header values, so every adapter can use it.
 */
import { FedmcpError } from '@fedmcp/protocol';

/** Options for {@link createCorsPolicy}. */
export interface CorsPolicyOptions {
  /**
   * Full origins (`https://client.example.com`, `http://localhost:5173`) whose pages may call the
   * MCP endpoints, or `'*'` for any (then credentials are never allowed).
   */
  origins: readonly string[] | '*';
  /**
   * Answer `Access-Control-Allow-Credentials: true`, so pages may send cookies or TLS client
   * certificates. Bearer tokens do not need it. @default false
   */
  allowCredentials?: boolean;
  /** How long a browser may cache a preflight answer. @default 600 */
  maxAgeSeconds?: number;
}

/** What a request is to the CORS policy: an MCP endpoint, or a public document anyone may read. */
export type CorsRouteKind = 'mcp' | 'public';

/** The CORS decisions of a host. */
export interface CorsPolicy {
  /** Whether pages of `origin` may call the MCP endpoints. */
  allows(origin: string): boolean;
  /**
   * The `Access-Control-*` headers of the answer to a request from `origin` (preflight headers
   * when `method` is `OPTIONS`), or `undefined` when the origin may not read it.
   */
  headers(request: CorsRequest): Record<string, string> | undefined;
}

/** The parts of a request the policy reads. */
export interface CorsRequest {
  origin: string | undefined;
  method: string | undefined;
  /** The `Access-Control-Request-Headers` of a preflight. */
  requestHeaders?: string | undefined;
  kind: CorsRouteKind;
}

/** Request headers an MCP client sends (MCP 2025-11-25 and 2026-07-28 basic/transports). */
const MCP_REQUEST_HEADERS = [
  'authorization',
  'content-type',
  'accept',
  'last-event-id',
  'mcp-session-id',
  'mcp-protocol-version',
  'x-api-key',
];
/** Response headers a page's script must read: the challenge, the session, the version. */
export const CORS_EXPOSED_HEADERS =
  'WWW-Authenticate, Mcp-Session-Id, Mcp-Protocol-Version, Retry-After';
const MCP_METHODS = 'GET, POST, DELETE, OPTIONS';
const PUBLIC_METHODS = 'GET, HEAD, OPTIONS';

/**
 * The request headers of a preflight that an MCP endpoint allows: the MCP ones (and the
 * 2026-07-28 `Mcp-*` routing headers such as `Mcp-Method` and `Mcp-Param-*`); others are left out,
 * so the browser refuses a request that would send them.
 */
function allowedRequestHeaders(requested: string | undefined): string {
  const names = (requested ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => /^[a-z0-9-]+$/.test(name));
  const allowed = names.filter(
    (name) => MCP_REQUEST_HEADERS.includes(name) || name.startsWith('mcp-'),
  );
  return [...new Set([...MCP_REQUEST_HEADERS, ...allowed])].join(', ');
}

/**
 * Checks that `value` is a full origin (scheme, host and optional port, nothing else) and returns
 * it in its serialized form (`https://Client.Example.com:443/` → `https://client.example.com`).
 *
 * @throws {FedmcpError} `INVALID_CONFIG` saying what is wrong, e.g. for a bare hostname.
 */
export function normalizeOrigin(value: string): string {
  const example = `write the full origin, e.g. "https://${value.replace(/^[a-z]+:\/\//i, '').split('/')[0] || 'client.example.com'}"`;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value) || !URL.canParse(value)) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `"${value}" is not an origin (a bare hostname matches nothing): ${example}`,
    );
  }
  const url = new URL(value);
  if (url.origin === 'null') {
    throw new FedmcpError('INVALID_CONFIG', `"${value}" has no origin a browser would send`);
  }
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `"${value}" is not an origin: leave out the path, query and credentials (${url.origin})`,
    );
  }
  return url.origin;
}

/**
 * Creates the CORS policy of a host. Public documents (`kind: 'public'`) are readable from any
 * origin, without credentials; MCP endpoints only from the configured origins.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` for an entry that is not a full origin.
 * @example
 * ```ts
 * const cors = createCorsPolicy({ origins: ['https://client.example.com'] });
 * const headers = cors.headers({ origin, method: 'OPTIONS', kind: 'mcp' });
 * ```
 */
export function createCorsPolicy(options: CorsPolicyOptions): CorsPolicy {
  const anyOrigin = options.origins === '*';
  const origins = new Set(anyOrigin ? [] : [...options.origins].map(normalizeOrigin));
  const credentials = options.allowCredentials === true && !anyOrigin;
  const maxAge = String(options.maxAgeSeconds ?? 600);
  const allows = (origin: string) => anyOrigin || origins.has(origin);
  return {
    allows,
    headers({ origin, method, requestHeaders, kind }) {
      if (origin === undefined) return undefined;
      const preflight = method === 'OPTIONS';
      if (kind === 'public') {
        // RFC 9728 §3, RFC 8414 §3: metadata and key sets are public; any page may read them.
        return {
          'access-control-allow-origin': '*',
          ...(preflight
            ? {
                'access-control-allow-methods': PUBLIC_METHODS,
                'access-control-allow-headers': 'mcp-protocol-version',
                'access-control-max-age': maxAge,
              }
            : {}),
        };
      }
      if (!allows(origin)) return undefined;
      return {
        'access-control-allow-origin': anyOrigin ? '*' : origin,
        vary: 'Origin',
        ...(credentials ? { 'access-control-allow-credentials': 'true' } : {}),
        ...(preflight
          ? {
              'access-control-allow-methods': MCP_METHODS,
              'access-control-allow-headers': allowedRequestHeaders(requestHeaders),
              'access-control-max-age': maxAge,
            }
          : { 'access-control-expose-headers': CORS_EXPOSED_HEADERS }),
      };
    },
  };
}
