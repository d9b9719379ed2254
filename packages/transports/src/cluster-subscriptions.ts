/**
 * Resource subscriptions of a 2025-era cluster session. A `resources/subscribe` is served by the
 * replica it reaches: that replica's copy of the session follows the URI, and its hub holds one
 * upstream subscription per (upstream, URI) for all its sessions (reference counted). The
 * client's `resources/unsubscribe` may reach another replica, so every unsubscribe is announced on
 * a channel and each replica holding a copy of the session applies it to its copy (the last
 * follower on a replica releases that replica's upstream subscription). A `DELETE` closes every
 * copy (the revocation list), which drops their subscriptions the same way.
 */
import type { Logger } from '@fedmcp/protocol';
import { silentLogger } from '@fedmcp/protocol';
import type { SessionStateStore } from './session-revocations.js';

/** Options for {@link createClusterSubscriptions}. */
export interface ClusterSubscriptionsOptions {
  store: Pick<SessionStateStore, 'pubsub'>;
  /** This replica's id (its own announcements are not applied twice). */
  replicaId: string;
  /** Prefix of the channel. @default 'fedmcp:session:' */
  prefix?: string;
  logger?: Logger;
}

/** See the file comment. */
export interface ClusterSubscriptions {
  /** Subscribes to the channel; idempotent. */
  start(): Promise<void>;
  /** Tells every other replica that a session (by nonce) unsubscribed from `uri`. */
  announceUnsubscribe(nonce: string, uri: string): Promise<void>;
  /** Runs `listener` when another replica announces an unsubscribe. */
  onUnsubscribed(listener: (nonce: string, uri: string) => void): void;
  close(): Promise<void>;
}

/** The `resources/subscribe` or `resources/unsubscribe` URIs in a message or batch. */
export function subscriptionChangesOf(
  body: unknown,
): Array<{ method: 'resources/subscribe' | 'resources/unsubscribe'; uri: string }> {
  const messages = Array.isArray(body) ? body : [body];
  const changes: Array<{ method: 'resources/subscribe' | 'resources/unsubscribe'; uri: string }> =
    [];
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue;
    const { method, params } = message as { method?: unknown; params?: { uri?: unknown } };
    if (method !== 'resources/subscribe' && method !== 'resources/unsubscribe') continue;
    if (typeof params?.uri === 'string') changes.push({ method, uri: params.uri });
  }
  return changes;
}

/** Creates the subscription announcements of one replica; see the file comment. */
export function createClusterSubscriptions(
  options: ClusterSubscriptionsOptions,
): ClusterSubscriptions {
  const { store, replicaId } = options;
  const logger = options.logger ?? silentLogger;
  const channel = `${options.prefix ?? 'fedmcp:session:'}unsubscribed`;
  const listeners: Array<(nonce: string, uri: string) => void> = [];
  let subscription: Promise<{ unsubscribe(): Promise<void> }> | undefined;
  return {
    start() {
      subscription ??= store.pubsub.subscribe(channel, (text) => {
        let message: { from?: unknown; nonce?: unknown; uri?: unknown };
        try {
          message = JSON.parse(text) as typeof message;
        } catch {
          return;
        }
        const { from, nonce, uri } = message;
        if (from === replicaId || typeof nonce !== 'string' || typeof uri !== 'string') return;
        for (const listener of listeners) listener(nonce, uri);
      });
      subscription.catch(() => {
        subscription = undefined; // tried again by the next start()
      });
      return subscription.then(() => {});
    },
    async announceUnsubscribe(nonce, uri) {
      await store.pubsub
        .publish(channel, JSON.stringify({ from: replicaId, nonce, uri }))
        .catch((error: unknown) =>
          logger.warn(
            { err: error },
            'Announcing an unsubscribe to the other replicas failed; their copies keep following the resource until the session ends',
          ),
        );
    },
    onUnsubscribed(listener) {
      listeners.push(listener);
    },
    async close() {
      const active = subscription;
      subscription = undefined;
      if (active) await (await active).unsubscribe().catch(() => {});
    },
  };
}
