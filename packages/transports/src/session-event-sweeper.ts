/**
 * Expiry of the event streams of abandoned 2025-era sessions. The store-backed event store
 * (`session-event-store.ts`) keeps one store stream per session and trims it only as events are
 * appended; a session its client never deletes would keep its stream forever. Wrapped in
 * {@link expireSessionEvents}, each session's activity is noted in a key/value index (at most once
 * per `maxIdleMs / 4` per replica, off the request path), and one replica at a time (a lease)
 * sweeps the index every `sweepEveryMs`: a session with no event for `maxIdleMs` has its stream
 * and its index entry deleted. With `maxIdleMs` at the session TTL, a session whose newest event
 * is that old has expired (its lifetime runs from its `initialize`, before its first event).
 */
import type { Logger } from '@fedmcp/protocol';
import { silentLogger } from '@fedmcp/protocol';
import type { SessionEventStores } from './session-event-store.js';

/** The part of a shared store the sweeper needs (a `@fedmcp/store` `Store` fits). */
export interface SessionEventExpiryStore {
  kv: {
    set(key: string, value: string): Promise<unknown>;
    delete(key: string, options?: { expectedVersion?: number }): Promise<boolean>;
    list(options?: { prefix?: string; cursor?: string; limit?: number }): Promise<{
      entries: Array<{ key: string; value: string; version: number }>;
      cursor?: string;
    }>;
  };
  leases: {
    acquire(name: string, options: { ttlMs: number; holder?: string }): Promise<unknown>;
  };
}

/** Options for {@link expireSessionEvents}. */
export interface SessionEventExpiryOptions {
  store: SessionEventExpiryStore;
  /** A session's events go after this long without a new one. @default 86400000 (24 h, the session TTL) */
  maxIdleMs?: number;
  /** How often the cluster sweeps (one replica per period, under a lease). @default min(maxIdleMs / 2, 60000) */
  sweepEveryMs?: number;
  /** Prefix of the index keys and the lease. @default 'fedmcp:session-events-seen:' */
  prefix?: string;
  /** The clock. @default Date.now */
  now?: () => number;
  logger?: Logger;
}

/** Event stores whose abandoned sessions' streams expire; `close()` stops the sweeps. */
export interface ExpiringSessionEventStores extends SessionEventStores {
  /** Sweeps once now, if this replica gets the lease; resolves with the sessions dropped. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Wraps event stores (such as `createStoreEventStore({ store })`) so that abandoned sessions'
 * streams are deleted; see the file comment. Starts a periodic sweep (unref'd timer).
 *
 * @example
 * ```ts
 * const eventStore = expireSessionEvents(createStoreEventStore({ store }), { store, maxIdleMs: 86_400_000 });
 * ```
 */
export function expireSessionEvents(
  stores: SessionEventStores,
  options: SessionEventExpiryOptions,
): ExpiringSessionEventStores {
  const { store } = options;
  const maxIdleMs = options.maxIdleMs ?? 86_400_000;
  const touchEveryMs = Math.max(1, Math.floor(maxIdleMs / 4));
  const sweepEveryMs = options.sweepEveryMs ?? Math.min(Math.floor(maxIdleMs / 2), 60_000);
  const prefix = options.prefix ?? 'fedmcp:session-events-seen:';
  const now = options.now ?? Date.now;
  const logger = options.logger ?? silentLogger;
  // When this replica last noted each session's activity (pruned by the sweeps).
  const touched = new Map<string, number>();

  const touch = (sessionKey: string) => {
    const at = now();
    const last = touched.get(sessionKey);
    if (last !== undefined && at - last < touchEveryMs) return;
    touched.set(sessionKey, at);
    store.kv.set(`${prefix}${sessionKey}`, String(at)).catch((error: unknown) => {
      touched.delete(sessionKey);
      logger.debug({ err: (error as Error).message }, 'session events: activity not noted');
    });
  };

  const sweep = async (): Promise<number> => {
    const at = now();
    for (const [sessionKey, last] of touched)
      if (at - last >= maxIdleMs) touched.delete(sessionKey);
    const lease = await store.leases.acquire(`${prefix}sweeper`, {
      ttlMs: Math.max(1, sweepEveryMs - 50),
    });
    if (!lease) return 0;
    // An index entry lags the newest event by less than `touchEveryMs`.
    const cutoff = at - maxIdleMs - touchEveryMs;
    let dropped = 0;
    let cursor: string | undefined;
    do {
      const page = await store.kv.list({ prefix, limit: 200, ...(cursor ? { cursor } : {}) });
      for (const entry of page.entries) {
        const sessionKey = entry.key.slice(prefix.length);
        const seen = Number(entry.value);
        if (sessionKey === 'sweeper' || !(seen < cutoff)) continue;
        await stores.dropSession(sessionKey);
        // A replica that noted new activity meanwhile keeps its entry (and recreates the stream).
        await store.kv.delete(entry.key, { expectedVersion: entry.version });
        touched.delete(sessionKey);
        dropped += 1;
      }
      cursor = page.cursor;
    } while (cursor);
    if (dropped > 0)
      logger.info({ dropped }, 'session events: abandoned sessions’ streams expired');
    return dropped;
  };

  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = sweep()
      .catch((error: unknown) =>
        logger.warn({ err: (error as Error).message }, 'session events: the sweep failed'),
      )
      .finally(() => {
        running = undefined;
      });
  }, sweepEveryMs);
  timer.unref?.();

  return {
    forSession(sessionKey) {
      const events = stores.forSession(sessionKey);
      return {
        getStreamIdForEventId: async (eventId) => events.getStreamIdForEventId?.(eventId),
        replayEventsAfter: (lastEventId, send) => events.replayEventsAfter(lastEventId, send),
        storeEvent: async (streamId, message) => {
          const eventId = await events.storeEvent(streamId, message);
          touch(sessionKey);
          return eventId;
        },
      };
    },
    async dropSession(sessionKey) {
      touched.delete(sessionKey);
      await stores.dropSession(sessionKey);
      await store.kv.delete(`${prefix}${sessionKey}`);
    },
    sweep,
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
