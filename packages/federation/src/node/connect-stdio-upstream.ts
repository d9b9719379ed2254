import { connectUpstream } from '@fedmcp/transports/node';
import type { Client } from '@modelcontextprotocol/client';
import { toConnectUpstreamOptions } from '../connect-remote-upstream.js';
import type { UpstreamConnectOptions, UpstreamSpec } from '../upstream-options.js';

/**
 * The Node connector, through `connectUpstream` of `@fedmcp/transports/node`: stdio specs start
 * a supervised child process (era `legacy`, the cheap measured default for stdio; its stderr
 * goes to the logger, its process group is killed on close); remote specs as in the web entry.
 * The transport's own restart is off: the hub's upstream lifecycle reconnects (with backoff
 * and a circuit breaker) for every transport alike.
 */
export function connectNodeUpstream(
  spec: UpstreamSpec,
  options: UpstreamConnectOptions,
): Promise<Client> {
  return connectUpstream(spec, { ...toConnectUpstreamOptions(options, spec), restart: false });
}
