import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { connectRemoteUpstream } from '../connect-remote-upstream.js';
import type { UpstreamConnectOptions, UpstreamSpec } from '../upstream-options.js';

/**
 * The Node connector: stdio specs start a child process (era `legacy`: the cheap, measured
 * default for stdio, notes §6); remote specs go to {@link connectRemoteUpstream}. The child's
 * stderr is piped and forwarded to the logger at debug level, never to the hub's own stdout.
 */
export async function connectNodeUpstream(
  spec: UpstreamSpec,
  options: UpstreamConnectOptions,
): Promise<Client> {
  if (!('command' in spec)) return connectRemoteUpstream(spec, options);
  const client = new Client(options.clientInfo, {
    capabilities: options.capabilities,
    versionNegotiation: { mode: 'legacy' },
  });
  options.configure(client);
  const transport = new StdioClientTransport({
    command: spec.command,
    args: spec.args ?? [],
    ...(spec.env ? { env: spec.env } : {}),
    ...(spec.cwd ? { cwd: spec.cwd } : {}),
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) =>
    options.logger.debug({ command: spec.command, stderr: chunk.toString() }, 'upstream stderr'),
  );
  try {
    await client.connect(transport, { timeout: options.timeoutMs });
  } catch (error) {
    await transport.close().catch(() => {});
    throw error;
  }
  return client;
}
