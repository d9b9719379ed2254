/**
 * Cancellations of a 2025-era cluster session's requests (MCP 2025-11-25
 * basic/utilities/cancellation). Behind a load balancer without stickiness, the client's
 * `notifications/cancelled` may be POSTed to another replica than the one running the request.
 * The replica it reaches applies it to its own copy of the session (where it usually does
 * nothing) and announces it on one cluster-wide channel; every other replica holding a copy of
 * the session applies it there, so the replica running the request (the only one whose copy
 * knows its id) aborts it. Cancellations are rare: one publish each, nothing on the hot path.
 */
import type { Logger } from '@fedmcp/protocol';
import { silentLogger } from '@fedmcp/protocol';
import type { SessionStateStore } from './session-revocations.js';

/** Options for {@link createClusterCancellations}. */
export interface ClusterCancellationsOptions {
  store: Pick<SessionStateStore, 'pubsub'>;
  /** This replica's id (its own announcements are not applied twice). */
  replicaId: string;
  /** Prefix of the channel. @default 'fedmcp:session:' */
  prefix?: string;
  logger?: Logger;
}

/** A client's `notifications/cancelled` params (the request id, and its reason if any). */
export interface Cancellation {
  requestId: string | number;
  reason?: string;
}

/** See the file comment. */
export interface ClusterCancellations {
  /** Subscribes to the channel; idempotent. */
  start(): Promise<void>;
  /** Tells every other replica that a session (by nonce) cancelled a request. */
  announce(nonce: string, cancellation: Cancellation): Promise<void>;
  /** Runs `listener` when another replica announces a cancellation. */
  onCancelled(listener: (nonce: string, cancellation: Cancellation) => void): void;
  close(): Promise<void>;
}

/** The cancellations in a message or batch (`notifications/cancelled` with a request id). */
export function cancellationsOf(body: unknown): Cancellation[] {
  const messages = Array.isArray(body) ? body : [body];
  const found: Cancellation[] = [];
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) continue;
    const { method, params } = message as {
      method?: unknown;
      params?: { requestId?: unknown; reason?: unknown };
    };
    if (method !== 'notifications/cancelled') continue;
    const requestId = params?.requestId;
    if (typeof requestId !== 'string' && typeof requestId !== 'number') continue;
    found.push({
      requestId,
      ...(typeof params?.reason === 'string' ? { reason: params.reason } : {}),
    });
  }
  return found;
}

/** Creates the cancellation announcements of one replica; see the file comment. */
export function createClusterCancellations(
  options: ClusterCancellationsOptions,
): ClusterCancellations {
  const { store, replicaId } = options;
  const logger = options.logger ?? silentLogger;
  const channel = `${options.prefix ?? 'fedmcp:session:'}cancelled`;
  const listeners: Array<(nonce: string, cancellation: Cancellation) => void> = [];
  let subscription: Promise<{ unsubscribe(): Promise<void> }> | undefined;
  return {
    start() {
      subscription ??= store.pubsub.subscribe(channel, (text) => {
        let message: { from?: unknown; nonce?: unknown; cancellation?: unknown };
        try {
          message = JSON.parse(text) as typeof message;
        } catch {
          return;
        }
        const { from, nonce } = message;
        if (from === replicaId || typeof nonce !== 'string') return;
        const [cancellation] = cancellationsOf({
          method: 'notifications/cancelled',
          params: message.cancellation,
        });
        if (!cancellation) return;
        for (const listener of listeners) listener(nonce, cancellation);
      });
      subscription.catch(() => {
        subscription = undefined; // tried again by the next start()
      });
      return subscription.then(() => {});
    },
    async announce(nonce, cancellation) {
      await store.pubsub
        .publish(channel, JSON.stringify({ from: replicaId, nonce, cancellation }))
        .catch((error: unknown) =>
          logger.warn(
            { err: error },
            'Announcing a cancellation to the other replicas failed (shared store unreachable); a request running on another replica runs to its end',
          ),
        );
    },
    onCancelled(listener) {
      listeners.push(listener);
    },
    async close() {
      const active = subscription;
      subscription = undefined;
      if (active) await (await active).unsubscribe().catch(() => {});
    },
  };
}
