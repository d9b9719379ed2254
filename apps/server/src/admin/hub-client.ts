/**
 * An in-process MCP client of the hub for one caller: the REST facade and the admin tool list go
 * through the hub's own pipeline (policy, rate limits, consent, pinning, audit), never around it.
 */
import type { Hub } from '@fedmcp/federation';
import type { Principal } from '@fedmcp/proxy-auth';
import { createInMemoryTransportPair } from '@fedmcp/transports';
import { Client } from '@modelcontextprotocol/client';

/** Runs `work` with a client connected to a fresh hub session of `principal`, then closes it. */
export async function withHubClient<T>(
  hub: Hub,
  principal: Principal,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const [clientTransport, serverTransport] = createInMemoryTransportPair();
  // The admin API shows each tool's origin (`io.fedmcp/origin`), which lists carry only on request.
  const server = hub.createServer({
    era: 'legacy',
    transport: 'in-memory',
    principal,
    origins: true,
  });
  await server.connect(serverTransport);
  const client = new Client({ name: 'fedmcp-admin', version: '1' });
  try {
    await client.connect(clientTransport);
    return await work(client);
  } finally {
    await client.close();
    await server.close();
  }
}
