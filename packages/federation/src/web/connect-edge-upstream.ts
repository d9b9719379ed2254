/**
 * The upstream connector for runtimes that tie I/O objects to the request that created them
 * (workerd). An upstream's client outlives the request that connected it, and the SDK's HTTP
 * client transports combine the one `AbortSignal` they made at start with each request's signal
 * (`AbortSignal.any`): workerd refuses that in any later request ("Cannot perform I/O on behalf
 * of a different request"). Here the transport's controller hands out, on each use, a signal of
 * the calling request (already aborted once the transport closed); the original one is left
 * alone, as workerd refuses even reading it. In-flight requests are then
 * not cut by `close()`; they end with the request (or isolate) that made them.
 */
import type { Client } from '@modelcontextprotocol/client';
import { connectRemoteUpstream } from '../connect-remote-upstream.js';
import type {
  UpstreamConnectOptions,
  UpstreamConnector,
  UpstreamSpec,
} from '../upstream-options.js';

interface WithAbortController {
  _abortController?: AbortController;
}

/** Replaces a transport's long-lived abort controller with a request-scoped view of it. */
function scopeAbortSignal(transport: unknown): void {
  const holder = (transport ?? {}) as WithAbortController;
  const controller = holder._abortController;
  if (!(controller instanceof AbortController)) return; // another transport: nothing to adapt
  let closed: { reason: unknown } | undefined;
  holder._abortController = {
    get signal() {
      const scoped = new AbortController();
      if (closed) scoped.abort(closed.reason);
      return scoped.signal;
    },
    abort(reason?: unknown) {
      closed = { reason };
      try {
        controller.abort(reason); // refused by workerd outside the connecting request
      } catch {}
    },
  };
}

/**
 * `connectRemoteUpstream` for workerd and other request-scoped runtimes: HTTP(S) upstreams and
 * peer hubs whose connections serve every later request (see the module comment).
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
  const client = await connectRemoteUpstream(spec, options);
  scopeAbortSignal(client.transport);
  return client;
}

/**
 * Any upstream connector made safe for request-scoped runtimes the same way: use it to wrap a
 * connector that builds its own transports, such as `createPeerConnector` (peer hubs as
 * upstreams of a hub in workerd).
 *
 * @example
 * ```ts
 * const connect = createEdgeConnector(
 *   createPeerConnector({ base: connectEdgeUpstream, peers: () => peers, hubId: () => 'edge', keyring }),
 * );
 * ```
 */
export function createEdgeConnector(connector: UpstreamConnector): UpstreamConnector {
  return async (spec, options) => {
    const client = await connector(spec, options);
    scopeAbortSignal(client.transport);
    return client;
  };
}
