/**
 * Keeps 2025-era sessions served while the shared store is down. The SDK stores every event of a
 * session's SSE streams in the event store before it sends it, and answers a POST whose event
 * could not be stored with a JSON-RPC "Parse error" (its catch-all): with the event store on
 * Redis, a Redis outage would stop every 2025 session, though nothing else of a call needs the
 * store. Wrapped here, an event the store does not take is sent anyway under an id that resumes
 * from the time it was sent (`<stream>~<ms>-0`: replay then starts after that time); only that
 * event cannot be replayed. The first failure of an outage is logged, not each event, and the
 * store is tried at most once a second until it answers.
 */
import type { Logger } from '@fedmcp/protocol';
import type { SessionEventStores } from '@fedmcp/transports';

/** Wraps a server's event stores; see the file comment. */
export function tolerateEventStoreOutage<Stores extends SessionEventStores>(
  stores: Stores,
  logger: Logger,
): Stores {
  let failing = false;
  // While it fails, the store is tried again at most once a second: the others go out at once
  // (a store call during an outage can wait up to its offlineWaitMs).
  let retryAt = 0;
  return {
    ...stores,
    forSession(sessionKey: string) {
      const events = stores.forSession(sessionKey);
      return {
        getStreamIdForEventId: async (eventId: string) => events.getStreamIdForEventId?.(eventId),
        replayEventsAfter: (...args: Parameters<typeof events.replayEventsAfter>) =>
          events.replayEventsAfter(...args),
        storeEvent: async (...args: Parameters<typeof events.storeEvent>) => {
          if (failing && Date.now() < retryAt) return `${args[0]}~${Date.now()}-0`;
          try {
            const eventId = await events.storeEvent(...args);
            if (failing) {
              failing = false;
              logger.info({}, 'session events: the store takes events again');
            }
            return eventId;
          } catch (error) {
            retryAt = Date.now() + 1_000;
            if (!failing) {
              failing = true;
              logger.warn(
                { err: (error as Error).message },
                'session events: the store does not take events; sending them without replay until it is back',
              );
            }
            return `${args[0]}~${Date.now()}-0`;
          }
        },
      };
    },
  };
}
