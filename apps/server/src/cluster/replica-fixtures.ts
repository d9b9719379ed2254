/**
 * A `fedmcp serve` replica for the cluster tests: the config parsed as a file would be, served on
 * 127.0.0.1 from its own folder, with its replica id. Also the upstream and client of the
 * 2026-07-28 interactive rounds across replicas: an upstream asking a sampling question, a client
 * answering it.
 */
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { inputRequired, Server } from '@modelcontextprotocol/server';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';
import type { FedmcpServer, FedmcpServerOptions } from '../fedmcp-server-options.js';

/** What {@link startReplica} needs. */
export interface ReplicaOptions {
  /** The replica id (`FEDMCP_REPLICA_ID`), also its folder under `directory`. */
  name: string;
  /** Where the replicas' folders are. */
  directory: string;
  /** The config, as a config file holds it. */
  config: unknown;
  /** What the config is called in its errors. */
  label: string;
  /** More environment of the replica (the replica id is set). */
  env?: Record<string, string>;
  logger?: FedmcpServerOptions['logger'];
}

/** A listening replica; the caller closes `server`. */
export interface StartedReplica {
  server: FedmcpServer;
  /** `http://127.0.0.1:<port>` */
  base: string;
  /** `<base>/mcp` */
  url: string;
}

/** Starts a replica; close its `server` to stop it. */
export async function startReplica(options: ReplicaOptions): Promise<StartedReplica> {
  const server = await createFedmcpServer({
    config: parseConfig(options.config, options.label, { env: {} }),
    baseDirectory: join(options.directory, options.name),
    env: { FEDMCP_REPLICA_ID: options.name, ...options.env },
    ...(options.logger ? { logger: options.logger } : {}),
  });
  let url: string;
  try {
    ({ url } = await server.listen());
  } catch (error) {
    await server.close();
    throw error;
  }
  const base = url.replace(/\/mcp$/, '');
  return { server, base, url: `${base}/mcp` };
}

/** An upstream whose `sample` tool asks the client a sampling question before it answers. */
export function createSamplingUpstream(): Server {
  const server = new Server({ name: 'asker', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'sample', inputSchema: { type: 'object' as const, properties: {} } }],
  }));
  server.setRequestHandler('tools/call', (_request, ctx) => {
    const answer = ctx.mcpReq.inputResponses?.sample as { content?: { text?: string } } | undefined;
    if (answer) return { content: [{ type: 'text', text: `sampled:${answer.content?.text}` }] };
    return inputRequired({
      inputRequests: {
        sample: inputRequired.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: 'a word?' } }],
          maxTokens: 10,
        }),
      },
    });
  });
  return server;
}

/**
 * A 2026-07-28 client named `name`, connected to `url` with the API key `key` through `fetch`
 * (which may route each request to another replica), answering every sampling question "yes".
 */
export async function connectSamplingClient(
  name: string,
  url: string,
  key: string,
  fetch: typeof globalThis.fetch,
): Promise<Client> {
  const client = new Client(
    { name, version: '1.0.0' },
    { capabilities: { sampling: {} }, versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  client.setRequestHandler('sampling/createMessage', async () => ({
    model: 'test',
    role: 'assistant',
    content: { type: 'text', text: 'yes' },
  }));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      fetch,
      requestInit: { headers: { 'x-api-key': key } },
    }),
  );
  return client;
}
