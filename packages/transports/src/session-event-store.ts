/**
 * Event stores per 2025-era session, for resumable Streamable HTTP streams (MCP 2025-11-25
 * basic/transports "Resumability and Redelivery"). The SDK names the standalone GET stream of
 * every session `_GET_stream`, so one event store shared by a host's sessions must be scoped per
 * session, or a client resuming its GET stream could be replayed another session's events.
 *
 * {@link createStoreEventStore} keeps the events in the shared store's append-only streams (Redis
 * Streams on Redis; SQLite, PostgreSQL and memory engines alike): one store stream per session,
 * trimmed to a bounded retention, so a client may reconnect with `Last-Event-ID` to any replica
 * and get what it missed. {@link scopeEventStore} scopes a process-local store (the default).
 */
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

/** Event stores handed out per session (see the file comment). */
export interface SessionEventStores {
  /** The event store of one session (`sessionKey`: a stable, unique key of the session). */
  forSession(sessionKey: string): EventStore;
  /** Forgets a session's events (it was deleted). */
  dropSession(sessionKey: string): Promise<void>;
}

/** The part of a shared store the event store needs (a `@fedmcp/store` `Store` fits). */
export interface EventStreamStore {
  streams: {
    append(stream: string, data: string): Promise<string>;
    read(
      stream: string,
      options?: { after?: string; limit?: number },
    ): Promise<Array<{ id: string; data: string }>>;
    trim(stream: string, options: { maxLength?: number; maxAgeMs?: number }): Promise<number>;
    delete(stream: string): Promise<boolean>;
  };
}

/** Options for {@link createStoreEventStore}. */
export interface StoreEventStoreOptions {
  store: EventStreamStore;
  /** Prefix of the store streams. @default 'fedmcp:session-events:' */
  prefix?: string;
  /** Events kept per session (all its SSE streams together). @default 1000 */
  maxEventsPerSession?: number;
  /** Events older than this are dropped. @default 600000 (10 min) */
  maxAgeMs?: number;
  /** Retention is applied every this many events of a session. @default 64 */
  trimEvery?: number;
}

const SEPARATOR = '~';

/**
 * Creates event stores on the shared store's streams, one store stream per session.
 * An event id is `<sdk stream id>~<store entry id>`, so finding an event's stream needs no read.
 *
 * @example
 * ```ts
 * const host = createMcpHttpHost({ createServer, cluster, eventStore: createStoreEventStore({ store }) });
 * ```
 */
export function createStoreEventStore(options: StoreEventStoreOptions): SessionEventStores {
  const shared: StoreStreams = {
    store: options.store,
    maxLength: options.maxEventsPerSession ?? 1000,
    maxAgeMs: options.maxAgeMs ?? 600_000,
    trimEvery: options.trimEvery ?? 64,
    appended: new Map<string, number>(),
  };
  const prefix = options.prefix ?? 'fedmcp:session-events:';
  return {
    forSession: (sessionKey) => new StoreSessionEvents(shared, `${prefix}${sessionKey}`),
    async dropSession(sessionKey) {
      shared.appended.delete(`${prefix}${sessionKey}`);
      await shared.store.streams.delete(`${prefix}${sessionKey}`);
    },
  };
}

/** What the event stores of {@link createStoreEventStore} share. */
interface StoreStreams {
  store: EventStreamStore;
  maxLength: number;
  maxAgeMs: number;
  trimEvery: number;
  /** Events appended per store stream since it was last trimmed. */
  appended: Map<string, number>;
}

function parseEventId(eventId: EventId): { streamId: StreamId; entryId: string } | undefined {
  const at = eventId.lastIndexOf(SEPARATOR);
  if (at <= 0 || at === eventId.length - 1) return undefined;
  return { streamId: eventId.slice(0, at), entryId: eventId.slice(at + 1) };
}

/**
 * The event store of one session on the shared store: two fields, its methods shared by every
 * session (an idle session holds no closures of its own: issue #18).
 */
class StoreSessionEvents implements EventStore {
  constructor(
    private readonly shared: StoreStreams,
    private readonly stream: string,
  ) {}

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const { shared, stream } = this;
    const entryId = await shared.store.streams.append(
      stream,
      JSON.stringify({ s: streamId, m: message }),
    );
    const count = (shared.appended.get(stream) ?? 0) + 1;
    if (count >= shared.trimEvery) {
      shared.appended.delete(stream);
      await shared.store.streams.trim(stream, {
        maxLength: shared.maxLength,
        maxAgeMs: shared.maxAgeMs,
      });
    } else {
      shared.appended.set(stream, count);
    }
    return `${streamId}${SEPARATOR}${entryId}`;
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    return parseEventId(eventId)?.streamId;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const last = parseEventId(lastEventId);
    if (!last) return '';
    let after = last.entryId;
    for (;;) {
      const page = await this.shared.store.streams.read(this.stream, { after, limit: 200 });
      for (const entry of page) {
        const event = JSON.parse(entry.data) as { s: StreamId; m: JSONRPCMessage };
        // Never replay onto another stream (MCP 2025-11-25 basic/transports).
        if (event.s === last.streamId) {
          await send(`${event.s}${SEPARATOR}${entry.id}`, event.m);
        }
      }
      const next = page.at(-1);
      if (!next || page.length < 200) break;
      after = next.id;
    }
    return last.streamId;
  }
}

/**
 * Scopes a process-local {@link EventStore} shared by a host's sessions (such as
 * `createInMemoryEventStore()`): each session's stream ids are prefixed with its key, and an
 * event id of another session is unknown to it.
 */
export function scopeEventStore(base: EventStore): SessionEventStores {
  return {
    forSession: (sessionKey) => new ScopedEventStore(base, `${sessionKey}/`),
    async dropSession() {},
  };
}

/**
 * One session's scope of a shared process-local store: two fields, its methods shared by every
 * session (an idle session holds no closures of its own: issue #18).
 */
class ScopedEventStore implements EventStore {
  constructor(
    private readonly base: EventStore,
    private readonly scope: string,
  ) {}

  /** `streamId` without this session's scope; `undefined` for another session's. */
  private strip(streamId: StreamId | undefined): StreamId | undefined {
    return streamId?.startsWith(this.scope) ? streamId.slice(this.scope.length) : undefined;
  }

  storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    return this.base.storeEvent(`${this.scope}${streamId}`, message);
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    if (this.base.getStreamIdForEventId) {
      return this.strip(await this.base.getStreamIdForEventId(eventId));
    }
    return undefined;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    if (this.base.getStreamIdForEventId) {
      const owner = await this.base.getStreamIdForEventId(lastEventId);
      if (this.strip(owner) === undefined) return '';
    }
    return this.strip(await this.base.replayEventsAfter(lastEventId, { send })) ?? '';
  }
}

/** Whether an `eventStore` option is a per-session factory rather than one shared store. */
export function isSessionEventStores(
  value: EventStore | SessionEventStores,
): value is SessionEventStores {
  return typeof (value as SessionEventStores).forSession === 'function';
}
