/**
 * Reads an HTTP request body under a size limit. The host reads bodies itself and hands the SDK
 * a parsed body, because the SDK does not apply its own limit to a body passed in
 * (mcp-sdk-v2 notes §10.6).
 */
import type { IncomingMessage } from 'node:http';
import { FedmcpError } from '@fedmcp/protocol';

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
}

/**
 * Reads a request body to the end, failing fast when `Content-Length` or the bytes received
 * exceed the limit.
 *
 * @throws {RequestBodyTooLargeError} when the body is over `limitBytes`.
 */
export async function readBody(
  request: IncomingMessage,
  options: ReadBodyOptions,
): Promise<Buffer> {
  const { limitBytes } = options;
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limitBytes) {
    request.resume();
    throw new RequestBodyTooLargeError(limitBytes);
  }
  // Event-based rather than `for await`: leaving an async iterator early destroys the socket,
  // and the host still wants to answer 413 on it.
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limitBytes) {
        cleanup();
        request.resume();
        reject(new RequestBodyTooLargeError(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(
        new FedmcpError(
          'TRANSPORT_CLOSED',
          'The client closed the request before its body was read',
        ),
      );
    };
    const cleanup = () => {
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
