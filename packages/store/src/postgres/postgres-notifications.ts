/**
 * LISTEN/NOTIFY for the postgres engine: pub/sub channels, and the wake-ups that appends send to
 * readers blocked on a stream. postgres.js keeps one extra connection for LISTEN (outside the
 * pool) and LISTENs again after it reconnects; notifications sent while it was down are lost,
 * which matches the store's fire-and-forget pub/sub. Channel names are hashes made by the
 * schema's `channel_name()` function (NOTIFY channels are identifiers of at most 63 bytes).
 */
import type { Logger } from '@fedmcp/protocol';
import type { MessageListener, PubSub, Subscription } from '../store.js';
import { StoreError } from '../store-error.js';
import type { PostgresConnection } from './postgres-connection.js';

/** A NOTIFY payload holds at most 7999 bytes. */
export const maxNotifyPayloadBytes = 7_999;

/** Wake-ups of one stream for a blocked reader. */
export interface StreamWakeups {
  /** Resolves at the next append to the stream, after `timeoutMs`, or when the store closes. */
  next(timeoutMs: number): Promise<void>;
  release(): void;
}

export interface PostgresNotifications {
  pubsub: PubSub;
  /** Starts listening for appends to `stream` (prefixed); resolves once LISTEN is active. */
  watchStream(stream: string): Promise<StreamWakeups>;
  /** Ends every wait and subscription (the pool's `end()` closes the LISTEN connection). */
  close(): void;
}

export interface PostgresNotificationsContext {
  connection: PostgresConnection;
  schema: string;
  prefix: string;
  logger: Logger | undefined;
}

/** The readers blocked on one stream, and its LISTEN. */
interface StreamWatch {
  wakes: Set<() => void>;
  /** Notifications received so far: a reader that was busy reading when one came looks again. */
  notified: number;
  users: number;
  unlisten?: Promise<() => Promise<void>>;
}

/** Builds pub/sub and stream wake-ups on LISTEN/NOTIFY. */
export function createPostgresNotifications(
  context: PostgresNotificationsContext,
): PostgresNotifications {
  const { connection, schema: s, prefix, logger } = context;
  const encoder = new TextEncoder();
  const channelName = (kind: 'pubsub' | 'stream', name: string): Promise<string> =>
    connection.run(async (sql) => {
      const [row] = await sql.unsafe<{ name: string }[]>(
        `SELECT ${s}.channel_name($1, $2) AS name`,
        [kind, name],
        { prepare: true },
      );
      return row!.name;
    });
  /** LISTENs; `onRelisten` runs each time postgres.js LISTENs again after a reconnect. */
  const listen = async (
    name: string,
    onNotify: (payload: string) => void,
    onRelisten: () => void,
  ) => {
    let listening = false;
    const { unlisten } = await connection.run((sql) =>
      sql.listen(name, onNotify, () => {
        if (listening) onRelisten();
        listening = true;
      }),
    );
    return unlisten;
  };

  const ends = new Set<() => void>();
  const streamWaiters = new Map<string, StreamWatch>();

  const pubsub: PubSub = {
    publish: (channel, message) =>
      connection.run(async (sql) => {
        const bytes = encoder.encode(message).length;
        if (bytes > maxNotifyPayloadBytes) {
          throw new StoreError(
            'STORE_INVALID_ARGUMENT',
            `A pub/sub message on the postgres engine holds at most ${maxNotifyPayloadBytes} bytes (a NOTIFY payload), got ${bytes}; put the data in kv or a stream and publish its key.`,
          );
        }
        await sql.unsafe(
          `SELECT pg_notify(${s}.channel_name('pubsub', $1), $2)`,
          [prefix + channel, message],
          { prepare: true },
        );
      }),
    subscribe: async (channel, listener: MessageListener) => {
      const name = await channelName('pubsub', prefix + channel);
      let active = true;
      const unlisten = await listen(
        name,
        (payload) => {
          if (!active) return;
          try {
            listener(payload, channel);
          } catch (error) {
            logger?.error({ error, channel }, 'store: a subscriber threw');
          }
        },
        () =>
          logger?.warn(
            { channel },
            'store: PostgreSQL pub/sub connection re-established and re-subscribed; messages published meanwhile were missed',
          ),
      );
      const unsubscribe = async (): Promise<void> => {
        if (!active) return;
        active = false;
        ends.delete(end);
        if (!connection.closed) await unlisten().catch(() => undefined);
      };
      const end = (): void => {
        active = false;
      };
      ends.add(end);
      const subscription: Subscription = { unsubscribe, [Symbol.asyncDispose]: unsubscribe };
      return subscription;
    },
  };

  const watchStream = async (stream: string): Promise<StreamWakeups> => {
    let entry = streamWaiters.get(stream);
    if (!entry) {
      const created: StreamWatch = { wakes: new Set(), notified: 0, users: 0 };
      const wakeAll = (): void => {
        created.notified += 1;
        for (const wake of [...created.wakes]) wake();
      };
      // After a reconnect, wake the readers so they look at what was appended meanwhile.
      created.unlisten = channelName('stream', stream).then((name) =>
        listen(name, wakeAll, wakeAll),
      );
      created.unlisten.catch(() => streamWaiters.delete(stream));
      streamWaiters.set(stream, created);
      entry = created;
    }
    const watched = entry;
    watched.users += 1;
    const release = (): void => {
      watched.users -= 1;
      if (watched.users > 0 || streamWaiters.get(stream) !== watched) return;
      streamWaiters.delete(stream);
      if (!connection.closed) {
        void watched.unlisten?.then((unlisten) => unlisten()).catch(() => undefined);
      }
    };
    try {
      await watched.unlisten;
    } catch (error) {
      release();
      throw error;
    }
    let seen = watched.notified;
    return {
      next: (timeoutMs) =>
        new Promise<void>((resolve) => {
          if (seen !== watched.notified || connection.closed) {
            seen = watched.notified;
            resolve();
            return;
          }
          const wake = (): void => {
            seen = watched.notified;
            clearTimeout(timer);
            watched.wakes.delete(wake);
            ends.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, timeoutMs);
          watched.wakes.add(wake);
          ends.add(wake);
        }),
      release,
    };
  };

  return {
    pubsub,
    watchStream,
    close: () => {
      for (const end of [...ends]) end();
      ends.clear();
      streamWaiters.clear();
    },
  };
}
