/**
 * The authentication seam of MCP hosts. A host calls {@link McpAuthenticate} with the request's
 * method, URL and headers ({@link McpAuthRequest}: the `Request` itself on web-standard hosts, a
 * cheap view of the `IncomingMessage` on Node hosts) before it serves an MCP request or opens a
 * session; whatever it returns becomes the session's principal. Designed so an auth package can
 * plug in OAuth bearer tokens or API keys without changing the host:
 *
 * - return a principal (any value), or `undefined` for an anonymous request;
 * - return a `Response` to answer the request with it (e.g. the SDK's `requireBearerAuth(...)`
 *   returns a 401 challenge `Response` or an `AuthInfo`, and plugs in unchanged);
 * - or throw: a `FedmcpError` is answered with its HTTP status when that is 401, 403 or 429
 *   (`UnauthenticatedError` → 401, `PolicyDeniedError` → 403) and its JSON-RPC error as the body;
 *   other errors whose `code` is `UNAUTHENTICATED` (or `status` 401) get 401, `FORBIDDEN` (or
 *   `status` 403) 403. Headers come from the error's `headers` or `data.headers` (for example
 *   `WWW-Authenticate`). Anything else is answered 500 without details.
 */
import { FedmcpError } from '@fedmcp/protocol';
import { createJsonRpcError, JsonRpcErrorCode } from './json-rpc-error.js';

/**
 * What an authenticate hook is given: the method, absolute URL and headers of the request. A web
 * `Request` is one (web-standard hosts pass theirs as is); Node hosts pass a view of the
 * `IncomingMessage` that builds nothing until it is read (`toAuthRequest`), so a hook must not
 * rely on other `Request` members (`body`, `signal`, `clone()`…). `peerCertificateOf(request)`
 * works on both.
 */
export interface McpAuthRequest {
  readonly method: string;
  /** The absolute URL (`http://host/mcp?…`), as `Request.url`. */
  readonly url: string;
  readonly headers: Headers;
}

/**
 * The hook a host calls to authenticate a request. See the module documentation.
 *
 * Declared as a method type so a hook written before 0.2 as `(request: Request) => …` still
 * type-checks; since then it receives an {@link McpAuthRequest} and may read only `method`, `url`
 * and `headers` (what fedmcp's own hooks and the SDK's `requireBearerAuth` read).
 */
export type McpAuthenticate = {
  hook(request: McpAuthRequest): unknown | Promise<unknown>;
}['hook'];

/** Outcome of running {@link McpAuthenticate}: a principal, or a response to send instead. */
export type AuthenticationOutcome =
  | { kind: 'principal'; principal: unknown }
  | { kind: 'response'; response: Response };

/**
 * Runs an authenticate hook and normalises its outcome (see the module documentation).
 * Never throws.
 */
export async function runAuthenticate(
  authenticate: McpAuthenticate | undefined,
  request: McpAuthRequest,
): Promise<AuthenticationOutcome> {
  if (authenticate === undefined) return { kind: 'principal', principal: undefined };
  try {
    const result = await authenticate(request);
    if (result instanceof Response) return { kind: 'response', response: result };
    return { kind: 'principal', principal: result };
  } catch (error) {
    return { kind: 'response', response: authenticationErrorResponse(error) };
  }
}

/** Maps an error thrown by an authenticate hook to an HTTP response (401, 403, 429 or 500). */
export function authenticationErrorResponse(error: unknown): Response {
  if (FedmcpError.isInstance(error) && [401, 403, 429].includes(error.httpStatus)) {
    const headers = new Headers(toHeadersInit(error.data?.headers));
    headers.set('content-type', 'application/json');
    const { code, message } = error.toJsonRpcError();
    return new Response(JSON.stringify(createJsonRpcError(code, message)), {
      status: error.httpStatus,
      headers,
    });
  }
  const fields = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    status?: unknown;
    statusCode?: unknown;
    message?: unknown;
    headers?: unknown;
    data?: { headers?: unknown };
  };
  const status = fields.status ?? fields.statusCode;
  const code = typeof fields.code === 'string' ? fields.code.toUpperCase() : undefined;
  let httpStatus = 500;
  if (status === 401 || code === 'UNAUTHENTICATED' || code === 'UNAUTHORIZED') httpStatus = 401;
  else if (status === 403 || code === 'FORBIDDEN' || code === 'POLICY_DENIED') httpStatus = 403;
  const headers = new Headers(toHeadersInit(fields.headers ?? fields.data?.headers));
  headers.set('content-type', 'application/json');
  const message =
    httpStatus === 500
      ? 'Internal error while authenticating the request'
      : typeof fields.message === 'string' && fields.message !== ''
        ? fields.message
        : httpStatus === 401
          ? 'Unauthorized: authenticate and retry'
          : 'Forbidden';
  return new Response(
    JSON.stringify(createJsonRpcError(JsonRpcErrorCode.transportError, message)),
    {
      status: httpStatus,
      headers,
    },
  );
}

function toHeadersInit(value: unknown): HeadersInit | undefined {
  if (value instanceof Headers) return value;
  if (typeof value !== 'object' || value === null) return undefined;
  const init: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value)) {
    if (typeof headerValue === 'string') init[name] = headerValue;
    else if (Array.isArray(headerValue)) init[name] = headerValue.join(', ');
  }
  return init;
}

/**
 * Whether a principal has the SDK's `AuthInfo` shape (`token`, `clientId`, `scopes`); hosts pass
 * such a principal on to MCP handlers as `ctx.http.authInfo`.
 */
export function isAuthInfoShaped(
  principal: unknown,
): principal is { token: string; clientId: string; scopes: string[] } {
  if (typeof principal !== 'object' || principal === null) return false;
  const candidate = principal as Record<string, unknown>;
  return (
    typeof candidate.token === 'string' &&
    typeof candidate.clientId === 'string' &&
    Array.isArray(candidate.scopes)
  );
}
