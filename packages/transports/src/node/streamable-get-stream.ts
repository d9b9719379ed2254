/**
 * The standalone `GET` SSE stream of a 2025-era session, written straight to the Node
 * `ServerResponse` (issue #18: an idle session is mostly its open GET stream).
 *
 * The SDK's `NodeStreamableHTTPServerTransport` serves a GET stream as a web `ReadableStream`
 * that `@hono/node-server` pumps into the response, and keeps a keep-alive interval of its own:
 * per idle session a `ReadableStream` (its controller, reader, pending read), the adapter's
 * lightweight `Request`, an undici `Response` and headers, the pump's closures and the promise
 * chain of the request handler that awaits it (~4 KB of heap). Here the same stream is one small
 * {@link DirectSseStream} in the SDK transport's stream table: the transport still decides what
 * goes on it (its `send` formats each event, stores it in the event store and writes it through
 * the entry's `controller`, as it does for its own streams), `DELETE`, `close()` and
 * `closeStandaloneSSEStream()` end it through the entry's `cleanup`, and one keep-alive timer per
 * endpoint writes the SSE comment to every open stream, a sixteenth of them at a time (see
 * {@link SharedKeepAlive}).
 *
 * Only a GET the SDK would answer with a stream is taken: the checks are the SDK's, in its order
 * (`handleGetRequest`, `replayEvents`), and a request failing any of them goes to the SDK
 * transport, which answers it (404, 406, 400, 409) as before. A `Last-Event-ID` resuming the
 * standalone stream is replayed here too; one resuming a POST's stream goes to the SDK.
 *
 * Seam: reads private fields of `@modelcontextprotocol/server` 2.4.0's
 * `WebStandardStreamableHTTPServerTransport` (`_streamMapping`, `_standaloneSseStreamId`,
 * `_eventStore`, `_supportedProtocolVersions`, `_initialized`, `_closed`, `_keepAliveMs`);
 * {@link standaloneStreamSeam} checks they are there (else every GET goes to the SDK), and
 * `streamable-get-stream.test.ts` pins them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import type { EventStore, JSONRPCMessage } from '@modelcontextprotocol/server';
import { headerValue } from './host-http-responses.js';
import { webStandardTransportOf } from './sdk-seams.js';

/** An entry of the SDK transport's stream table, as its `send`, `close` and replay use it. */
interface SdkStreamEntry {
  controller?: { enqueue(chunk: unknown): void; close(): void };
  encoder?: { encode(text: string): unknown };
  replayedEventIds?: Set<string>;
  cleanup(): void;
}

/** The private state of the SDK transport this file reads (see the file comment). */
interface SdkTransportState {
  _streamMapping: Map<string, SdkStreamEntry>;
  _standaloneSseStreamId: string;
  _eventStore: EventStore | undefined;
  _supportedProtocolVersions: readonly string[];
  _initialized: boolean;
  _closed: boolean;
  _keepAliveMs: number;
  sessionId: string | undefined;
}

/**
 * The SDK transport's state, when it has the fields this file relies on (an SDK upgrade that
 * changes them sends every GET back to the SDK rather than breaking it).
 */
export function standaloneStreamSeam(
  transport: NodeStreamableHTTPServerTransport,
): SdkTransportState | undefined {
  let inner: SdkTransportState;
  try {
    inner = webStandardTransportOf(transport) as unknown as SdkTransportState;
  } catch {
    return undefined;
  }
  if (
    !(inner._streamMapping instanceof Map) ||
    typeof inner._standaloneSseStreamId !== 'string' ||
    !Array.isArray(inner._supportedProtocolVersions) ||
    typeof inner._initialized !== 'boolean' ||
    typeof inner._closed !== 'boolean'
  ) {
    return undefined;
  }
  return inner;
}

/** The SDK's `encoder.encode` for our streams: the text as it is (`response.write` encodes it). */
const PASS_THROUGH = { encode: (text: string): string => text };

/** The SSE comment the SDK writes as keep-alive. */
const KEEP_ALIVE = ': keepalive\n\n';

/**
 * A GET stream of a session, written to its response: the SDK transport's entry for it (its
 * `controller` is the stream itself; methods on the prototype, no closures).
 */
export class DirectSseStream implements SdkStreamEntry {
  replayedEventIds: Set<string> | undefined;
  /** The slice of the keep-alive interval that writes this stream's keep-alive (round robin). */
  readonly keepAliveSlice: number = takeKeepAliveSlice();

  /**
   * @param sessionId the session's id (the endpoint's `close` listener of the response finds the
   * session by it).
   */
  constructor(
    readonly response: ServerResponse,
    readonly sessionId: string,
    private readonly mapping: Map<string, SdkStreamEntry>,
    private readonly streamId: string,
  ) {}

  get controller(): this {
    return this;
  }

  get encoder(): typeof PASS_THROUGH {
    return PASS_THROUGH;
  }

  /** Whether the response can still be written. */
  get open(): boolean {
    return !this.response.destroyed && !this.response.writableEnded;
  }

  /** Writes an event the SDK formatted (it catches a throw, as for a closed web stream). */
  enqueue(chunk: string): void {
    if (!this.open) throw new TypeError('Invalid state: the SSE stream is closed');
    this.response.write(chunk);
  }

  /** Ends the response (the SDK's `controller.close()`). */
  close(): void {
    if (this.open) this.response.end();
  }

  /**
   * Leaves the SDK transport's table and ends the response (session closed, stream closed). Bound
   * when read: the SDK's `close()` calls it destructured (`for (const { cleanup } of …)`), and an
   * idle stream holds no bound function of its own until then.
   */
  get cleanup(): () => void {
    return endStream.bind(this);
  }

  /** Leaves the SDK transport's table (the response closed). */
  forget(): void {
    if (this.mapping.get(this.streamId) === this) this.mapping.delete(this.streamId);
  }

  /** Writes the SDK's keep-alive comment. */
  keepAlive(): void {
    if (this.open) this.response.write(KEEP_ALIVE);
  }
}

function endStream(this: DirectSseStream): void {
  this.forget();
  this.close();
}

/** The headers the SDK sends on a GET stream (and `transfer-encoding`, as `writeStreamsAtOnce` marks it). */
function streamHeaders(sessionId: string): Record<string, string> {
  return {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'mcp-session-id': sessionId,
    'transfer-encoding': 'chunked',
  };
}

/** An SSE event as the SDK's `writeSSEEvent` formats it. */
function sseEvent(message: JSONRPCMessage, eventId: string | undefined): string {
  return `event: message\n${eventId ? `id: ${eventId}\n` : ''}data: ${JSON.stringify(message)}\n\n`;
}

/**
 * Opens `request`'s GET stream on `response` when the SDK would serve it as a stream (see the file
 * comment). Returns the stream, `undefined` when the SDK transport must serve the request instead
 * (nothing was written then), or `'answered'` when the response went away while replaying.
 */
export async function openStandaloneStream(
  transport: NodeStreamableHTTPServerTransport,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<DirectSseStream | 'answered' | undefined> {
  const inner = standaloneStreamSeam(transport);
  if (!inner || inner._closed || !inner._initialized || inner.sessionId === undefined) {
    return undefined;
  }
  const sessionId = inner.sessionId;
  const { headers } = request;
  if (!headerValue(headers.accept)?.includes('text/event-stream')) return undefined;
  if (headerValue(headers['mcp-session-id']) !== sessionId) return undefined;
  const version = headerValue(headers['mcp-protocol-version']);
  if (version !== undefined && !inner._supportedProtocolVersions.includes(version)) {
    return undefined;
  }
  const mapping = inner._streamMapping;
  const standalone = inner._standaloneSseStreamId;
  const eventStore = inner._eventStore;
  const lastEventId = eventStore ? headerValue(headers['last-event-id']) : undefined;
  if (!lastEventId) {
    if (mapping.has(standalone)) return undefined; // 409, from the SDK
    if (response.destroyed || response.writableEnded) return 'answered';
    const stream = new DirectSseStream(response, sessionId, mapping, standalone);
    mapping.set(standalone, stream);
    response.writeHead(200, streamHeaders(sessionId));
    response.flushHeaders();
    return stream;
  }
  // Resumption: only of the standalone stream (a POST's stream, or an unknown id: the SDK).
  if (!eventStore?.getStreamIdForEventId) return undefined;
  let streamId: string | undefined;
  try {
    streamId = await eventStore.getStreamIdForEventId(lastEventId);
  } catch {
    return undefined; // the SDK tries again and answers the error (500)
  }
  if (streamId !== standalone || mapping.has(standalone)) return undefined;
  const replayed: string[] = [];
  const replayedEventIds = new Set<string>();
  try {
    await eventStore.replayEventsAfter(lastEventId, {
      send: async (eventId, message) => {
        replayedEventIds.add(eventId);
        replayed.push(sseEvent(message, eventId));
      },
    });
  } catch {
    return undefined; // as above
  }
  if (response.destroyed || response.writableEnded) return 'answered';
  // Closed while replaying, or another stream took the place: the SDK answers (404, 409).
  if (inner._closed || mapping.has(standalone)) return undefined;
  const stream = new DirectSseStream(response, sessionId, mapping, standalone);
  if (replayedEventIds.size > 0) stream.replayedEventIds = replayedEventIds;
  mapping.set(standalone, stream);
  response.writeHead(200, streamHeaders(sessionId));
  if (replayed.length > 0) response.write(replayed.join(''));
  else response.flushHeaders();
  return stream;
}

/**
 * Slices of the keep-alive interval: each stream is written in its own slice, so an endpoint with
 * many streams writes a sixteenth of them at a time instead of all at once. (All at once, 10,000
 * idle sessions got their keep-alive in one burst every 15 s: the hub wrote 10,000 chunks in one
 * turn and an SDK client process holding the streams read 10,000 events in one, its event loop
 * blocked for seconds on a loaded machine; undici's keep-alive timers count ticks of that loop,
 * not time, so the client then reused pooled connections past the hub's idle close and its
 * requests failed with "other side closed". The SDK's interval per stream spread them by itself.)
 */
export const KEEP_ALIVE_SLICES = 16;
let nextKeepAliveSlice = 0;

function takeKeepAliveSlice(): number {
  const slice = nextKeepAliveSlice;
  nextKeepAliveSlice = (slice + 1) % KEEP_ALIVE_SLICES;
  return slice;
}

/**
 * One keep-alive timer for the GET streams of an endpoint (instead of an interval per stream):
 * every `intervalMs` it writes the SDK's keep-alive comment to each stream `streams()` yields,
 * one slice of them ({@link KEEP_ALIVE_SLICES}) every sixteenth of `intervalMs`.
 * Off for an interval the SDK would not arm (not finite, under 1 ms).
 */
export class SharedKeepAlive {
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The slice the next tick writes. */
  #slice = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly streams: () => Iterable<Pick<DirectSseStream, 'keepAliveSlice' | 'keepAlive'>>,
  ) {}

  /** Starts the timer (once; idempotent). */
  start(): void {
    if (this.#timer !== undefined) return;
    if (!Number.isFinite(this.intervalMs) || this.intervalMs < 1) return;
    const every = Math.min(this.intervalMs, MAX_TIMER_DELAY_MS) / KEEP_ALIVE_SLICES;
    this.#timer = setInterval(() => this.tick(), Math.max(1, every));
    this.#timer.unref();
  }

  /** Writes the keep-alive comment to the open streams of the next slice. */
  tick(): void {
    const slice = this.#slice;
    this.#slice = (slice + 1) % KEEP_ALIVE_SLICES;
    for (const stream of this.streams()) {
      if (stream.keepAliveSlice === slice) stream.keepAlive();
    }
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The longest delay a Node timer takes (2^31 − 1 ms), as the SDK clamps its keep-alive. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;
