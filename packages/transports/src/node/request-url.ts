/**
 * The absolute URL of a Node request, as a web `Request` made from it reads it: its target
 * resolved against `scheme://Host` (`localhost` when the Host header is missing or unusable).
 */
import type { IncomingMessage } from 'node:http';

/** A `Host` header that joins `scheme://` and an origin-form target as is (no `/`, `\\`, `?`, `#`, `@`). */
const PLAIN_HOST = /^[A-Za-z0-9.:[\]-]+$/;

function schemeOf(request: IncomingMessage): 'http' | 'https' {
  return (request.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
}

/**
 * Hot path (every MCP request): an origin-form target ("/mcp?…") and a plain Host make the URL
 * string directly, parsed once by whoever takes it (a `Request`, a `URL`), instead of a URL object
 * parsed, serialised and parsed again. `undefined` for any other target or Host: see
 * {@link resolvedRequestUrl}. The string may still fail to parse (an invalid port or IPv6
 * literal); the caller then falls back to {@link resolvedRequestUrl}.
 */
export function directRequestUrl(request: IncomingMessage): string | undefined {
  const target = request.url ?? '/';
  const host = request.headers.host;
  if (
    host === undefined ||
    !PLAIN_HOST.test(host) ||
    !target.startsWith('/') ||
    target[1] === '/' ||
    target[1] === '\\'
  ) {
    return undefined;
  }
  return `${schemeOf(request)}://${host}${target}`;
}

/** The general path: the target resolved against `scheme://Host`, else `scheme://localhost`. */
export function resolvedRequestUrl(request: IncomingMessage): URL {
  const scheme = schemeOf(request);
  const target = request.url ?? '/';
  try {
    return new URL(target, `${scheme}://${request.headers.host ?? 'localhost'}`);
  } catch {
    return new URL(target, `${scheme}://localhost`);
  }
}
