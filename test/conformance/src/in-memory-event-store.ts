import type { EventStore, JSONRPCMessage } from '@modelcontextprotocol/server';

/**
 * A bounded in-memory `EventStore` for Streamable HTTP resumability (SEP-1699): every SSE event
 * gets an id `<streamId>::<sequence>`, and a reconnect with `Last-Event-ID` replays the events of
 * that stream sent after it.
 */
export class InMemoryEventStore implements EventStore {
  readonly #events = new Map<string, { streamId: string; message: JSONRPCMessage }>();
  readonly #maxEvents: number;
  #sequence = 0;

  /** @param maxEvents Oldest events are dropped beyond this count. @default 10_000 */
  constructor(maxEvents = 10_000) {
    this.#maxEvents = maxEvents;
  }

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    this.#sequence += 1;
    const eventId = `${streamId}::${String(this.#sequence).padStart(12, '0')}`;
    this.#events.set(eventId, { streamId, message });
    if (this.#events.size > this.#maxEvents) {
      const oldest = this.#events.keys().next().value;
      if (oldest !== undefined) this.#events.delete(oldest);
    }
    return eventId;
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.#events.get(eventId)?.streamId ?? streamIdOf(eventId);
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const streamId = this.#events.get(lastEventId)?.streamId ?? streamIdOf(lastEventId);
    if (streamId === undefined) throw new Error(`Unknown event id: ${lastEventId}`);
    // Ids sort by sequence within a stream, so "after" is a string comparison; the anchor may
    // have been evicted. Empty messages are priming events: they carry no JSON-RPC payload.
    for (const [eventId, event] of this.#events) {
      if (event.streamId !== streamId || eventId <= lastEventId) continue;
      if (Object.keys(event.message).length === 0) continue;
      await send(eventId, event.message);
    }
    return streamId;
  }
}

function streamIdOf(eventId: string): string | undefined {
  const separator = eventId.lastIndexOf('::');
  return separator > 0 ? eventId.slice(0, separator) : undefined;
}
