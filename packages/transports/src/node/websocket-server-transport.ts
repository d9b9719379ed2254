/**
 * MCP over WebSocket, server side: one JSON-RPC message per text frame, subprotocol `mcp`
 * (the framing of the SDK v1 `WebSocketClientTransport`). Implements the SDK v2 `Transport`
 * interface over an accepted `ws` socket; neither SDK ships a WebSocket server.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { JSONRPCMessage, MessageExtraInfo, Transport } from '@modelcontextprotocol/server';
import type { RawData, WebSocket } from 'ws';
import { checkJsonDepth, DEFAULT_MAX_JSON_DEPTH } from '../json-depth.js';
import { createJsonRpcError, isJsonRpcMessageShape, JsonRpcErrorCode } from '../json-rpc-error.js';

/** The WebSocket subprotocol MCP uses. */
export const MCP_WEBSOCKET_SUBPROTOCOL = 'mcp';

/** Options for {@link createWebSocketServerTransport}. */
export interface WebSocketServerTransportOptions {
  /** An accepted (open) `ws` WebSocket. The transport owns it from now on. */
  socket: WebSocket;
  /** Session id reported as `transport.sessionId`. */
  sessionId?: string;
  /**
   * Interval of WebSocket ping frames that keep idle connections alive through proxies; a peer
   * that has not answered the previous ping by the next one is disconnected. `0` disables.
   * @default 15000
   */
  keepAliveMs?: number;
  /** Extra information attached to every inbound message (for example `authInfo`). */
  messageExtra?: MessageExtraInfo;
  /** Called for every inbound frame (the host uses it to track session activity). */
  onActivity?: () => void;
  /**
   * Deepest nesting of objects and arrays accepted in one message; a deeper one is answered
   * with -32600 (or -32602 when only its params are that deep). @default 64
   */
  maxJsonDepth?: number;
}

/** A server-side MCP transport over one WebSocket connection. */
export interface WebSocketServerTransport extends Transport {
  /** The underlying socket. */
  readonly socket: WebSocket;
}

/**
 * Wraps an accepted WebSocket as an SDK v2 server `Transport`. A frame that is not JSON is
 * answered with a JSON-RPC parse error (-32700), one that is JSON but not JSON-RPC with an
 * invalid request error (-32600), one nested deeper than `maxJsonDepth` with -32600 or -32602;
 * the connection stays usable in every case.
 *
 * @example
 * ```ts
 * webSocketServer.on('connection', async (socket) => {
 *   await createServer().connect(createWebSocketServerTransport({ socket }));
 * });
 * ```
 */
export function createWebSocketServerTransport(
  options: WebSocketServerTransportOptions,
): WebSocketServerTransport {
  const { socket } = options;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const maxJsonDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
  let started = false;
  let closed = false;
  let awaitingPong = false;
  let keepAlive: NodeJS.Timeout | undefined;

  const transport: WebSocketServerTransport = {
    socket,
    sessionId: options.sessionId,
    async start() {
      if (started) {
        throw new FedmcpError('INVALID_REQUEST', 'WebSocketServerTransport already started');
      }
      started = true;
      socket.on('message', onFrame);
      socket.on('close', onClose);
      socket.on('error', (error: Error) => transport.onerror?.(error));
      socket.on('pong', () => {
        awaitingPong = false;
      });
      if (keepAliveMs > 0) {
        keepAlive = setInterval(() => {
          if (awaitingPong) {
            socket.terminate();
            return;
          }
          awaitingPong = true;
          socket.ping();
        }, keepAliveMs);
        keepAlive.unref();
      }
      if (socket.readyState !== socket.OPEN) onClose();
    },
    send(message: JSONRPCMessage) {
      return sendText(JSON.stringify(message));
    },
    async close() {
      if (closed) return;
      // 1001 "going away": the server ends the session.
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) {
        socket.close(1001, 'MCP session closed');
      }
      onClose();
    },
  };

  function sendText(text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      if (closed || socket.readyState !== socket.OPEN) {
        reject(new FedmcpError('TRANSPORT_CLOSED', 'WebSocket is not open'));
        return;
      }
      socket.send(text, (error) => (error ? reject(error) : resolve()));
    });
  }

  function replyError(code: number, message: string) {
    sendText(JSON.stringify(createJsonRpcError(code, message))).catch(() => {});
  }

  // Binary frames are decoded as UTF-8 too: lenient towards clients that send JSON as bytes.
  function onFrame(data: RawData) {
    options.onActivity?.();
    const text = rawDataToString(data);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      replyError(JsonRpcErrorCode.parseError, 'Parse error: the WebSocket frame is not valid JSON');
      return;
    }
    const tooDeep = checkJsonDepth(parsed, maxJsonDepth);
    if (tooDeep) {
      sendText(JSON.stringify(tooDeep)).catch(() => {});
      return;
    }
    // JSON-RPC batches (MCP 2025-03-26) are delivered message by message.
    const messages = Array.isArray(parsed) ? parsed : [parsed];
    if (messages.length === 0) {
      // JSON-RPC 2.0 §6: an empty batch is answered with one invalid request error.
      replyError(JsonRpcErrorCode.invalidRequest, 'Invalid Request: an empty batch');
      return;
    }
    for (const message of messages) {
      if (!isJsonRpcMessageShape(message)) {
        replyError(
          JsonRpcErrorCode.invalidRequest,
          'Invalid Request: the WebSocket frame is JSON but not a JSON-RPC 2.0 message',
        );
        continue;
      }
      transport.onmessage?.(message as JSONRPCMessage, options.messageExtra);
    }
  }

  function onClose() {
    if (closed) return;
    closed = true;
    if (keepAlive) clearInterval(keepAlive);
    transport.onclose?.();
  }

  return transport;
}

function rawDataToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
