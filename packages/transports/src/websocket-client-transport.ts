/**
 * MCP over WebSocket, client side, for SDK v2 (which ships no WebSocket client): subprotocol
 * `mcp`, one JSON-RPC message per text frame, the same wire as the SDK v1
 * `WebSocketClientTransport`. Web-standard: it uses the `WebSocket` it is given, or the global one.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { JSONRPCMessage, Transport } from '@modelcontextprotocol/client';
import { parseJSONRPCMessage } from '@modelcontextprotocol/client';

/** The subprotocol MCP over WebSocket is spoken under. */
export const MCP_WEBSOCKET_SUBPROTOCOL = 'mcp';

/** The part of a WebSocket this transport uses (the WHATWG interface; `ws` implements it). */
export interface WebSocketLike {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: 'open' | 'close' | 'error' | 'message',
    listener: (event: never) => void,
  ): void;
}

/**
 * A WebSocket constructor: the global `WebSocket`, or `ws`'s. The third argument carries
 * `headers`; the WHATWG `WebSocket` ignores it (browsers cannot set handshake headers).
 */
export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
  options?: { headers?: Record<string, string> },
) => WebSocketLike;

/** Options of {@link createWebSocketClientTransport}. */
export interface WebSocketClientTransportOptions {
  /** The server's `ws://` or `wss://` URL. */
  url: string | URL;
  /**
   * Subprotocols offered in the handshake.
   * @default ['mcp']
   */
  protocols?: string[];
  /**
   * Headers sent with the opening handshake (e.g. `Authorization`). Needs a WebSocket
   * implementation that accepts them, such as `ws` (the `/node` entry injects it).
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * The WebSocket implementation.
   * @default globalThis.WebSocket
   */
  WebSocket?: WebSocketConstructor;
}

const OPEN = 1;

/**
 * A v2 SDK `Transport` over one WebSocket. `start()` resolves once the socket is open and rejects
 * (with a `FedmcpError` `UPSTREAM_UNAVAILABLE`) when it cannot be opened. A frame that is not a
 * JSON-RPC message is reported through `onerror` and dropped; the connection stays up.
 */
export class WebSocketClientTransport implements Transport {
  onclose?: (() => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onmessage?: ((message: JSONRPCMessage) => void) | undefined;
  sessionId?: string | undefined;

  readonly #options: WebSocketClientTransportOptions;
  #socket: WebSocketLike | undefined;
  #closed = false;

  constructor(options: WebSocketClientTransportOptions) {
    this.#options = options;
  }

  /** The subprotocol the server selected, once open. */
  get protocol(): string | undefined {
    return this.#socket?.protocol;
  }

  start(): Promise<void> {
    if (this.#socket) {
      throw new FedmcpError(
        'INVALID_REQUEST',
        'WebSocketClientTransport already started; Client.connect() starts it.',
      );
    }
    const WebSocketImplementation =
      this.#options.WebSocket ??
      (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ??
      undefined;
    const url = String(this.#options.url);
    if (!WebSocketImplementation) {
      return Promise.reject(
        new FedmcpError(
          'UPSTREAM_UNAVAILABLE',
          `Cannot open ${url}: this runtime has no global WebSocket; pass one (e.g. from "ws") as the WebSocket option, or use @fedmcp/transports/node.`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      let opened = false;
      let socket: WebSocketLike;
      try {
        socket = new WebSocketImplementation(
          url,
          this.#options.protocols ?? [MCP_WEBSOCKET_SUBPROTOCOL],
          this.#options.headers ? { headers: this.#options.headers } : undefined,
        );
      } catch (error) {
        reject(
          new FedmcpError('UPSTREAM_UNAVAILABLE', `Cannot open ${url}: ${describe(error)}.`, {
            cause: error,
          }),
        );
        return;
      }
      this.#socket = socket;
      socket.addEventListener('open', () => {
        opened = true;
        resolve();
      });
      socket.addEventListener('error', (event: { error?: unknown; message?: string }) => {
        const cause = event.error ?? event.message ?? 'WebSocket error';
        const error = new FedmcpError(
          'UPSTREAM_UNAVAILABLE',
          opened
            ? `The WebSocket to ${url} failed: ${describe(cause)}.`
            : `Cannot open the WebSocket to ${url}: ${describe(cause)}. Check the URL and that the server speaks MCP over WebSocket (subprotocol "mcp").`,
          { cause },
        );
        if (!opened) reject(error);
        this.onerror?.(error);
      });
      socket.addEventListener('close', (event: { code?: number; reason?: string }) => {
        if (!opened) {
          reject(
            new FedmcpError(
              'UPSTREAM_UNAVAILABLE',
              `The WebSocket to ${url} closed before it opened (code ${event.code ?? 'unknown'}).`,
            ),
          );
        }
        this.#finish();
      });
      socket.addEventListener('message', (event: { data: unknown }) => this.#receive(event.data));
    });
  }

  #receive(data: unknown): void {
    if (typeof data !== 'string') {
      // One JSON-RPC message per *text* frame.
      this.onerror?.(
        new FedmcpError(
          'PARSE_ERROR',
          'Ignored a binary WebSocket frame: MCP messages are text frames.',
        ),
      );
      return;
    }
    let message: JSONRPCMessage;
    try {
      message = parseJSONRPCMessage(JSON.parse(data));
    } catch (error) {
      this.onerror?.(
        new FedmcpError(
          'PARSE_ERROR',
          `Ignored a WebSocket frame that is not a JSON-RPC message: ${describe(error)}`,
          { cause: error },
        ),
      );
      return;
    }
    this.onmessage?.(message);
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) {
      throw new FedmcpError(
        'TRANSPORT_CLOSED',
        `Cannot send over the WebSocket to ${String(this.#options.url)}: it is not open.`,
      );
    }
    socket.send(JSON.stringify(message));
  }

  async close(): Promise<void> {
    const socket = this.#socket;
    if (socket && socket.readyState <= OPEN) {
      socket.close(1000, 'client closed');
      // The socket's close event calls #finish; do not wait for the server's close frame.
    }
    this.#finish();
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }
}

/**
 * Creates a WebSocket client transport for SDK v2 `Client`s.
 *
 * @example
 * ```ts
 * import WebSocket from 'ws';
 * const transport = createWebSocketClientTransport({ url: 'ws://127.0.0.1:3000/ws', WebSocket });
 * await client.connect(transport);
 * ```
 */
export function createWebSocketClientTransport(
  options: WebSocketClientTransportOptions,
): WebSocketClientTransport {
  return new WebSocketClientTransport(options);
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
