/**
 * Lets a change-event bus learn about the 2026-07-28 `subscriptions/listen` streams a host
 * serves. The SDK's entries acknowledge and filter listen streams themselves and only ever
 * `subscribe` to the bus, so a server fronting other servers (the federation hub) cannot see
 * which resources a stream asked for. A bus with an `observeListen` method is told.
 */
import type { ServerEventBus } from '@modelcontextprotocol/server';

/** One `subscriptions/listen` stream, as the host saw it open. */
export interface McpListenStream {
  /** The requested filter (`params.notifications`); the SDK validates it. */
  filter: McpListenFilter | undefined;
  /** The transport it arrived on. */
  transport: 'streamable-http' | 'websocket' | 'stdio';
  /** What the host's `authenticate` hook returned. */
  principal: unknown;
  /** Aborted when the stream ends (the client closed it, cancelled it, or disconnected). */
  signal: AbortSignal;
}

/** The part of a `subscriptions/listen` filter a bus may care about. */
export interface McpListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
  /** The 2026 tasks extension's `taskIds` (`notifications/tasks` for these tasks). */
  taskIds?: string[];
}

/**
 * A `ServerEventBus` that is also told when a listen stream opens. The host awaits
 * `observeListen` before acknowledging the stream (so e.g. an upstream subscription is in
 * place when the client sees the acknowledgement); a throw is logged and ignored.
 */
export interface ListenObservingServerEventBus extends ServerEventBus {
  observeListen(stream: McpListenStream): void | Promise<void>;
}

/** A `subscriptions/listen` request offered to a bus that may serve it itself. */
export interface McpListenRequest {
  /** The JSON-RPC request as it arrived (not validated). */
  message: unknown;
  /** What the host's `authenticate` hook returned. */
  principal: unknown;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** The host's SSE keep-alive interval, in ms. */
  keepAliveMs?: number;
}

/**
 * A `ServerEventBus` that may serve a 2026-07-28 `subscriptions/listen` stream itself, e.g. one
 * whose filter names the tasks extension's `taskIds`: SDK 2.4.0's listen router drops filter
 * fields it does not know and relays only list changes and resource updates. `serveListen`
 * resolves with the whole response (an SSE stream, or a JSON-RPC error), or `undefined` to leave
 * the request to the SDK. Streamable HTTP hosts offer it every modern listen request.
 */
export interface ListenServingServerEventBus extends ServerEventBus {
  serveListen(request: McpListenRequest): Promise<Response | undefined>;
}

/** The `serveListen` of a bus, when it has one. */
export function listenServerOf(
  bus: ServerEventBus,
): ListenServingServerEventBus['serveListen'] | undefined {
  const serve = (bus as Partial<ListenServingServerEventBus>).serveListen;
  return typeof serve === 'function' ? serve.bind(bus) : undefined;
}

/** The `observeListen` of a bus, when it has one. */
export function listenObserverOf(
  bus: ServerEventBus,
): ListenObservingServerEventBus['observeListen'] | undefined {
  const observe = (bus as Partial<ListenObservingServerEventBus>).observeListen;
  return typeof observe === 'function' ? observe.bind(bus) : undefined;
}

/** The filter of a `subscriptions/listen` request body, if it looks like one. */
export function listenFilterOf(message: unknown): McpListenFilter | undefined {
  const notifications = (message as { params?: { notifications?: unknown } } | null)?.params
    ?.notifications;
  if (typeof notifications !== 'object' || notifications === null) return undefined;
  const filter = notifications as McpListenFilter;
  if (
    filter.resourceSubscriptions !== undefined &&
    !(
      Array.isArray(filter.resourceSubscriptions) &&
      filter.resourceSubscriptions.every((uri) => typeof uri === 'string')
    )
  ) {
    return { ...filter, resourceSubscriptions: undefined };
  }
  return filter;
}
