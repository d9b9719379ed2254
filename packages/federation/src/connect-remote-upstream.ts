import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { HubError } from './hub-error.js';
import type { UpstreamConnectOptions, UpstreamSpec } from './upstream-options.js';

/**
 * The default connector for remote upstreams (web-standard): Streamable HTTP (era `auto`, so
 * 2026-07-28 servers are spoken to natively), or legacy SSE when `type: 'sse'`.
 *
 * @throws HubError INVALID_CONFIG for a stdio spec (use `@fedmcp/federation/node`) or a
 * WebSocket spec (not built in yet; inject a connector).
 */
export async function connectRemoteUpstream(
  spec: UpstreamSpec,
  options: UpstreamConnectOptions,
): Promise<Client> {
  if (!('url' in spec)) {
    throw new HubError(
      'INVALID_CONFIG',
      `Cannot start "${spec.command}" here: stdio upstreams need the Node entry (import { createHub } from '@fedmcp/federation/node').`,
    );
  }
  const url = new URL(spec.url);
  const requestInit = spec.headers ? { headers: spec.headers } : undefined;
  const type = spec.type ?? 'streamable-http';
  if (type === 'ws' || type === 'websocket') {
    throw new HubError(
      'INVALID_CONFIG',
      `WebSocket upstream ${spec.url}: pass a connector (the connect option) that builds a WebSocket transport.`,
    );
  }
  const sse = type === 'sse';
  const client = new Client(options.clientInfo, {
    capabilities: options.capabilities,
    versionNegotiation: sse ? { mode: 'legacy' } : { mode: 'auto', probe: { timeoutMs: 5_000 } },
  });
  options.configure(client);
  const transport = sse
    ? new SSEClientTransport(url, { requestInit })
    : new StreamableHTTPClientTransport(url, { requestInit });
  await client.connect(transport, { timeout: options.timeoutMs });
  return client;
}
