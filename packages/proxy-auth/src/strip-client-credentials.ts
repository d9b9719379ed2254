/**
 * MCP 2025-11-25 basic/authorization: "The MCP server MUST NOT pass through the token it received
 * from the MCP client." Before any client header is forwarded upstream, its credentials go.
 */

/** Header names that carry a client's credentials (lowercase). */
export const CLIENT_CREDENTIAL_HEADERS: readonly string[] = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
];

/**
 * Returns a copy of `headers` without the client's credentials (`Authorization`,
 * `Proxy-Authorization`, `X-API-Key`, `Cookie`), whatever their case.
 */
export function stripClientCredentials(
  headers: Headers | Readonly<Record<string, string>>,
): Record<string, string> {
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  return Object.fromEntries(
    entries.filter(([name]) => !CLIENT_CREDENTIAL_HEADERS.includes(name.toLowerCase())),
  );
}
