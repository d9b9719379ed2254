/**
 * The hub that `fedmcp dev` bundles for workerd and Deno: upstreams from the config (HTTP(S)
 * servers and peers, resolved by the CLI and baked in as `__FEDMCP_DEV__`), state in a Durable
 * Object (`FEDMCP_STORE`, workerd) or in memory (Deno). In workerd the hub runs in the Durable
 * Object `FedmcpHubObject` (`FEDMCP_HUB`), where a call paused for an elicitation resumes in the
 * request that answers it. No `node:` imports.
 */
import {
  connectEdgeUpstream,
  createHub,
  createHubHandler,
  defineHubObject,
  forwardToHubObject,
  type HubHandler,
  type HubObjectNamespace,
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

interface Env {
  FEDMCP_STORE?: DurableObjectNamespace;
  FEDMCP_HUB?: HubObjectNamespace;
}

async function build(env: Env | undefined): Promise<HubHandler> {
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

export const FedmcpHubObject = defineHubObject<Env | undefined>(build);

export default {
  async fetch(request: Request, env?: Env): Promise<Response> {
    if (env?.FEDMCP_HUB) return forwardToHubObject(request, env.FEDMCP_HUB);
    handler ??= build(env); // Deno: one hub per process
    return (await handler)(request);
  },
};
