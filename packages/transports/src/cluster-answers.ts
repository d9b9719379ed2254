/**
 * Server→client requests of a 2025-era cluster session (sampling, elicitation, roots, the hub's
 * own questions) answered through another replica. Behind a load balancer without stickiness,
 * the client's JSON-RPC response may be POSTed to any replica; only the one whose server sent the
 * request (the holder) has it waiting.
 *
 * Each copy of a session on a replica has its own SDK server, whose request ids restart at 0, so
 * ids alone cannot say who asked. {@link ClusterAnswers.attach} renames the ids of a copy's
 * outgoing requests to `fedmcp.<replica>.<n>` (unique in the cluster; JSON-RPC allows string
 * ids) and back on the answer, so the SDK server sees its own ids. A replica receiving an answer
 * to another replica's id publishes it on that replica's channel (one per replica, keyed inside by
 * session and request id) and waits, bounded, for the holder's acknowledgement: the answering
 * client learns whether the answer reached a waiting request, and gets a clear error when the
 * holder stopped or the request already ended. No store round trip when the answer arrives where
 * the request was asked.
 */
import type { Logger } from '@fedmcp/protocol';
import { silentLogger } from '@fedmcp/protocol';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/server';
import type { SessionStateStore } from './session-revocations.js';

/** Options for {@link createClusterAnswers}. */
export interface ClusterAnswersOptions {
  store: Pick<SessionStateStore, 'pubsub'>;
  /** This replica's id in request ids and channel names. @default a random id */
  replicaId?: string;
  /** Prefix of the channels. @default 'fedmcp:session:' */
  prefix?: string;
  /** How long a forwarding replica waits for the holder's acknowledgement. @default 5000 */
  forwardTimeoutMs?: number;
  logger?: Logger;
}

/** What became of an answer forwarded to the replica holding its request. */
export type ForwardedAnswerOutcome = 'delivered' | 'not-waiting' | 'no-holder' | 'store-failed';

/** The answers of a replica's cluster sessions; see the file comment. */
export interface ClusterAnswers {
  readonly replicaId: string;
  /** Subscribes to this replica's channel; idempotent. */
  start(): Promise<void>;
  /**
   * Renames the ids of the requests the server connected to `transport` sends, and back on their
   * answers. Call after the server connected (its `onmessage` is in place). Returns a function
   * that forgets the copy's waiting requests (call it when the copy closes).
   */
  attach(transport: Transport, sessionKey: string): () => void;
  /**
   * The prefix of request ids that other requesters of this replica use (the fast path's
   * server→client requests), so their answers are forwarded here too.
   */
  readonly idPrefix: string;
  /**
   * Where a forwarded answer goes when no attached copy waits for it: `deliver` returns whether a
   * request of the session (by key) took it.
   */
  setFallbackDelivery(deliver: (sessionKey: string, message: JSONRPCMessage) => boolean): void;
  /** The responses in a POST body that answer another replica's requests (possibly none). */
  foreignAnswers(body: unknown): JSONRPCMessage[];
  /** Sends answers to the replicas holding their requests; the worst outcome of them. */
  forward(sessionKey: string, answers: readonly JSONRPCMessage[]): Promise<ForwardedAnswerOutcome>;
  /**
   * Whether a replica is still there: it acknowledges on its channel within the forward timeout
   * (`gone` when it does not, `store-failed` when the store cannot be reached).
   */
  probe(replica: string): Promise<'alive' | 'gone' | 'store-failed'>;
  /** Unsubscribes and fails the forwards still waiting. */
  close(): Promise<void>;
}

const TAG = 'fedmcp.';

interface Waiting {
  sessionKey: string;
  originalId: string | number;
  deliver(message: JSONRPCMessage): void;
}

interface ChannelMessage {
  kind: 'answer' | 'ack' | 'probe';
  /** The replica to acknowledge to. */
  from: string;
  ref: number;
  sessionKey?: string;
  message?: JSONRPCMessage;
  outcome?: ForwardedAnswerOutcome;
}

function isResponse(message: unknown): message is { id: unknown } & Record<string, unknown> {
  if (typeof message !== 'object' || message === null) return false;
  const record = message as Record<string, unknown>;
  return record.method === undefined && 'id' in record && ('result' in record || 'error' in record);
}

function replicaOf(id: unknown): string | undefined {
  if (typeof id !== 'string' || !id.startsWith(TAG)) return undefined;
  const end = id.indexOf('.', TAG.length);
  return end > TAG.length ? id.slice(TAG.length, end) : undefined;
}

const severity: Record<ForwardedAnswerOutcome, number> = {
  delivered: 0,
  'not-waiting': 1,
  'no-holder': 2,
  'store-failed': 3,
};

/** Creates the cross-replica answer routing of one replica. */
export function createClusterAnswers(options: ClusterAnswersOptions): ClusterAnswers {
  const { store } = options;
  const logger = options.logger ?? silentLogger;
  const prefix = options.prefix ?? 'fedmcp:session:';
  const replicaId = options.replicaId ?? crypto.randomUUID().replaceAll('-', '').slice(0, 12);
  if (replicaId.includes('.')) throw new TypeError('a replica id must not contain "."');
  const timeoutMs = options.forwardTimeoutMs ?? 5_000;
  const channelOf = (replica: string) => `${prefix}answers:${replica}`;
  // Tagged id → the request waiting for it on a copy of this replica.
  const waiting = new Map<string, Waiting>();
  // Forwards waiting for an acknowledgement, by reference.
  const acks = new Map<number, (outcome: ForwardedAnswerOutcome) => void>();
  let sequence = 0;
  let references = 0;
  let subscription: Promise<{ unsubscribe(): Promise<void> }> | undefined;
  let fallback: ((sessionKey: string, message: JSONRPCMessage) => boolean) | undefined;

  const publish = (replica: string, message: ChannelMessage) =>
    store.pubsub.publish(channelOf(replica), JSON.stringify(message));

  const onChannelMessage = (text: string) => {
    let message: ChannelMessage;
    try {
      message = JSON.parse(text) as ChannelMessage;
    } catch {
      return;
    }
    if (message.kind === 'ack') {
      acks.get(message.ref)?.(message.outcome ?? 'not-waiting');
      return;
    }
    if (message.kind === 'probe') {
      publish(message.from, {
        kind: 'ack',
        from: replicaId,
        ref: message.ref,
        outcome: 'delivered',
      }).catch((error: unknown) => logger.warn({ err: error }, 'Answering a probe failed'));
      return;
    }
    const id = (message.message as { id?: unknown } | undefined)?.id;
    const entry = typeof id === 'string' ? waiting.get(id) : undefined;
    // Only the session that was asked may answer (a tag is no capability of its own).
    let outcome: ForwardedAnswerOutcome = 'not-waiting';
    if (entry && message.message && entry.sessionKey === message.sessionKey) {
      entry.deliver(message.message);
      outcome = 'delivered';
    } else if (!entry && message.message && typeof message.sessionKey === 'string') {
      if (fallback?.(message.sessionKey, message.message)) outcome = 'delivered';
    }
    publish(message.from, { kind: 'ack', from: replicaId, ref: message.ref, outcome }).catch(
      (error: unknown) => logger.warn({ err: error }, 'Acknowledging a forwarded answer failed'),
    );
  };

  return {
    replicaId,
    idPrefix: `${TAG}${replicaId}.f`,
    setFallbackDelivery(deliver) {
      fallback = deliver;
    },
    start() {
      // A failed subscription (the store unreachable at start) is tried again on the next call.
      subscription ??= store.pubsub
        .subscribe(channelOf(replicaId), onChannelMessage)
        .catch((error: unknown) => {
          subscription = undefined;
          throw error;
        });
      return subscription.then(() => {});
    },
    attach(transport, sessionKey) {
      const tags = new Map<string | number, string>(); // original id → tag, this copy's
      const serverOnMessage = transport.onmessage?.bind(transport);
      const untag = (message: JSONRPCMessage): JSONRPCMessage => {
        const id = (message as { id?: unknown }).id;
        if (!isResponse(message) || typeof id !== 'string') return message;
        const entry = waiting.get(id);
        if (!entry || entry.sessionKey !== sessionKey) return message;
        waiting.delete(id);
        tags.delete(entry.originalId);
        return { ...message, id: entry.originalId } as JSONRPCMessage;
      };
      transport.onmessage = (message, extra) => serverOnMessage?.(untag(message), extra);
      const deliver = (message: JSONRPCMessage) => transport.onmessage?.(message);
      const send = transport.send.bind(transport);
      transport.send = (message, sendOptions) => {
        const record = message as {
          id?: string | number;
          method?: string;
          params?: Record<string, unknown>;
        };
        if (typeof record.method === 'string' && record.id !== undefined) {
          sequence += 1;
          const tag = `${TAG}${replicaId}.${sequence}`;
          waiting.set(tag, { sessionKey, originalId: record.id, deliver });
          tags.set(record.id, tag);
          return send({ ...message, id: tag } as JSONRPCMessage, sendOptions);
        }
        // The client knows the request by its tag: a cancellation names it so (and ends it).
        if (record.method === 'notifications/cancelled' && record.params) {
          const requestId = record.params.requestId as string | number | undefined;
          const tag = requestId === undefined ? undefined : tags.get(requestId);
          if (tag !== undefined && requestId !== undefined) {
            tags.delete(requestId);
            waiting.delete(tag);
            const params = { ...record.params, requestId: tag };
            return send({ ...message, params } as JSONRPCMessage, sendOptions);
          }
        }
        return send(message, sendOptions);
      };
      const forget = () => {
        for (const tag of tags.values()) waiting.delete(tag);
        tags.clear();
      };
      const serverOnClose = transport.onclose?.bind(transport);
      transport.onclose = () => {
        forget();
        serverOnClose?.();
      };
      return forget;
    },
    foreignAnswers(body) {
      const messages = Array.isArray(body) ? body : [body];
      return messages.filter((message): message is JSONRPCMessage => {
        if (!isResponse(message)) return false;
        const replica = replicaOf(message.id);
        return replica !== undefined && replica !== replicaId;
      });
    },
    async forward(sessionKey, answers) {
      try {
        await this.start(); // the holder acknowledges on this replica's channel
      } catch (error) {
        logger.warn({ err: error }, 'Subscribing to the answers channel failed');
        return 'store-failed';
      }
      const outcomes = await Promise.all(
        answers.map(async (message) => {
          const holder = replicaOf((message as { id?: unknown }).id);
          if (holder === undefined) return 'not-waiting' as const;
          references += 1;
          const ref = references;
          const acknowledged = new Promise<ForwardedAnswerOutcome>((resolve) => {
            const timer = setTimeout(() => resolve('no-holder'), timeoutMs);
            acks.set(ref, (outcome) => {
              clearTimeout(timer);
              resolve(outcome);
            });
          });
          try {
            await publish(holder, { kind: 'answer', from: replicaId, ref, sessionKey, message });
          } catch (error) {
            logger.warn({ err: error }, 'Forwarding an answer to its replica failed');
            acks.get(ref)?.('store-failed');
          }
          const outcome = await acknowledged;
          acks.delete(ref);
          return outcome;
        }),
      );
      return outcomes.reduce<ForwardedAnswerOutcome>(
        (worst, outcome) => (severity[outcome] > severity[worst] ? outcome : worst),
        'delivered',
      );
    },
    async probe(replica) {
      try {
        await this.start(); // the replica acknowledges on this replica's channel
      } catch {
        return 'store-failed';
      }
      references += 1;
      const ref = references;
      const acknowledged = new Promise<ForwardedAnswerOutcome>((resolve) => {
        const timer = setTimeout(() => resolve('no-holder'), timeoutMs);
        acks.set(ref, (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        });
      });
      try {
        await publish(replica, { kind: 'probe', from: replicaId, ref });
      } catch {
        acks.get(ref)?.('store-failed');
      }
      const outcome = await acknowledged;
      acks.delete(ref);
      return outcome === 'delivered'
        ? 'alive'
        : outcome === 'store-failed'
          ? 'store-failed'
          : 'gone';
    },
    async close() {
      for (const resolve of acks.values()) resolve('no-holder');
      acks.clear();
      waiting.clear();
      const active = subscription;
      subscription = undefined;
      if (active) await (await active).unsubscribe().catch(() => {});
    },
  };
}
