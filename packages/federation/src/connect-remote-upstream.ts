import {
  type ConnectUpstreamOptions,
  connectUpstream,
  type UpstreamVerdictCache,
  upstreamCacheKey,
} from '@fedmcp/transports';
import type { Client } from '@modelcontextprotocol/client';
import { contextCacheKey } from './discover/discover-cache.js';
import { hubError } from './errors.js';
import { principalKey } from './pipeline/meta.js';
import type { UpstreamConnectOptions, UpstreamSpec } from './upstream-options.js';

/**
 * The `connectUpstream` options of one hub connection (shared by the web and Node connectors). A
 * caller's own connection caches its era verdict and discover result under that caller's
 * authorization context (`DiscoverCache`), never under the hub's.
 */
export function toConnectUpstreamOptions(
  options: UpstreamConnectOptions,
  spec?: UpstreamSpec,
): ConnectUpstreamOptions {
  return {
    ...(spec && options.caller
      ? {
          cacheKey: contextCacheKey(upstreamCacheKey(spec), principalKey(options.caller.principal)),
        }
      : {}),
    clientInfo: options.clientInfo,
    capabilities: options.capabilities,
    onClientCreated: (client) => options.configure(client),
    verdictCache: options.verdictCache as UpstreamVerdictCache,
    timeoutMs: options.timeoutMs,
    logger: options.logger,
    ...(options.fetch && { fetch: options.fetch }),
  };
}

/**
 * The default connector for remote upstreams (web-standard), through `connectUpstream` of
 * `@fedmcp/transports`: Streamable HTTP with era `auto` (2026-07-28 servers are spoken to
 * natively) and fallback to legacy SSE, `type: 'sse'`, or WebSocket (`ws://`, `type: 'ws'`).
 *
 * @throws FedmcpError INVALID_CONFIG for a stdio spec (use `@fedmcp/federation/node`).
 */
export async function connectRemoteUpstream(
  spec: UpstreamSpec,
  options: UpstreamConnectOptions,
): Promise<Client> {
  if (!('url' in spec)) {
    throw hubError(
      'INVALID_CONFIG',
      `Cannot start "${spec.command}" here: stdio upstreams need the Node entry (import { createHub } from '@fedmcp/federation/node').`,
    );
  }
  return connectUpstream(spec, toConnectUpstreamOptions(options, spec));
}
