/**
 * The Node hosts' seams into the MCP TypeScript SDK (`@modelcontextprotocol/server` 2.4.0): the
 * wrapping of transports served by the SDK's `serveStdio` entry (stdio and WebSocket sessions).
 * Each seam says which SDK behaviour it works around; `sdk-seams.test.ts` beside this file pins
 * each one, so an SDK upgrade that changes it fails there. The client seams are in
 * `../sdk-seams.ts`.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import {
  type Transport,
  WebStandardStreamableHTTPServerTransport,
} from '@modelcontextprotocol/server';
import {
  type ListenObservingServerEventBus,
  listenFilterOf,
  type McpListenStream,
} from './observe-listen.js';

/**
 * Seam: hooks on a transport the SDK's `serveStdio` entry serves. SDK 2.4.0's
 * `serveStdio(factory, { transport })` assigns its own `transport.onmessage`, `onerror` and
 * `onclose`, then calls `transport.start()` once; it offers a host no hook on the messages or the
 * close. Wrapping `start` runs `installed` once the transport started, with the entry's handlers
 * in place, so a host can chain its own around them.
 */
export function afterEntryStart(transport: Transport, installed: () => void): void {
  const start = transport.start.bind(transport);
  transport.start = async () => {
    await start();
    installed();
  };
}

/**
 * Calls `onClosed` after the `serveStdio` entry's own `onclose` when the transport closes (the
 * entry replaces any `onclose` set before it starts the transport). See {@link afterEntryStart}.
 */
export function chainOnClose(transport: Transport, onClosed: () => void): void {
  afterEntryStart(transport, () => {
    const entryOnClose = transport.onclose;
    transport.onclose = () => {
      entryOnClose?.();
      onClosed();
    };
  });
}

/**
 * Seam: what a `serveStdio` transport receives. SDK 2.4.0's entries acknowledge and filter
 * `subscriptions/listen` streams themselves and only `subscribe` to the event bus, so a server
 * fronting others cannot see which resources a stream asked for. This rewrites the entry's
 * `transport.onmessage` (and `onclose`) to look at each message on its way in.
 *
 * Tells `observe` about the listen streams of a single-connection transport served by the SDK's
 * `serveStdio` entry (stdio, WebSocket): wraps the transport so that, once the entry started it,
 * every inbound `subscriptions/listen` is observed, and its signal aborts on the matching
 * `notifications/cancelled` or when the connection closes.
 */
export function observeListensOn(
  transport: Transport,
  observe: ListenObservingServerEventBus['observeListen'],
  details: { transport: McpListenStream['transport']; principal?: unknown },
  onError: (error: unknown) => void,
): void {
  const open = new Map<unknown, AbortController>();
  afterEntryStart(transport, () => {
    const deliver = transport.onmessage;
    const entryOnClose = transport.onclose;
    transport.onmessage = (message, extra) => {
      const method = (message as { method?: unknown }).method;
      if (method === 'subscriptions/listen' && 'id' in message) {
        const ended = new AbortController();
        open.get(message.id)?.abort();
        open.set(message.id, ended);
        try {
          void Promise.resolve(
            observe({
              filter: listenFilterOf(message),
              transport: details.transport,
              principal: details.principal,
              signal: ended.signal,
            }),
          ).catch(onError);
        } catch (error) {
          onError(error);
        }
      } else if (method === 'notifications/cancelled') {
        const id = (message as { params?: { requestId?: unknown } }).params?.requestId;
        open.get(id)?.abort();
        open.delete(id);
      }
      deliver?.(message, extra);
    };
    transport.onclose = () => {
      for (const ended of open.values()) ended.abort();
      open.clear();
      entryOnClose?.();
    };
  });
}

/**
 * Seam: the web-standard transport inside the SDK's Node one. `@modelcontextprotocol/node` 2.1.2's
 * `NodeStreamableHTTPServerTransport` wraps a `WebStandardStreamableHTTPServerTransport` in the
 * private field `_webStandardTransport` and offers no way to hand it a web `Request`; restoring a
 * cluster session on another replica replays the client's `initialize` into it as web requests.
 *
 * @throws {FedmcpError} `INTERNAL` when the SDK no longer has the field (an SDK upgrade).
 */
export function webStandardTransportOf(
  transport: NodeStreamableHTTPServerTransport,
): WebStandardStreamableHTTPServerTransport {
  const inner = (transport as unknown as { _webStandardTransport?: unknown })._webStandardTransport;
  if (typeof (inner as { handleRequest?: unknown } | undefined)?.handleRequest !== 'function') {
    throw new FedmcpError(
      'INTERNAL',
      'createMcpHttpHost: unsupported @modelcontextprotocol/node version (no web-standard transport inside NodeStreamableHTTPServerTransport)',
    );
  }
  return inner as WebStandardStreamableHTTPServerTransport;
}

/**
 * Seam: SSE answers of the SDK's Node Streamable HTTP transport written at once. `@modelcontextprotocol/node`
 * 2.1.2 writes the web `Response` of its inner transport with `@hono/node-server` 2.1.9, which,
 * for a body without `transfer-encoding: chunked`, reads it twice without blocking and then waits
 * a `setTimeout` (≥ 1 ms) hoping it ends, to send a `content-length` instead: every POST answered
 * with an SSE stream (the SDK's default) waited that long before its first byte, and a tool that
 * answers in under a millisecond paid it in full (issue #18: the ~1 ms measured inside the SDK
 * transport). Marking SSE answers chunked (what Node sends for them anyway) skips the probe.
 */
export function writeStreamsAtOnce(transport: NodeStreamableHTTPServerTransport): void {
  // One function for every transport: a session holds no closure of its own for it (issue #18).
  webStandardTransportOf(transport).handleRequest = handleMarkingStreams;
}

async function handleMarkingStreams(
  this: WebStandardStreamableHTTPServerTransport,
  ...[request, options]: Parameters<WebStandardStreamableHTTPServerTransport['handleRequest']>
): Promise<Response> {
  const response = await WebStandardStreamableHTTPServerTransport.prototype.handleRequest.call(
    this,
    request,
    options,
  );
  const type = response.headers.get('content-type');
  if (type?.startsWith('text/event-stream') && !response.headers.has('transfer-encoding')) {
    response.headers.set('transfer-encoding', 'chunked');
  }
  return response;
}

/**
 * Seam: per-session objects of the SDK's Node Streamable HTTP transport that nothing uses.
 * `@modelcontextprotocol/node` 2.1.2's `NodeStreamableHTTPServerTransport` builds, per instance,
 * a request listener (`_requestListener`, with its closure) and a `WeakMap` (`_requestContext`)
 * that only that listener reads; `handleRequest` builds a listener of its own per request and
 * never calls it. An idle session kept both (issue #18: ~0.3 KB a session); this drops them.
 * `sdk-seams.test.ts` pins that the fields exist and that the transport serves without them.
 */
export function dropUnusedRequestListener(transport: NodeStreamableHTTPServerTransport): void {
  const fields = transport as unknown as { _requestListener?: unknown; _requestContext?: unknown };
  fields._requestListener = undefined;
  fields._requestContext = undefined;
}
