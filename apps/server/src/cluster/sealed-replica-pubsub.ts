/**
 * The replicas' pub/sub, sealed under the cluster secret. Everything replicas tell each other goes
 * over the shared store's pub/sub — answers to questions asked inside calls, notifications,
 * cancellations, unsubscribes, session revocations, forwarded 2026-07-28 rounds, task relays,
 * cancels, status and input, pin approvals, sign-in signals, admin changes, runtime resource
 * updates, config reloads — so whoever can write to Redis (or PostgreSQL) could otherwise answer
 * an elicitation, cancel a call, revoke sessions or forge a consent answer. The store a server
 * builds on a shared engine with a cluster secret seals every message it publishes and drops every
 * message that does not open (`withSealedPubSub` of `@fedmcp/store`); the channel modules see
 * plain messages and need no change.
 *
 * Exact replays are dropped per subscription within the window (30 s) and refused after it, so no
 * consumer has to be idempotent for that; a replay is still delivered once to a subscription that
 * started after the genuine message was sent (it never saw it). That case is harmless where it can
 * happen: answers are one-shot (the first answer to a question's per-replica tag removes it; a
 * second finds nothing waiting), cancellations, unsubscribes and revocations repeat harmlessly,
 * and admin changes and pin approvals only make a replica re-read the store.
 *
 * Not sealed: key/value entries, streams and leases at rest in the store (the session events, task
 * records, audit stream); those are the store's, read by whoever can read the store.
 */
import { type Logger, silentLogger } from '@fedmcp/protocol';
import { type Store, withSealedPubSub } from '@fedmcp/store';
import type { FedmcpConfig } from '../config/config-schema.js';
import {
  type ResolvedClusterConfig,
  resolveClusterConfig,
} from '../config/resolve-cluster-config.js';

/**
 * `store` with its pub/sub sealed under the cluster secret when replicas share it (redis,
 * postgres) and a secret is set; else `store` itself (one process, or no secret: nothing to seal
 * with, as before).
 */
export function sealReplicaPubSub(
  store: Store,
  secrets: Pick<ResolvedClusterConfig, 'secret' | 'previousSecrets'> | undefined,
  logger: Logger,
): Store {
  if (!secrets || (store.engine !== 'redis' && store.engine !== 'postgres')) return store;
  return withSealedPubSub(store, {
    secret: secrets.secret,
    previousSecrets: secrets.previousSecrets,
    logger,
  });
}

/**
 * For commands beside the hub that announce on its store (`fedmcp tools approve`, `fedmcp tasks
 * cancel`): `store` sealed as the replicas of `config` seal theirs, so they hear the announcement.
 * The cluster secret is resolved like `fedmcp serve` does (`cluster.secret` with its `${ENV}` and
 * `${secret:…}` references, else `FEDMCP_CLUSTER_SECRET`).
 * @throws {FedmcpError} `INVALID_CONFIG` when the cluster secret is set but cannot be resolved
 *   (`store` is closed then).
 */
export async function sealConfigStore(
  store: Store,
  config: FedmcpConfig,
  options: {
    baseDirectory?: string;
    env?: Readonly<Record<string, string | undefined>>;
    logger?: Logger;
  } = {},
): Promise<Store> {
  if (store.engine !== 'redis' && store.engine !== 'postgres') return store;
  try {
    const secrets = await resolveClusterConfig(config, {
      baseDirectory: options.baseDirectory ?? process.cwd(),
      env: options.env ?? process.env,
      secretValues: new Set(),
    });
    return sealReplicaPubSub(store, secrets, options.logger ?? silentLogger);
  } catch (error) {
    await store.close();
    throw error;
  }
}
