/**
 * The 2026-07-28 leg of the Streamable HTTP endpoint (`streamable-http-route.ts`): requests
 * without a session go to the SDK's `createMcpHandler` (`modern-sdk-handler.ts`), which learns
 * the principal through the web `Request` it is given. A `subscriptions/listen` stream is a
 * long-lived response; the bus may observe it (`observeListen`) or serve it itself
 * (`observe-listen.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { toNodeHandler } from '@modelcontextprotocol/node';
import type { McpHttpHandler, ServerEventBus } from '@modelcontextprotocol/server';
import type { HostContext } from './host-context.js';
import { createModernSdkHandler } from './modern-sdk-handler.js';
import { listenFilterOf, listenObserverOf, listenServerOf } from './observe-listen.js';

/** The 2026-07-28 leg of an endpoint. */
export interface ModernPath {
  /** The SDK handler (its `notify` feeds `subscriptions/listen` streams). */
  readonly modern: McpHttpHandler;
  /** Serves a 2026-07-28 request whose body was read and parsed. */
  serve(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ): Promise<void>;
}

/** Creates the 2026-07-28 leg of an endpoint. */
export function createModernPath(context: HostContext, bus: ServerEventBus): ModernPath {
  const { logger, maxBodyBytes, keepAliveMs } = context;
  const { handler: modern, principals } = createModernSdkHandler(context, bus);

  async function serve(
    request: IncomingMessage,
    response: ServerResponse,
    body: unknown,
    principal: unknown,
  ) {
    if (isListenRequest(body)) {
      context.markLongLived(response);
      const observe = listenObserverOf(bus);
      if (observe) {
        const ended = new AbortController();
        response.once('close', () => ended.abort());
        try {
          await observe({
            filter: listenFilterOf(body),
            transport: 'streamable-http',
            principal,
            signal: ended.signal,
          });
        } catch (error) {
          logger.warn({ err: error }, 'bus.observeListen failed; serving the listen stream anyway');
        }
      }
    }
    // A bus may serve a listen stream itself (the tasks extension's `taskIds`; see observe-listen.ts).
    const serveListen = isListenRequest(body) ? listenServerOf(bus) : undefined;
    const handler = toNodeHandler(
      {
        fetch: async (webRequest, requestOptions) => {
          principals.set(webRequest, principal);
          const owned = await serveListen?.({
            message: body,
            principal,
            signal: webRequest.signal,
            ...(keepAliveMs !== undefined ? { keepAliveMs } : {}),
          });
          return owned ?? modern.fetch(webRequest, requestOptions);
        },
      },
      { maxRequestBodySize: maxBodyBytes },
    );
    await handler(request, response, body);
  }

  return { modern, serve };
}

function isListenRequest(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    (body as { method?: unknown }).method === 'subscriptions/listen'
  );
}
