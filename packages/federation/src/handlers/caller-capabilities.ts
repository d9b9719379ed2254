/**
 * What a hub tells a 2026-07-28 upstream about the client behind a plain call (see
 * {@link withCallerCapabilities}).
 */
import {
  CLIENT_CAPABILITIES_META_KEY,
  type ClientCapabilities,
  type Tool,
} from '@modelcontextprotocol/server';

type Params = Record<string, unknown>;

/**
 * The `_meta` key a hub sets on a plain call to a 2026-07-28 upstream: the client behind the call
 * can answer no question, and the `roots` the envelope declares are the hub's own answer (no
 * roots). A receiving hub trusts it from a peer only (see `modern-fast-path.ts`).
 */
export const PLAIN_CALL_META_KEY = 'io.fedmcp/plainCall';

/**
 * The params of a plain (non-interactive) tools/call to a 2026-07-28 upstream, such as a peer
 * hub, with the envelope naming the capabilities of the client behind the call instead of all the
 * hub could forward — plus `roots`, which the hub answers itself with no roots, as before — and
 * {@link PLAIN_CALL_META_KEY}: a next hub then knows no question can come back, and can take its
 * fast path. Calls of tools that may run as tasks keep the hub's envelope (the task extension's
 * negotiation is the hub's). Other upstreams get `params` as they are.
 */
export function withCallerCapabilities(
  upstream: { readonly era: 'legacy' | 'modern' | undefined },
  tool: Pick<Tool, 'execution'>,
  params: Params,
  capabilities: ClientCapabilities,
): Params {
  if (upstream.era !== 'modern') return params;
  const taskSupport = tool.execution?.taskSupport;
  if (taskSupport !== undefined && taskSupport !== 'forbidden') return params;
  const meta = {
    ...(params._meta as Params | undefined),
    [CLIENT_CAPABILITIES_META_KEY]: { ...capabilities, roots: {} },
    [PLAIN_CALL_META_KEY]: true,
  };
  return { ...params, _meta: meta };
}
