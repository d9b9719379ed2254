/**
 * The SDK's own entry for a host's 2026-07-28 requests (`createMcpHandler`, legacy eras
 * rejected: the host's routes serve them), shared by the Streamable HTTP route and the 2026-07-28
 * fast path for what it declines. Its server factory learns each request's principal through
 * `principals`, which the route fills in with the web `Request` before handing it over. Its SSE
 * answers to requests start with a priming event naming the replica and the request, so a client
 * whose stream breaks resumes it and is told the call is over (`modern-request-streams.ts`).
 */
import {
  createMcpHandler,
  type McpHttpHandler,
  type ServerEventBus,
} from '@modelcontextprotocol/server';
import type { HostContext } from './host-context.js';
import { modernStreamReplicaId, primeModernStream } from './modern-request-streams.js';

/** The SDK's 2026-07-28 entry and where it learns each request's principal. */
export interface ModernSdkHandler {
  handler: McpHttpHandler;
  /** Set before the `Request` is handed to {@link ModernSdkHandler.handler}. */
  principals: WeakMap<Request, unknown>;
}

/** Creates the SDK's 2026-07-28 entry of a host (see the file comment). */
export function createModernSdkHandler(
  context: HostContext,
  bus: ServerEventBus,
): ModernSdkHandler {
  const { logger, maxBodyBytes, keepAliveMs } = context;
  const principals = new WeakMap<Request, unknown>();
  const handler = createMcpHandler(
    (sdkContext) =>
      context.createServer({
        transport: 'streamable-http',
        era: sdkContext.era,
        ...(sdkContext.requestInfo
          ? {
              principal: principals.get(sdkContext.requestInfo),
              headers: sdkContext.requestInfo.headers,
            }
          : {}),
      }),
    {
      legacy: 'reject',
      bus,
      keepAliveMs,
      maxRequestBodySize: maxBodyBytes,
      onerror: (error) => logger.debug({ err: error }, 'MCP 2026-07-28 request rejected or failed'),
    },
  );
  const replicaId = modernStreamReplicaId(context);
  const primed: McpHttpHandler = {
    ...handler,
    fetch: async (request, requestOptions) =>
      primeModernStream(
        await handler.fetch(request, requestOptions),
        replicaId,
        requestOptions?.parsedBody,
      ),
  };
  return { handler: primed, principals };
}
