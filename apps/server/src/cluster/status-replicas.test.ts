/**
 * `status://hub` (the runtime's federated status resource) on a replica of a cluster: its
 * subscribers hear when another replica joins or leaves, and the document they read then lists
 * the replicas as they are. Two replicas on a redis-server of this test (a free port, not the
 * shared 6379). Runs whenever CI=true (a missing redis-server fails the run); elsewhere it skips
 * with a printed notice.
 */
import { toHubResourceUri } from '@fedmcp/protocol';
import { type RedisTestBed, redisServerRequired, startRedisTestBed } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FedmcpServer } from '../create-fedmcp-server.js';
import { startReplica as startServer } from './replica-fixtures.js';

const available = redisServerRequired('the status://hub replicas test');

const STATUS = toHubResourceUri('runtime', 'status://hub');

describe.runIf(available)('status://hub on a replica', () => {
  let bed: RedisTestBed;
  const servers: FedmcpServer[] = [];
  let client: Client | undefined;
  let updates = 0;

  const startReplica = async (name: string): Promise<{ server: FedmcpServer; url: string }> => {
    const { server, url } = await startServer({
      name,
      directory: bed.directory,
      config: {
        hub: { host: '127.0.0.1', port: 0, id: 'status-hub' },
        store: bed.redis.url,
        mcpServers: {},
      },
      label: 'status replicas test',
      env: { FEDMCP_REPLICA_HEARTBEAT_MS: '200' },
    });
    servers.push(server);
    return { server, url };
  };

  const readReplicas = async (): Promise<string[]> => {
    const read = await (client as Client).readResource({ uri: STATUS });
    const document = JSON.parse((read.contents[0] as { text: string }).text) as {
      cluster?: { replicas?: Array<{ id: string }> };
    };
    return (document.cluster?.replicas ?? []).map(({ id }) => id).sort();
  };

  beforeAll(async () => {
    bed = await startRedisTestBed('fedmcp-status-replicas-');
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    for (const server of servers.splice(0).reverse()) await server.close();
    await bed?.[Symbol.asyncDispose]();
  });

  /** Waits for an update announced after `before` and a document listing `expected`. */
  const announced = (before: number, expected: string[]) =>
    vi.waitFor(
      async () => {
        expect(updates).toBeGreaterThan(before);
        expect(await readReplicas()).toEqual(expected);
      },
      { timeout: 20_000, interval: 100 },
    );

  it('announces replicas joining and leaving to its subscribers', async () => {
    const { url } = await startReplica('replica-a');
    client = new Client({ name: 'status-watcher', version: '1.0.0' });
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      if (notification.params.uri === STATUS) updates += 1;
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    await client.subscribeResource({ uri: STATUS });
    expect(await readReplicas()).toEqual(['replica-a']);

    // Another replica starts: the subscriber is told, and the document lists both.
    let before = updates;
    const b = await startReplica('replica-b');
    await announced(before, ['replica-a', 'replica-b']);

    // It stops: told again, and it is gone from the document.
    before = updates;
    await b.server.close();
    servers.splice(servers.indexOf(b.server), 1);
    await announced(before, ['replica-a']);
  }, 60_000);
});
