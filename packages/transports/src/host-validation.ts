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
 * Creates a validator of the `Host` and `Origin` headers of incoming requests.
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
  return (host, origin) => {
    if (allowedHosts !== undefined) {
      const result = validateHostHeader(host, allowedHosts);
      if (!result.ok) {
        return {
          status: 403,
          message: `Forbidden: ${result.message} (allowed hosts: ${allowedHosts.join(', ')})`,
        };
      }
    }
    const result = validateOriginHeader(origin, allowedOrigins);
    if (!result.ok) {
      return { status: 403, message: `Forbidden: ${result.message}` };
    }
    return undefined;
  };
}
