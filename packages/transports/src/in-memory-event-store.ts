/**
 * The default event store of the host's 2025-era Streamable HTTP sessions: it keeps the last
 * messages of every SSE stream so a client reconnecting with `Last-Event-ID` gets what it missed
 * (MCP 2025-11-25 basic/transports "Resumability and Redelivery"). Bounded, process-local.
 */
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

/** Options for {@link createInMemoryEventStore}. */
export interface InMemoryEventStoreOptions {
  /**
   * How many events the store keeps in total; the oldest are dropped first, so a client
   * resuming after more than this many events misses the oldest ones.
   * @default 10000
   */
  maxEvents?: number;
}

interface StoredEvent {
  streamId: StreamId;
  message: JSONRPCMessage;
}

/**
 * Creates a bounded in-memory {@link EventStore} for resumable Streamable HTTP sessions.
 * For several replicas, give the host a store backed by shared storage instead.
 *
 * @example
 * ```ts
 * const host = createMcpHttpHost({ createServer, eventStore: createInMemoryEventStore({ maxEvents: 1000 }) });
 * ```
 */
export function createInMemoryEventStore(options: InMemoryEventStoreOptions = {}): EventStore {
  const maxEvents = options.maxEvents ?? 10_000;
  const events = new Map<EventId, StoredEvent>();
  let counter = 0;
  return {
    async storeEvent(streamId, message) {
      counter += 1;
      const eventId = `${streamId}_${counter.toString(36)}`;
      events.set(eventId, { streamId, message });
      if (events.size > maxEvents) {
        const oldest = events.keys().next().value;
        if (oldest !== undefined) events.delete(oldest);
      }
      return eventId;
    },
    async getStreamIdForEventId(eventId) {
      return events.get(eventId)?.streamId;
    },
    async replayEventsAfter(lastEventId, { send }) {
      const last = events.get(lastEventId);
      if (last === undefined) return '';
      let found = false;
      for (const [eventId, event] of events) {
        if (eventId === lastEventId) {
          found = true;
          continue;
        }
        // Never replay onto another stream (MCP 2025-11-25 basic/transports).
        if (found && event.streamId === last.streamId) await send(eventId, event.message);
      }
      return last.streamId;
    },
  };
}
