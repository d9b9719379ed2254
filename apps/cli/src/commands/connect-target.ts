import { createFedmcpServer } from '@fedmcp/server';
import { createInMemoryTransportPair } from '@fedmcp/transports';
import { connectUpstream } from '@fedmcp/transports/node';
import { Client } from '@modelcontextprotocol/client';
import { resolveConfig } from './resolve-config.js';

/** A client connected to a running hub (by URL) or to a hub built from a config, in process. */
export interface ConnectedTarget {
  client: Client;
  /** What the client talks to, for messages. */
  description: string;
  close(): Promise<void>;
}

const clientInfo = { name: 'fedmcp-cli', version: '0.1.0' };

/**
 * Connects to `--url` (any hub or MCP server: Streamable HTTP, SSE or WebSocket) or, without
 * one, starts the hub of `--config` in this process (no port, no state on disk) for one command.
 */
export async function connectTarget(options: {
  url?: string | undefined;
  config?: string | undefined;
}): Promise<ConnectedTarget> {
  if (options.url !== undefined) {
    const client = await connectUpstream({ url: options.url }, { clientInfo, restart: false });
    return { client, description: options.url, close: () => client.close() };
  }
  const { config, file } = await resolveConfig(options.config);
  const server = await createFedmcpServer({ config: { ...config, store: 'memory:' } });
  const [clientTransport, serverTransport] = createInMemoryTransportPair();
  const client = new Client(clientInfo);
  try {
    await server.hub.createServer({ transport: 'in-memory' }).connect(serverTransport);
    await client.connect(clientTransport);
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    client,
    description: file ?? 'the default config',
    async close() {
      await client.close();
      await server.close();
    },
  };
}
