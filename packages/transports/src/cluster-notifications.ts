/**
 * Notifications outside calls (`resources/updated`, log messages, …) of a 2025-era cluster
 * session, delivered through whichever replica holds the session's GET stream. Every copy of a
 * session writes such a notification to the session's event store (shared, in the store) as the
 * SDK transport does; a copy on a replica without the GET stream then announces the stored event
 * on the session's channel, and the replica holding the stream writes it there under the same
 * event id, without storing it again. So a client resuming with `Last-Event-ID` on any replica is
 * replayed every event once, and one holding its stream open receives them as they come.
 *
 * `notifications/…/list_changed` is not announced: every copy hears the same catalog changes
 * (config reloads and admin changes reach every replica), so the holder's own copy sends it. Nor
 * is it stored by a copy on a replica without the stream while another replica holds it (a
 * marker in the store names the holder), or a client resuming its stream would be replayed one
 * list_changed per replica for one change; while no replica holds the stream every copy stores
 * it, so the client resuming hears of the change (several times at worst, never not at all).
 */
import type { Logger } from '@fedmcp/protocol';
import { silentLogger } from '@fedmcp/protocol';
import type { EventStore, JSONRPCMessage } from '@modelcontextprotocol/server';
import type { SessionStateStore } from './session-revocations.js';

/** The SDK's name of the standalone GET stream of a session. */
const STANDALONE_STREAM = '_GET_stream';
/** The entry part of the id of a notification not stored (another replica's copy stored it). */
const NOT_STORED = 'not-stored';

/** Options for {@link createClusterNotifications}. */
export interface ClusterNotificationsOptions {
  store: Pick<SessionStateStore, 'pubsub' | 'kv'>;
  /** This replica's id (in the marker naming the replica that holds a session's stream). */
  replicaId?: string;
  /** How long the holder marker of a session's GET stream lasts. @default 86400000 (24 h) */
  holderTtlMs?: number;
  /** Prefix of the channels. @default 'fedmcp:session:' */
  prefix?: string;
  logger?: Logger;
}

/** See the file comment. */
export interface ClusterNotifications {
  /**
   * Wraps the event store of this replica's copy of a session: a standalone event it stores while
   * this replica does not hold the session's GET stream is announced to the holder.
   */
  wrapEventStore(sessionKey: string, eventStore: EventStore): EventStore;
  /**
   * Holds the session's GET stream on this replica: announced events are passed to `write` (which
   * sends them through the copy's transport; the wrapped event store hands back their id instead
   * of storing them again). Resolves once subscribed, with the function that lets go.
   */
  holdStream(
    sessionKey: string,
    write: (message: JSONRPCMessage) => Promise<void>,
  ): Promise<() => Promise<void>>;
  /** Lets go of every stream. */
  close(): Promise<void>;
}

interface Announcement {
  eventId: string;
  message: JSONRPCMessage;
}

function isListChanged(message: JSONRPCMessage): boolean {
  const method = (message as { method?: unknown }).method;
  return typeof method === 'string' && method.endsWith('/list_changed');
}

/** Creates the notification routing of one replica; see the file comment. */
export function createClusterNotifications(
  options: ClusterNotificationsOptions,
): ClusterNotifications {
  const { store } = options;
  const logger = options.logger ?? silentLogger;
  const prefix = options.prefix ?? 'fedmcp:session:';
  const channelOf = (sessionKey: string) => `${prefix}notify:${sessionKey}`;
  const holderKeyOf = (sessionKey: string) => `${prefix}stream-holder:${sessionKey}`;
  const replicaId = options.replicaId ?? crypto.randomUUID();
  const holderTtlMs = options.holderTtlMs ?? 86_400_000;
  // Whether another replica holds the session's GET stream (a store read; list_changed is rare).
  const heldElsewhere = async (sessionKey: string): Promise<boolean> => {
    try {
      const holder = (await store.kv.get(holderKeyOf(sessionKey)))?.value;
      return holder !== undefined && holder !== '' && holder !== replicaId;
    } catch {
      return false; // store unreachable: stored, as when nobody holds it
    }
  };
  // Sessions whose GET stream this replica holds (a count: a stream replaced by its resumption).
  const held = new Map<string, number>();
  // Announced messages on their way through a transport, with the id they were stored under.
  const announced = new WeakMap<object, string>();
  const releases = new Set<() => Promise<void>>();

  return {
    wrapEventStore(sessionKey, eventStore) {
      return {
        async storeEvent(streamId, message) {
          const known = announced.get(message);
          if (known !== undefined) {
            announced.delete(message);
            return known;
          }
          if (
            streamId === STANDALONE_STREAM &&
            isListChanged(message) &&
            !held.has(sessionKey) &&
            (await heldElsewhere(sessionKey))
          ) {
            // The holder's own copy stores and sends it: an id that names no stored event.
            return `${STANDALONE_STREAM}~${NOT_STORED}`;
          }
          const eventId = await eventStore.storeEvent(streamId, message);
          if (streamId === STANDALONE_STREAM && !held.has(sessionKey) && !isListChanged(message)) {
            const announcement: Announcement = { eventId, message };
            await store.pubsub
              .publish(channelOf(sessionKey), JSON.stringify(announcement))
              .catch((error: unknown) =>
                logger.warn(
                  { err: error },
                  'Announcing a session notification to the replica holding its stream failed; the client gets it when it resumes',
                ),
              );
          }
          return eventId;
        },
        ...(eventStore.getStreamIdForEventId
          ? { getStreamIdForEventId: eventStore.getStreamIdForEventId.bind(eventStore) }
          : {}),
        replayEventsAfter: eventStore.replayEventsAfter.bind(eventStore),
      };
    },
    async holdStream(sessionKey, write) {
      // Events announced before the stream is in place are written once it is (in order).
      let chain = Promise.resolve();
      const subscription = await store.pubsub.subscribe(channelOf(sessionKey), (text) => {
        let announcement: Announcement;
        try {
          announcement = JSON.parse(text) as Announcement;
        } catch {
          return;
        }
        const { message, eventId } = announcement;
        if (typeof message !== 'object' || message === null || typeof eventId !== 'string') return;
        chain = chain.then(async () => {
          announced.set(message, eventId);
          await write(message).catch((error: unknown) =>
            logger.debug({ err: error }, 'Writing an announced notification failed'),
          );
          announced.delete(message);
        });
      });
      held.set(sessionKey, (held.get(sessionKey) ?? 0) + 1);
      await store.kv
        .set(holderKeyOf(sessionKey), replicaId, { ttlMs: holderTtlMs })
        .catch((error: unknown) =>
          logger.warn({ err: error }, "Recording the holder of a session's stream failed"),
        );
      let released = false;
      const release = async () => {
        if (released) return;
        released = true;
        releases.delete(release);
        const count = (held.get(sessionKey) ?? 1) - 1;
        if (count <= 0) {
          held.delete(sessionKey);
          // Nobody holds it now (unless another replica took it over meanwhile: its marker stays).
          const key = holderKeyOf(sessionKey);
          const marker = await store.kv.get(key).catch(() => undefined);
          if (marker?.value === replicaId)
            await store.kv.set(key, '', { ttlMs: 1 }).catch(() => {});
        } else held.set(sessionKey, count);
        await subscription.unsubscribe().catch(() => {});
      };
      releases.add(release);
      return release;
    },
    async close() {
      await Promise.all([...releases].map((release) => release()));
    },
  };
}
