/**
 * The legacy HTTP+SSE transport (MCP 2024-11-05), server side: `GET /sse` opens an event stream
 * whose first `endpoint` event names the URL the client POSTs its messages to; server messages
 * travel as `message` events. Our own implementation on the SDK v2 `Transport` interface (the
 * SDK's copy lives in a frozen, deprecated package), with keep-alive comments for proxies.
 */
import type { ServerResponse } from 'node:http';
import { FedmcpError } from '@fedmcp/protocol';
import type { JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/server';

/** Options for {@link createSseServerTransport}. */
export interface SseServerTransportOptions {
  /** The response of the `GET` request that opened the stream. The transport owns it. */
  response: ServerResponse;
  /** Session id, also sent to the client inside the endpoint URL. */
  sessionId: string;
  /** The URL (usually a path such as `/messages?sessionId=…`) sent in the `endpoint` event. */
  endpoint: string;
  /**
   * Interval of SSE comment frames that keep an idle stream open through proxies. `0` disables.
   * @default 15000
   */
  keepAliveMs?: number;
  /** Extra response headers (CORS, for example). */
  headers?: Record<string, string>;
}

/** A server-side MCP transport over one legacy SSE stream. */
export interface SseServerTransport extends Transport {
  readonly sessionId: string;
  /** Hands a message POSTed to the endpoint to the connected server. */
  deliver(message: JSONRPCMessage, extra?: MessageExtraInfo): void;
}

/**
 * Creates a legacy HTTP+SSE server transport over an open `GET` response.
 *
 * @example
 * ```ts
 * const transport = createSseServerTransport({ response, sessionId, endpoint: `/messages?sessionId=${sessionId}` });
 * await server.connect(transport); // writes the stream headers and the endpoint event
 * // later, for POST /messages?sessionId=…: transport.deliver(JSON.parse(body));
 * ```
 */
export function createSseServerTransport(options: SseServerTransportOptions): SseServerTransport {
  const { response } = options;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  let started = false;
  let closed = false;
  let keepAlive: NodeJS.Timeout | undefined;

  const transport: SseServerTransport = {
    sessionId: options.sessionId,
    async start() {
      if (started) throw new FedmcpError('INVALID_REQUEST', 'SseServerTransport already started');
      started = true;
      response.on('close', onClose);
      if (response.destroyed) {
        onClose();
        return;
      }
      response.writeHead(200, {
        ...options.headers,
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // Ask nginx-style proxies not to buffer the stream.
        'x-accel-buffering': 'no',
      });
      response.flushHeaders();
      response.write(`event: endpoint\ndata: ${options.endpoint}\n\n`);
      if (keepAliveMs > 0) {
        keepAlive = setInterval(() => {
          if (!closed) response.write(': keep-alive\n\n');
        }, keepAliveMs);
        keepAlive.unref();
      }
    },
    deliver(message, extra) {
      transport.onmessage?.(message, extra);
    },
    async send(message) {
      if (closed) throw new FedmcpError('TRANSPORT_CLOSED', 'The SSE stream is closed');
      response.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    },
    async close() {
      if (!response.writableEnded) response.end();
      onClose();
    },
  };

  function onClose() {
    if (closed) return;
    closed = true;
    if (keepAlive) clearInterval(keepAlive);
    transport.onclose?.();
  }

  return transport;
}
