/**
 * Cloudflare's live logs: a tail session (`POST …/tails`), read over its WebSocket with the
 * `trace-v1` subprotocol, deleted when the reader stops. As wrangler's `tail/createTail.ts` does.
 */
import type { LogEvent } from './provider.js';

/** The part of a WebSocket a tail uses: the browser / `ws` event API. */
export interface TailSocket {
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  send(data: string): void;
  close(): void;
}

/** Opens a WebSocket: `new WebSocket(url, protocol)` (the global one, or `ws` on Node 20). */
export type CreateWebSocket = (url: string, protocol: string) => TailSocket;

interface TailEventMessage {
  outcome?: string;
  eventTimestamp?: number;
  event?: { request?: { url?: string; method?: string } };
  logs?: Array<{ message?: unknown[]; level?: string; timestamp?: number }>;
  exceptions?: Array<{ name?: string; message?: string; timestamp?: number }>;
}

/** The log lines of one `TailEventMessage`: the request, its console lines, its exceptions. */
export function tailEventLines(message: TailEventMessage): LogEvent[] {
  const at = (ms: number | undefined) => new Date(ms ?? Date.now()).toISOString();
  const lines: LogEvent[] = [];
  const request = message.event?.request;
  if (request !== undefined) {
    lines.push({
      timestamp: at(message.eventTimestamp),
      level: 'request',
      message: `${request.method ?? 'GET'} ${request.url ?? ''} ${message.outcome ?? ''}`.trim(),
    });
  }
  for (const log of message.logs ?? []) {
    const text = (log.message ?? []).map((part) =>
      typeof part === 'string' ? part : JSON.stringify(part),
    );
    lines.push({
      timestamp: at(log.timestamp),
      level: log.level ?? 'log',
      message: text.join(' '),
    });
  }
  for (const exception of message.exceptions ?? []) {
    lines.push({
      timestamp: at(exception.timestamp),
      level: 'error',
      message: `${exception.name ?? 'Error'}: ${exception.message ?? ''}`,
    });
  }
  return lines;
}

/**
 * Reads a tail WebSocket as an async iterable of log lines until `signal` aborts or the socket
 * closes.
 */
export async function* readTail(
  socket: TailSocket,
  signal: AbortSignal | undefined,
): AsyncGenerator<LogEvent> {
  const queue: LogEvent[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  socket.addEventListener('open', () => socket.send(JSON.stringify({ debug: false })));
  socket.addEventListener('message', (event) => {
    try {
      const text =
        typeof event.data === 'string'
          ? event.data
          : new TextDecoder().decode(event.data as ArrayBuffer);
      queue.push(...tailEventLines(JSON.parse(text) as TailEventMessage));
    } catch {
      queue.push({
        timestamp: new Date().toISOString(),
        level: 'warn',
        message: 'unreadable tail message',
      });
    }
    notify();
  });
  const end = () => {
    closed = true;
    notify();
  };
  socket.addEventListener('close', end);
  socket.addEventListener('error', end);
  signal?.addEventListener('abort', end, { once: true });
  try {
    while (true) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (closed || signal?.aborted) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal?.removeEventListener('abort', end);
    socket.close();
  }
}
