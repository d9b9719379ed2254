/**
 * Reads an HTTP request body under a size limit. The host reads bodies itself and hands the SDK
 * a parsed body, because the SDK does not apply its own limit to a body passed in
 * (mcp-sdk-v2 notes §10.6).
 */
import type { IncomingMessage } from 'node:http';
import { FedmcpError, RequestTimeoutError } from '@fedmcp/protocol';

/** Thrown by {@link readBody} when a body is larger than the limit. Code `INVALID_REQUEST`. */
export class RequestBodyTooLargeError extends FedmcpError {
  static override readonly errorCode = 'INVALID_REQUEST' as const;
  readonly limitBytes: number;
  constructor(limitBytes: number) {
    super(
      'INVALID_REQUEST',
      `Payload too large: the request body exceeds the limit of ${limitBytes} bytes`,
      { data: { limitBytes } },
    );
    this.name = 'RequestBodyTooLargeError';
    this.limitBytes = limitBytes;
  }

  /** `instanceof` that tells this error from other `INVALID_REQUEST` errors (by its name). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      FedmcpError.isInstance(value) &&
      (value as { name?: unknown }).name === 'RequestBodyTooLargeError'
    );
  }
}

/** Options for {@link readBody}. */
export interface ReadBodyOptions {
  /** Largest body accepted, in bytes. */
  limitBytes: number;
  /**
   * A body that sends no byte for this long is given up on (a stalled upload holds a socket and a
   * buffer), within a quarter of it more (one sweep watches every body); `0` disables. @default 0
   */
  idleTimeoutMs?: number;
}

/**
 * Reads a request body to the end, failing fast when `Content-Length` or the bytes received
 * exceed the limit.
 *
 * @throws {RequestBodyTooLargeError} when the body is over `limitBytes` (the rest of the body
 *   is left unread: see {@link drainRequest}).
 * @throws {RequestTimeoutError} when no byte arrived for `idleTimeoutMs`.
 */
export async function readBody(
  request: IncomingMessage,
  options: ReadBodyOptions,
): Promise<Buffer> {
  return readBodyNow(request, options);
}

/**
 * {@link readBody}, returning the body itself (no promise) when it has all arrived already: the
 * host's routes take it without a promise and an event-loop turn.
 * @throws {RequestBodyTooLargeError} (thrown, or the promise rejects) as {@link readBody}.
 */
export function readBodyNow(
  request: IncomingMessage,
  options: ReadBodyOptions,
): Buffer | Promise<Buffer> {
  const { limitBytes } = options;
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    throw new RequestBodyTooLargeError(limitBytes);
  }
  const whole = bufferedBody(request, limitBytes, declared);
  if (whole !== undefined) return whole;
  const idleTimeoutMs = options.idleTimeoutMs ?? 0;
  // The body is whole once `Content-Length` bytes arrived: answered then, without waiting for
  // the stream's `end` (a turn of the event loop later). Chunked bodies wait for `end`.
  const expected = Number.isFinite(declared) && declared > 0 ? declared : -1;
  // Event-based rather than `for await`: leaving an async iterator early destroys the socket,
  // and the host still wants to answer 413 on it.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    // One shared sweep watches every body being read (no timer per request): see IdleWatch.
    const idle =
      idleTimeoutMs > 0
        ? idleWatch(idleTimeoutMs).add(() => {
            cleanup();
            request.pause();
            reject(
              new RequestTimeoutError({
                timeoutMs: idleTimeoutMs,
                message: `Request Timeout: the request body stalled (no data for ${idleTimeoutMs} ms)`,
              }),
            );
          })
        : undefined;
    // Settled: the listeners left on a whole body (see `complete`) do nothing more.
    let done = false;
    const onData = (chunk: Buffer) => {
      if (done) return;
      received += chunk.length;
      if (received > limitBytes) {
        cleanup();
        request.pause();
        reject(new RequestBodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
      if (received === expected) complete();
      else if (idle) idle.active = true;
    };
    // The whole body: its listeners stay, inert (removing four listeners from the request showed
    // in profiles; the request goes with its response), and the stream ends as it would.
    const complete = () => {
      done = true;
      if (idle) idleWatch(idleTimeoutMs).delete(idle);
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    };
    const onEnd = () => {
      if (!done) complete();
    };
    const onError = (error: Error) => {
      if (done) return;
      cleanup();
      reject(error);
    };
    const onClose = () => {
      if (done) return;
      cleanup();
      reject(
        new FedmcpError(
          'TRANSPORT_CLOSED',
          'The client closed the request before its body was read',
        ),
      );
    };
    const cleanup = () => {
      done = true;
      if (idle) idleWatch(idleTimeoutMs).delete(idle);
      request.off('close', onClose);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('close', onClose);
  });
}

/** A body being read, as its {@link IdleWatch} sees it. */
interface Watched {
  /** Data arrived since the last sweep. */
  active: boolean;
  /** Sweeps in a row that found no data. */
  silent: number;
  readonly onIdle: () => void;
}

/** Sweeps per idle timeout: a stalled body is given up on after 1 to 1¼ timeouts of silence. */
const SWEEPS_PER_TIMEOUT = 4;

/**
 * The idle timeout of every body being read with one timeout value: one unref'd interval sweeps
 * them `SWEEPS_PER_TIMEOUT` times per timeout (a body silent for one more sweep than that is given
 * up on), instead of a timer armed, refreshed and cleared per request (a `setTimeout` per body
 * showed in profiles of plain calls). The interval stops at the first sweep that finds none.
 */
class IdleWatch {
  readonly #bodies = new Set<Watched>();
  #interval: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  add(onIdle: () => void): Watched {
    const watched: Watched = { active: false, silent: 0, onIdle };
    this.#bodies.add(watched);
    if (this.#interval === undefined) {
      this.#interval = setInterval(this.#sweep, Math.max(1, this.timeoutMs / SWEEPS_PER_TIMEOUT));
      this.#interval.unref();
    }
    return watched;
  }

  delete(watched: Watched): void {
    this.#bodies.delete(watched);
  }

  readonly #sweep = (): void => {
    if (this.#bodies.size === 0) {
      clearInterval(this.#interval);
      this.#interval = undefined;
      return;
    }
    for (const watched of this.#bodies) {
      if (watched.active) {
        watched.active = false;
        watched.silent = 0;
      } else if (++watched.silent > SWEEPS_PER_TIMEOUT) {
        this.#bodies.delete(watched);
        watched.onIdle();
      }
    }
  };
}

const idleWatches = new Map<number, IdleWatch>();

function idleWatch(timeoutMs: number): IdleWatch {
  let watch = idleWatches.get(timeoutMs);
  if (!watch) {
    watch = new IdleWatch(timeoutMs);
    idleWatches.set(timeoutMs, watch);
  }
  return watch;
}

/**
 * The whole body, when it has all arrived already (usual for a small request: the body comes in
 * the headers' packet, and is buffered while the host authenticates): read at once, without
 * listeners, a promise per chunk or an idle timer. `undefined` when some of it is still to come.
 * @throws {RequestBodyTooLargeError} when the body is over `limitBytes`.
 */
function bufferedBody(
  request: IncomingMessage,
  limitBytes: number,
  declared: number,
): Buffer | undefined {
  if (request.readableFlowing === true || request.readableEncoding !== null) return undefined;
  if (request.complete) {
    if (request.readableLength > limitBytes) throw new RequestBodyTooLargeError(limitBytes);
    const whole = request.read() as Buffer | null;
    return whole ?? EMPTY;
  }
  // Every `Content-Length` byte buffered, the message's end not parsed yet: Node marks a request
  // complete (and ends its stream) an event-loop turn after a body that came with its headers, so
  // this is the usual state of a small request once the host has authenticated it. (`declared` is
  // within the limit here.) Resumed after the read, so the request still ends, as a read one
  // does, and Node's parser lets go of it (`clearIncoming` waits for its `end`).
  if (declared > 0 && request.readableLength === declared) {
    const whole = request.read() as Buffer | null;
    if (whole === null) return undefined;
    request.resume();
    return whole;
  }
  return undefined;
}

const EMPTY = Buffer.alloc(0);

/** Options for {@link drainRequest}. */
export interface DrainRequestOptions {
  /** Most bytes read and thrown away before giving up and closing the connection. */
  maxBytes: number;
  /** Longest time spent draining before giving up and closing the connection. */
  maxMs: number;
}

/**
 * Reads and discards the rest of a request body whose answer is already decided (413, 408), so
 * the client finishes its upload and reads the answer, instead of having its socket closed
 * mid-upload (Node's fetch then reports `fetch failed`/EPIPE, never the status). Resolves `true`
 * when the body ended within the bounds, `false` when the bounds ran out (or the client went
 * away): the caller then closes the connection. Bytes that still arrive are thrown away until
 * then (a socket closed with unread bytes is reset, and the client may lose the answer).
 */
export function drainRequest(
  request: IncomingMessage,
  options: DrainRequestOptions,
): Promise<boolean> {
  if (request.complete) return Promise.resolve(true);
  const declared = Number(request.headers['content-length']);
  // A declared body far over the bound is not worth reading: close at once.
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    request.resume();
    return Promise.resolve(false);
  }
  return new Promise<boolean>((resolve) => {
    let drained = 0;
    const finish = (complete: boolean) => {
      clearTimeout(timer);
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('close', onClose);
      request.off('error', onClose);
      resolve(complete);
    };
    const onData = (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > options.maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(request.complete);
    const timer = setTimeout(() => finish(false), options.maxMs);
    timer.unref();
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('close', onClose);
    request.on('error', onClose);
    request.resume();
  });
}
