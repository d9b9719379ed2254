/**
 * DNS-rebinding protection for MCP HTTP endpoints: the `Host` and `Origin` headers are checked
 * against allow-lists (MCP 2025-11-25 basic/transports: servers MUST validate `Origin`; a present
 * and invalid one gets 403). Web-standard: it takes header values, so every adapter can use it.
 */
import {
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  validateHostHeader,
  validateOriginHeader,
} from '@modelcontextprotocol/server';

/** Most `Host` values a validator remembers as allowed (see {@link createHostValidator}). */
const MAX_ACCEPTED_HOSTS = 64;

/** Options for {@link createHostValidator}. */
export interface HostValidatorOptions {
  /**
   * Hostnames (no port; IPv6 in brackets) accepted in the `Host` header, or `false` to skip the
   * check (for a server behind a proxy that rewrites `Host`).
   * @default ['localhost', '127.0.0.1', '[::1]']
   */
  allowedHosts?: readonly string[] | false;
  /**
   * Origin hostnames (no scheme or port; `moz-extension://*`-style scheme wildcards allowed)
   * accepted in the `Origin` header. A request without `Origin` (every non-browser client) passes.
   * @default ['localhost', '127.0.0.1', '[::1]']
   */
  allowedOrigins?: readonly string[];
}

/** Why a request was refused by {@link HostValidator}. */
export interface HostValidationFailure {
  status: 403;
  message: string;
}

/** Checks a request's `Host` and `Origin` headers; returns a failure, or `undefined` to proceed. */
export type HostValidator = (
  host: string | null | undefined,
  origin: string | null | undefined,
) => HostValidationFailure | undefined;

/**
 * Creates a validator of the `Host` and `Origin` headers of incoming requests. The first 64
 * distinct `Host` values found allowed are remembered and pass without being parsed again.
 *
 * @example
 * ```ts
 * const validate = createHostValidator({ allowedHosts: ['mcp.example.com'] });
 * const failure = validate(request.headers.get('host'), request.headers.get('origin'));
 * if (failure) return new Response(failure.message, { status: failure.status });
 * ```
 */
export function createHostValidator(options: HostValidatorOptions = {}): HostValidator {
  const allowedHosts =
    options.allowedHosts === false
      ? undefined
      : [...(options.allowedHosts ?? localhostAllowedHostnames())];
  const allowedOrigins = [...(options.allowedOrigins ?? localhostAllowedOrigins())];
  // `Host` values found allowed: the SDK's check parses a URL per request (`new URL('http://' +
  // host)`, some 10 µs of a plain call's CPU), while a client sends the same `Host` on every
  // request. Bounded, and never evicting: a client sending made-up `Host` values cannot grow it,
  // nor push out the values of the clients seen before; a value not in it (refused ones are never
  // kept) goes through the full check.
  const acceptedHosts = new Set<string>();
  return (host, origin) => {
    if (allowedHosts !== undefined && !(host && acceptedHosts.has(host))) {
      const result = validateHostHeader(host, allowedHosts);
      if (!result.ok) {
        return {
          status: 403,
          message: `Forbidden: ${result.message} (allowed hosts: ${allowedHosts.join(', ')})`,
        };
      }
      if (host && acceptedHosts.size < MAX_ACCEPTED_HOSTS) acceptedHosts.add(host);
    }
    const result = validateOriginHeader(origin, allowedOrigins);
    if (!result.ok) {
      return { status: 403, message: `Forbidden: ${result.message}` };
    }
    return undefined;
  };
}
