/**
 * Keeps the upstreams added, changed or removed through the admin API in step on a hub that is
 * not the one the request reached: a hub object of `fedmcp deploy` (another shard, or the same one
 * after a restart) applies the stored changes when it starts and hears new ones on the store's
 * pub/sub (`cluster:changes`), as Node replicas do. No `node:` import.
 */
import { type Logger, silentLogger } from '@fedmcp/protocol';
import { type ClusterChange, createClusterChanges } from '../cluster/cluster-changes.js';
import type { AdminContext } from './admin-context.js';
import {
  applyUpstreamChange,
  restoreStoredUpstreams,
  type UpstreamChanges,
} from './routes/upstream-routes.js';

/** Options of {@link startUpstreamSync}. */
export interface UpstreamSyncOptions {
  /** This hub's id among those sharing the store: its own announcements are not applied twice. */
  replicaId: string;
  /** The config the hub runs for a stored one (see {@link UpstreamChanges.resolve}). */
  resolve?: UpstreamChanges['resolve'];
  /** @default silent */
  logger?: Logger;
}

/** A running {@link startUpstreamSync}. */
export interface UpstreamSync {
  /** Tells the other hubs of a change made here (for {@link UpstreamChanges.announce}). */
  announce(change: ClusterChange): Promise<void>;
  /** The stored upstreams that could not be applied at start, with why. */
  readonly failed: ReadonlyArray<{ id: string; error: string }>;
  /** Stops hearing changes. */
  close(): Promise<void>;
}

/**
 * Subscribes to the changes other hubs announce, then applies the stored upstreams (so none made
 * in between is missed).
 */
export async function startUpstreamSync(
  context: Pick<AdminContext, 'hub' | 'store'>,
  options: UpstreamSyncOptions,
): Promise<UpstreamSync> {
  const logger = options.logger ?? silentLogger;
  const changes = createClusterChanges({
    pubsub: context.store.pubsub,
    replicaId: options.replicaId,
    logger,
    onChange: (change) => applyUpstreamChange(context, change.id, change.action, options.resolve),
  });
  await changes.start();
  try {
    const failed = await restoreStoredUpstreams(context, options.resolve);
    for (const { id, error } of failed) {
      logger.error({ upstream: id, err: error }, 'admin: could not apply a stored upstream');
    }
    return { announce: (change) => changes.publish(change), failed, close: () => changes.close() };
  } catch (error) {
    await changes.close();
    throw error;
  }
}
