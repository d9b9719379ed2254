/**
 * Whether a request target is an MCP request of the hub's HTTP host (`/mcp`, `/mcp/<view>`, with
 * any query), which none of the hub's `onRequest` routes (runtime hooks, health, metrics, admin
 * API and dashboard, federation status/discovery/JWKS, OAuth callback and client metadata,
 * Protected Resource Metadata) serve. Every MCP request passes through `onRequest` first, so the
 * hub skips the route chain for these (issue #13: seven awaited routes per MCP request).
 *
 * Only plain origin-form targets match: a path with `.`, `%` or `\` (which a URL parser could
 * normalise into another route's path), an absolute-form target or any other path runs the chain
 * as before.
 */
const MCP_TARGET = /^\/mcp(?:\/[A-Za-z0-9_-]*)?(?:\?|$)/;

/** See the module documentation. */
export function isMcpTarget(target: string | undefined): boolean {
  return target !== undefined && MCP_TARGET.test(target);
}
