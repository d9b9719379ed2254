/**
 * The upstream connector of a hub at the edge: HTTP(S) MCP servers and peer hubs, no stdio.
 *
 * workerd ties I/O objects (streams, the SDK transport's long-lived `AbortSignal`, promises) to
 * the request whose handler made them and refuses them in any later request ("Cannot perform
 * I/O on behalf of a different request"). A hub keeps its upstream connections across requests,
 * so in workerd it runs inside a Durable Object (`defineHubObject`, `hub-object.ts`): an
 * object's requests share the object's I/O context, and the SDK's transports work there as they
 * are, through their public API only.
 */
import type { Client } from '@modelcontextprotocol/client';
import { connectRemoteUpstream } from '../connect-remote-upstream.js';
import type {
  UpstreamConnectOptions,
  UpstreamConnector,
  UpstreamSpec,
} from '../upstream-options.js';

/**
 * Connects an HTTP(S) upstream or peer hub from a runtime without processes (workerd inside a
 * Durable Object, Deno, Supabase Edge Functions).
 *
 * @throws FedmcpError INVALID_CONFIG for a stdio spec.
 * @example
 * ```ts
 * const hub = createHub({ connect: connectEdgeUpstream, upstreams: { docs: { url } } });
 * ```
 */
export async function connectEdgeUpstream(
  spec: UpstreamSpec,
  options: UpstreamConnectOptions,
): Promise<Client> {
  return connectRemoteUpstream(spec, options);
}

/**
 * Kept for code written for earlier versions, which adapted connectors to request-scoped
 * I/O: the connector itself, unchanged. Run the hub in a Durable Object
 * (`defineHubObject`) instead.
 *
 * @deprecated not needed: a hub inside a Durable Object uses any connector as it is.
 */
export function createEdgeConnector(connector: UpstreamConnector): UpstreamConnector {
  return connector;
}
