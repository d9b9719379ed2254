/**
 * The hub that `fedmcp dev` bundles for workerd and Deno: upstreams from the config (HTTP(S)
 * servers and peers, resolved by the CLI and baked in as `__FEDMCP_DEV__`), state in a Durable
 * Object (`FEDMCP_STORE`, workerd) or in memory (Deno). No `node:` imports.
 */
import {
  connectEdgeUpstream,
  createHub,
  createHubHandler,
  type HubHandler,
  type UpstreamConfig,
} from '@fedmcp/federation';
import { createMemoryStore, type Store } from '@fedmcp/store';
import {
  createDurableObjectStore,
  type DurableObjectNamespace,
} from '@fedmcp/store/durable-object';

export { FedmcpStoreObject } from '@fedmcp/store/durable-object';

declare const __FEDMCP_DEV__: { hubId: string; upstreams: Record<string, UpstreamConfig> };

let handler: Promise<HubHandler> | undefined;

async function build(env: { FEDMCP_STORE?: DurableObjectNamespace } | undefined) {
  const store: Store = env?.FEDMCP_STORE
    ? createDurableObjectStore({ namespace: env.FEDMCP_STORE })
    : createMemoryStore();
  const hub = createHub({
    hubId: __FEDMCP_DEV__.hubId,
    connect: connectEdgeUpstream,
    upstreams: __FEDMCP_DEV__.upstreams,
    tasks: { store },
  });
  return createHubHandler(hub, { hubId: __FEDMCP_DEV__.hubId, replayStore: store.kv });
}

export default {
  async fetch(request: Request, env?: { FEDMCP_STORE?: DurableObjectNamespace }) {
    handler ??= build(env);
    return (await handler)(request);
  },
};
