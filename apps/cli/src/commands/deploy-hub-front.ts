/**
 * The front door of the hub that `fedmcp deploy` bundles, as the Node hub's HTTP host has it:
 * the `Host` check (DNS-rebinding protection, `hub.allowedHosts`), the `Origin` check and CORS
 * (`hub.cors`, the deprecated `hub.allowedOrigins`), and the OAuth Protected Resource Metadata
 * document (RFC 9728) when `auth.oauth` names an authorization server. Web-standard, no `node:`.
 *
 * As on Node: public documents (`/.well-known/…`) are readable from any origin; an MCP request
 * whose `Origin` is neither a configured CORS origin nor a localhost page gets 403; a preflight
 * from a configured origin is answered 204 before authentication. Without `hub.allowedHosts`
 * the `Host` header is not checked (a hub on a public hostname, as a Node hub bound to a
 * non-loopback address).
 */
import {
  type ProtectedResourceMetadata,
  protectedResourceMetadataResponse,
} from '@fedmcp/proxy-auth';
import {
  type CorsPolicyOptions,
  type CorsRouteKind,
  createCorsPolicy,
  createHostValidator,
} from '@fedmcp/transports';

/** What the deployed hub's front door is built from (the config's `hub` keys). */
export interface FrontDoorDefinition {
  /** `hub.allowedHosts`: hostnames accepted in `Host`. @default not checked */
  allowedHosts?: string[];
  /** Bare hostnames of the deprecated `hub.allowedOrigins` (they pass the Origin check only). */
  allowedOrigins?: string[];
  /** `hub.cors` (with the full origins of `hub.allowedOrigins` folded in). */
  cors?: CorsPolicyOptions;
}

/** Options of {@link withFrontDoor}. */
export interface FrontDoorOptions extends FrontDoorDefinition {
  /** The MCP endpoint's path. @default '/mcp' */
  mcpPath?: string;
  /** The Protected Resource Metadata of a request (its resource may come from the request URL). */
  metadata?: (request: Request) => ProtectedResourceMetadata | undefined;
}

function refusal(message: string): Response {
  return Response.json(
    { jsonrpc: '2.0', id: null, error: { code: -32000, message } },
    { status: 403, headers: { 'cache-control': 'no-store' } },
  );
}

/** Adds `headers` to an answer (a new Response: the hub's may have immutable headers). */
function withHeaders(response: Response, headers: Record<string, string> | undefined): Response {
  if (!headers || Object.keys(headers).length === 0) return response;
  const merged = new Headers(response.headers);
  for (const [name, value] of Object.entries(headers)) merged.set(name, value);
  return new Response(response.body, {
    status: response.status,
    statusText: response.statusText,
    headers: merged,
  });
}

/**
 * Wraps the hub's fetch handler with the Host/Origin checks, CORS and the Protected Resource
 * Metadata route.
 */
export function withFrontDoor(
  handler: (request: Request) => Promise<Response>,
  options: FrontDoorOptions,
): (request: Request) => Promise<Response> {
  const mcpPath = options.mcpPath ?? '/mcp';
  const validateHost = createHostValidator({
    allowedHosts: options.allowedHosts ?? false,
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
  });
  const cors = createCorsPolicy(options.cors ?? { origins: [] });
  return async (request) => {
    const url = new URL(request.url);
    const origin = request.headers.get('origin') ?? undefined;
    const publicPath = url.pathname.startsWith('/.well-known/');
    const host = request.headers.get('host') ?? url.host;
    const failure = validateHost(
      host,
      publicPath || (origin !== undefined && cors.allows(origin)) ? undefined : origin,
    );
    if (failure) return refusal(failure.message);
    const kind: CorsRouteKind | undefined = publicPath
      ? 'public'
      : options.cors && url.pathname === mcpPath
        ? 'mcp'
        : undefined;
    const corsHeaders = kind
      ? cors.headers({
          origin,
          method: request.method,
          requestHeaders: request.headers.get('access-control-request-headers') ?? undefined,
          kind,
        })
      : undefined;
    // A preflight is answered here, before authentication (browsers send it without credentials).
    if (request.method === 'OPTIONS' && kind && !(kind === 'public' && origin === undefined))
      return new Response(null, { status: 204, headers: corsHeaders ?? {} });
    const metadata = options.metadata?.(request);
    const document = metadata && protectedResourceMetadataResponse(request, metadata);
    if (document) return document;
    return withHeaders(await handler(request), corsHeaders);
  };
}
