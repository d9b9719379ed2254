/**
 * MCP over WebSocket on a host (`/ws`, subprotocol `mcp`). Each connection is a session served
 * by the SDK's single-connection entry (`serveStdio` with our transport), which picks the era from
 * the opening message — so 2025-era and 2026-07-28 clients share the endpoint.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AuthInfo, ServerEventBus } from '@modelcontextprotocol/server';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import type { WebSocketServer } from 'ws';
import { isAuthInfoShaped, runAuthenticate } from '../authenticate.js';
import type { HostValidator } from '../host-validation.js';
import type { HostContext } from './host-context.js';
import {
  rejectUpgrade,
  sessionRefusalAnswer,
  toBodylessRequest,
  toHeaders,
} from './host-http-responses.js';
import { listenObserverOf } from './observe-listen.js';
import { observeListensOn } from './sdk-seams.js';
import {
  createWebSocketServerTransport,
  MCP_WEBSOCKET_SUBPROTOCOL,
} from './websocket-server-transport.js';

/** The WebSocket endpoint of a host. */
export interface WebSocketRoute {
  /** Handles an HTTP upgrade whose path is the WebSocket path. */
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void>;
  close(): void;
}

/** Creates the WebSocket endpoint. */
export function createWebSocketRoute(
  context: HostContext,
  validateHost: HostValidator,
  bus?: ServerEventBus,
): WebSocketRoute {
  const observe = bus ? listenObserverOf(bus) : undefined;
  // `ws` is loaded on the first upgrade: a host nobody reaches over WebSocket does not carry it.
  let webSocketServer: WebSocketServer | undefined;
  const loadWebSocketServer = async (): Promise<WebSocketServer> => {
    if (webSocketServer) return webSocketServer;
    const { WebSocketServer } = await import('ws');
    webSocketServer ??= new WebSocketServer({
      noServer: true,
      maxPayload: context.maxBodyBytes,
      handleProtocols: (protocols) =>
        protocols.has(MCP_WEBSOCKET_SUBPROTOCOL) ? MCP_WEBSOCKET_SUBPROTOCOL : false,
    });
    return webSocketServer;
  };

  async function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer) {
    if (context.isClosing()) {
      return rejectUpgrade(socket, 503, 'Service Unavailable: the server is shutting down');
    }
    const failure = validateHost(request.headers.host, request.headers.origin);
    if (failure) return rejectUpgrade(socket, failure.status, failure.message);
    let principal: unknown;
    if (context.authenticateHook) {
      const outcome = await runAuthenticate(context.authenticateHook, toBodylessRequest(request));
      if (outcome.kind === 'response') {
        const body = await outcome.response.text();
        return rejectUpgrade(socket, outcome.response.status, body, {
          headers: outcome.response.headers,
          rawBody: true,
        });
      }
      principal = outcome.principal;
    }
    const server = await loadWebSocketServer();
    if (context.isClosing()) {
      return rejectUpgrade(socket, 503, 'Service Unavailable: the server is shutting down');
    }
    const reservation = context.sessions.reserve(context.quotaKeyOf(principal, request));
    if (typeof reservation === 'string') {
      const answer = sessionRefusalAnswer(reservation);
      return rejectUpgrade(socket, answer.status, answer.message, {
        headers: new Headers({ 'retry-after': String(answer.retryAfterSeconds) }),
      });
    }
    // A handshake ws rejects never reaches the callback; give the reservation back then too.
    socket.once('close', () => reservation.release());
    server.handleUpgrade(request, socket, head, (webSocket) => {
      const sessionId = randomUUID();
      const headers = toHeaders(request);
      const transport = createWebSocketServerTransport({
        socket: webSocket,
        sessionId,
        keepAliveMs: context.keepAliveMs,
        ...(isAuthInfoShaped(principal)
          ? { messageExtra: { authInfo: principal as AuthInfo } }
          : {}),
        onActivity: () => context.sessions.touch(sessionId),
        maxJsonDepth: context.maxJsonDepth,
      });
      if (observe) {
        observeListensOn(transport, observe, { transport: 'websocket', principal }, (error) =>
          context.logger.warn({ err: error, sessionId }, 'bus.observeListen failed'),
        );
      }
      const handle = serveStdio(
        (sdkContext) =>
          context.createServer({
            transport: 'websocket',
            era: sdkContext.era,
            sessionId,
            principal,
            headers,
          }),
        {
          transport,
          legacy: 'serve',
          onerror: (error) =>
            context.logger.debug({ err: error, sessionId }, 'MCP WebSocket session error'),
        },
      );
      reservation.commit({
        id: sessionId,
        kind: 'websocket',
        streaming: true,
        close: () => handle.close(),
      });
      webSocket.on('close', () => context.sessions.remove(sessionId));
    });
  }

  return {
    upgrade,
    close() {
      if (!webSocketServer) return;
      for (const client of webSocketServer.clients) client.terminate();
      webSocketServer.close();
    },
  };
}
