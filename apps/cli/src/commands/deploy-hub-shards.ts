/**
 * `hub.shards` of `fedmcp deploy cloudflare`: the deployed hub spread over that many Durable
 * Objects (`FedmcpHubObject` named `hub-0` … `hub-<N-1>`) instead of one, which is
 * single-threaded. The worker routes each request with `forwardToHubObject(…, { shards })`: a
 * 2025-11-25 session stays on the object that opened it, a 2026-07-28 retry reaches the object
 * holding its paused call, the rest spreads. For that, each object's hub names its calls after
 * the object (`flowForwarding.replicaId`; a retry that reaches another object is forwarded to the
 * holder over the store's pub/sub) and every object signs `requestState` with one key, made once
 * and kept in the hub's store (answers to consent and sign-in questions may reach any object).
 * One object (the default) keeps the hub as it was: no routing, no shared key.
 */

import type { HubObjectInfo, HubOptions } from '@fedmcp/federation';
import type { FedmcpConfig } from '@fedmcp/server';
import type { Store } from '@fedmcp/store';

/** What the CLI bakes into the bundle for `hub.shards`. */
export interface ShardsDefinition {
  /** How many Durable Objects serve the hub (absent: one). */
  shards?: number;
}

/** The definition's part for `hub.shards` (Cloudflare only; one object leaves it out). */
export function shardsDefinitionOf(hub: FedmcpConfig['hub']): ShardsDefinition {
  return hub.shards === undefined || hub.shards === 1 ? {} : { shards: hub.shards };
}

/** How many objects serve the hub of `definition`. */
export function shardCountOf(definition: ShardsDefinition): number {
  return definition.shards ?? 1;
}

const KEY_NAME = 'request-state-key';

/** The `requestState` key the objects share: made by the first, kept in the store. */
async function sharedRequestStateKey(store: Store): Promise<string> {
  const current = await store.kv.get(KEY_NAME);
  if (current) return current.value;
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const fresh = btoa(String.fromCharCode(...bytes));
  const created = await store.kv.compareAndSet(KEY_NAME, fresh, { expectedVersion: null });
  const value = created.ok ? created.entry.value : created.current?.value;
  if (value === undefined)
    throw new Error('the shared requestState key could not be kept in the store');
  return value;
}

/**
 * The hub options of one object of a sharded hub: its calls named after the object, retries that
 * reach another object forwarded over the store's pub/sub, `requestState` signed with the shared
 * key. Nothing for a hub in one object, or outside a Durable Object. An object the runtime
 * does not tell its name gets a random one: the front cannot route its retries, which then reach
 * it over the store's pub/sub.
 */
export async function shardHubOptions(
  definition: ShardsDefinition,
  store: Store,
  object: HubObjectInfo | undefined,
): Promise<Pick<HubOptions, 'requestStateKey' | 'flowForwarding'>> {
  if (shardCountOf(definition) === 1 || object === undefined) return {};
  return {
    requestStateKey: await sharedRequestStateKey(store),
    flowForwarding: {
      pubsub: store.pubsub,
      replicaId: object.name ?? `object-${crypto.randomUUID()}`,
    },
  };
}
