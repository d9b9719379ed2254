/**
 * One replica's part in a cluster of hubs on one shared store (`redis://…` or `postgres://…`):
 * its membership (heartbeat lease, listed by `/status` and `/admin/v1/replicas`) and the change
 * channel through which upstreams added, changed or removed through the admin API on one replica
 * reach the others. When the store comes back after an outage (the first heartbeat that works
 * again), the replica publishes probes on the channel until it hears its own (its subscriber
 * connection reconnected too), then resyncs the admin upstreams from the store: pub/sub kept
 * nothing meanwhile, and whatever is announced after that point is heard.
 */
import { randomUUID } from 'node:crypto';
import type { Hub, HubStatus } from '@fedmcp/federation';
import type { Logger } from '@fedmcp/protocol';
import type { Store } from '@fedmcp/store';
import type { AdminContext } from '../admin/admin-context.js';
import { applyUpstreamChange, restoreStoredUpstreams } from '../admin/routes/upstream-routes.js';
import { createClusterChanges } from './cluster-changes.js';
import {
  createReplicaMembership,
  membershipSettingsFromEnv,
  type ReplicaMembership,
  type ReplicaRecord,
  type ReplicaUpstream,
} from './replica-membership.js';

/** The `cluster` part of `/status` on a replica. */
export interface ClusterStatus {
  /** The replica that answered. */
  replica: string;
  /** `unreachable` while the shared store does not answer. */
  store: 'ok' | 'unreachable';
  /** The live replicas (this one included); absent while the store does not answer. */
  replicas?: ReplicaRecord[];
}

/** Options of {@link createClusterNode}. */
export interface ClusterNodeOptions {
  store: Store;
  hub: Hub;
  hubId(): string;
  /** This replica's upstreams as operators see them (the built-in runtime left out). */
  upstreams(): readonly ReplicaUpstream[];
  /** A digest of the config in force (see `configDigest`). */
  configDigest?(): string;
  /** `FEDMCP_REPLICA_ID`, `FEDMCP_REPLICA_HEARTBEAT_MS`, `FEDMCP_REPLICA_LEASE_MS`. */
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
}

/** A replica's cluster side; `undefined` from {@link createClusterNode} on a store no other process shares. */
export interface ClusterNode {
  readonly membership: ReplicaMembership;
  /** What the admin API uses: the replica list and the announcement of its changes. */
  readonly admin: NonNullable<AdminContext['cluster']>;
  /** Registers this replica (with where it listens) and starts hearing changes. */
  start(context: AdminContext, address: string | undefined): Promise<void>;
  /** The live replicas; `undefined` when the store does not answer (status still answers). */
  replicas(): Promise<ReplicaRecord[] | undefined>;
  /** A `/status` document with the `cluster` part added. */
  withCluster(status: HubStatus): Promise<HubStatus & { cluster: ClusterStatus }>;
  /**
   * Calls `listener` when the cluster changes: a replica joins, leaves (cleanly or when its lease
   * runs out), or reports another upstream state, or the shared store stops or starts answering.
   * While anything listens, the replica list is read once per heartbeat (one prefix scan; never on
   * a request's path). Returns the function that stops listening.
   */
  onReplicasChange(listener: () => void): () => void;
  /** Deregisters and stops hearing. */
  close(): Promise<void>;
}

/**
 * Creates the cluster side of a replica when its store is shared (redis, postgres); `undefined`
 * for the memory and sqlite engines (one process, or one machine without replicas).
 * @throws {Error} on a bad `FEDMCP_REPLICA_*` variable, naming it.
 */
export function createClusterNode(options: ClusterNodeOptions): ClusterNode | undefined {
  if (options.store.engine !== 'redis' && options.store.engine !== 'postgres') return undefined;
  const { store, hub, logger } = options;
  let address: string | undefined;
  let context: AdminContext | undefined;
  const resync = async () => {
    if (!context) return;
    for (const { id, error } of await restoreStoredUpstreams(context)) {
      logger.warn({ upstream: id, err: error }, 'cluster: an admin upstream could not be resynced');
    }
  };
  const settings = membershipSettingsFromEnv(options.env);
  // After an outage: probe until this replica hears itself, then resync from the store.
  let probeTimer: ReturnType<typeof setInterval> | undefined;
  let probeNonce: string | undefined;
  const stopProbing = () => {
    if (probeTimer) clearInterval(probeTimer);
    probeTimer = undefined;
    probeNonce = undefined;
  };
  const probe = () => {
    probeNonce = randomUUID();
    void changes.start().then(
      () => changes.publish({ kind: 'probe', nonce: probeNonce as string }),
      () => undefined,
    );
  };
  const membership = createReplicaMembership({
    kv: store.kv,
    hubId: options.hubId,
    address: () => address,
    upstreams: options.upstreams,
    ...(options.configDigest ? { configDigest: options.configDigest } : {}),
    ...settings,
    onRecovered: () => {
      if (probeTimer) return;
      probe();
      probeTimer = setInterval(probe, Math.min(settings.heartbeatMs ?? 2000, 1000));
      probeTimer.unref?.();
    },
    logger,
  });
  const changes = createClusterChanges({
    pubsub: store.pubsub,
    replicaId: membership.id,
    onProbe: (nonce) => {
      if (nonce !== probeNonce) return;
      stopProbing();
      logger.info({}, 'cluster: hearing changes again; resyncing the admin upstreams');
      void resync().catch((error: unknown) =>
        logger.warn({ err: (error as Error).message }, 'cluster: resync after the outage failed'),
      );
    },
    onChange: async (change, origin) => {
      if (!context) return;
      logger.info(
        { upstream: change.id, action: change.action, origin },
        'cluster: upstream changed on another replica',
      );
      await applyUpstreamChange(context, change.id, change.action);
    },
    logger,
  });
  let stopFollowing: (() => void) | undefined;
  // Who listens for cluster changes, and what the cluster looked like at the last look.
  const listeners = new Set<() => void>();
  let watchTimer: ReturnType<typeof setInterval> | undefined;
  let lastSeen: string | undefined;
  let looking = false;
  const fingerprint = (replicas: ReplicaRecord[] | undefined): string =>
    replicas
      ? JSON.stringify(
          replicas
            .map(({ id, upstreams }) => [
              id,
              upstreams.map(({ id: up, state }) => `${up}=${state}`),
            ])
            .sort(([left], [right]) => String(left).localeCompare(String(right))),
        )
      : 'unreachable';
  const look = async () => {
    if (looking) return;
    looking = true;
    try {
      const seen = fingerprint(await membership.list().catch(() => undefined));
      const changed = lastSeen !== undefined && seen !== lastSeen;
      lastSeen = seen;
      if (changed) for (const listener of [...listeners]) listener();
    } finally {
      looking = false;
    }
  };
  const stopWatching = () => {
    if (watchTimer) clearInterval(watchTimer);
    watchTimer = undefined;
    lastSeen = undefined;
  };
  return {
    membership,
    admin: {
      replicaId: membership.id,
      replicas: () => membership.list(),
      announce: (change) => changes.publish(change),
    },
    async start(adminContext, listening) {
      context = adminContext;
      address = listening;
      // The store may be down right now: the subscription is retried by the heartbeat's recovery.
      await changes
        .start()
        .catch((error: unknown) =>
          logger.warn({ err: (error as Error).message }, 'cluster: cannot hear changes yet'),
        );
      await membership.start();
      // A change announced before the subscription was active is in the store.
      await resync().catch(() => undefined);
      // An upstream changing state is news for `fedmcp status` on every replica.
      stopFollowing = hub.onUpstreamStateChange(() => void membership.heartbeat());
    },
    replicas: () => membership.list().catch(() => undefined),
    async withCluster(status) {
      const replicas = await membership.list().catch(() => undefined);
      return {
        ...status,
        cluster: {
          replica: membership.id,
          store: replicas ? 'ok' : 'unreachable',
          ...(replicas ? { replicas } : {}),
        },
      };
    },
    onReplicasChange(listener) {
      listeners.add(listener);
      if (!watchTimer) {
        void look();
        watchTimer = setInterval(() => void look(), settings.heartbeatMs ?? 2000);
        watchTimer.unref?.();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stopWatching();
      };
    },
    async close() {
      listeners.clear();
      stopWatching();
      stopProbing();
      stopFollowing?.();
      await changes.close();
      await membership.close();
    },
  };
}
