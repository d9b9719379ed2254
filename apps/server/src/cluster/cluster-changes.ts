/**
 * Changes made on one replica that the others must apply, announced on the shared store's pub/sub
 * (channel `cluster:changes`): an upstream added, changed or removed through the admin API. Each
 * message names the replica it came from, which ignores its own. Pub/sub keeps nothing for a
 * replica that was disconnected (Redis down): when its heartbeat works again the replica resyncs
 * the admin upstreams from the store, so a change made during the outage is not missed. Pin
 * approvals have their own channel (`pins:changed`, `@fedmcp/federation`'s pinning); consent
 * grants and revocations are read from the store on each call that needs them, so they need no
 * message. Config reloads have their own channel too (`cluster:config`, sealed under the cluster
 * secret: `config-sync.ts`).
 */
import type { Logger } from '@fedmcp/protocol';
import type { PubSub, Subscription } from '@fedmcp/store';

/** The channel of {@link ClusterChange}s (the store's prefix applies). */
export const CLUSTER_CHANGES_CHANNEL = 'cluster:changes';

/** A change one replica announces to the others. */
export type ClusterChange =
  | { kind: 'upstream'; id: string; action: 'put' | 'removed' }
  /** A replica checking that its own subscription hears the channel again (after an outage). */
  | { kind: 'probe'; nonce: string };

interface Envelope {
  origin: string;
  change: ClusterChange;
}

/** Options of {@link createClusterChanges}. */
export interface ClusterChangesOptions {
  pubsub: Pick<PubSub, 'publish' | 'subscribe'>;
  /** This replica's id: its own messages are ignored. */
  replicaId: string;
  /** Applies a change announced by another replica. */
  onChange(change: Extract<ClusterChange, { kind: 'upstream' }>, origin: string): Promise<void>;
  /** This replica heard its own probe: its subscription works. */
  onProbe?(nonce: string): void;
  logger: Logger;
}

/** The announcing and hearing side of {@link createClusterChanges}. */
export interface ClusterChanges {
  /** Subscribes; resolves once messages published afterwards are heard. */
  start(): Promise<void>;
  /** Announces a change to the other replicas. Failures are logged, not thrown (the change is in the store). */
  publish(change: ClusterChange): Promise<void>;
  close(): Promise<void>;
}

function isChange(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false;
  const { origin, change } = value as { origin?: unknown; change?: { kind?: unknown } };
  if (typeof origin !== 'string' || typeof change !== 'object' || change === null) return false;
  if (change.kind === 'probe') return typeof (change as { nonce?: unknown }).nonce === 'string';
  return (
    change.kind === 'upstream' &&
    typeof (change as { id?: unknown }).id === 'string' &&
    ((change as { action?: unknown }).action === 'put' ||
      (change as { action?: unknown }).action === 'removed')
  );
}

/** Creates the cluster change channel of one replica. */
export function createClusterChanges(options: ClusterChangesOptions): ClusterChanges {
  const { pubsub, replicaId, logger } = options;
  let subscription: Subscription | undefined;
  // Changes are applied one after another, in the order heard.
  let queue: Promise<void> = Promise.resolve();
  return {
    async start() {
      subscription ??= await pubsub.subscribe(CLUSTER_CHANGES_CHANNEL, (message) => {
        let envelope: unknown;
        try {
          envelope = JSON.parse(message);
        } catch {
          envelope = undefined;
        }
        if (!isChange(envelope)) {
          logger.warn({ channel: CLUSTER_CHANGES_CHANNEL }, 'cluster: ignored a malformed change');
          return;
        }
        const { change, origin } = envelope;
        if (change.kind === 'probe') {
          if (origin === replicaId) options.onProbe?.(change.nonce);
          return;
        }
        if (origin === replicaId) return;
        queue = queue.then(() =>
          options
            .onChange(change, origin)
            .catch((error: unknown) =>
              logger.error(
                { origin, upstream: change.id, err: (error as Error).message },
                'cluster: could not apply a change made on another replica',
              ),
            ),
        );
      });
    },
    async publish(change) {
      try {
        await pubsub.publish(
          CLUSTER_CHANGES_CHANNEL,
          JSON.stringify({ origin: replicaId, change } satisfies Envelope),
        );
      } catch (error) {
        logger.warn(
          { kind: change.kind, err: (error as Error).message },
          'cluster: could not announce a change; other replicas apply it when they resync',
        );
      }
    },
    async close() {
      const current = subscription;
      subscription = undefined;
      await current?.unsubscribe().catch(() => undefined);
      await queue;
    },
  };
}
