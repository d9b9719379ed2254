/**
 * Two `fedmcp serve` replicas with a cluster secret on one Redis (a redis-server of this test):
 * a 2026-07-28 client's call whose upstream asks a sampling question gets `input_required` from
 * one replica, and its retry with the answer, sent to the other replica, is forwarded to the one
 * running the upstream call and completes it (issue 14). Runs whenever CI=true (a missing
 * redis-server fails the run); elsewhere it skips with a printed notice.
 */
import { type RedisTestBed, redisServerRequired, startRedisTestBed } from '@fedmcp/test-support';
import { createMcpHttpHost, type McpHttpHost } from '@fedmcp/transports/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FedmcpServer } from '../create-fedmcp-server.js';
import { apiKeyFor, textOf } from '../federation/chain-fixtures.js';
import { connectSamplingClient, createSamplingUpstream, startReplica } from './replica-fixtures.js';

const available = redisServerRequired('the interactive retries test');

describe.runIf(available)('2026-07-28 interactive retries across fedmcp serve replicas', () => {
  let bed: RedisTestBed;
  let upstream: McpHttpHost;
  const replicas: Array<{ server: FedmcpServer; url: string }> = [];
  let key = '';

  beforeAll(async () => {
    bed = await startRedisTestBed('fedmcp-retries-');
    upstream = createMcpHttpHost({ createServer: () => createSamplingUpstream() });
    const { url: upstreamUrl } = await upstream.listen();
    const user = await apiKeyFor('alice');
    key = user.key;
    for (const name of ['one', 'two']) {
      const { server, url } = await startReplica({
        name,
        directory: bed.directory,
        config: {
          hub: { host: '127.0.0.1', port: 0, id: 'retries-hub' },
          store: bed.redis.url,
          runtime: false,
          cluster: { secret: 'the-cluster-secret-of-the-retries-test-0123' },
          auth: { apiKeys: [user.entry] },
          mcpServers: { asker: { url: `${upstreamUrl}/mcp`, type: 'http' } },
          policy: { rules: [{ id: 'all', effect: 'allow', subjects: ['*'], actions: ['*'] }] },
        },
        label: 'retries test',
      });
      replicas.push({ server, url });
    }
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.server.close();
    await upstream?.close();
    await bed?.[Symbol.asyncDispose]();
  });

  it('completes a call whose answer reaches the other replica', async () => {
    // Every request to the other replica than the last: the retry never reaches the call's.
    const served: string[] = [];
    let next = 0;
    const alternate: typeof fetch = (_input, init) => {
      const replica = replicas[next % replicas.length];
      next += 1;
      if (!replica) throw new Error('no replica');
      if (typeof init?.body === 'string' && init.body.includes('"tools/call"')) {
        served.push(replica.url);
      }
      return fetch(replica.url, init);
    };
    const client = await connectSamplingClient('retries', replicas[0]?.url ?? '', key, alternate);
    for (let call = 0; call < 2; call += 1) {
      const result = await client.callTool({ name: 'asker__sample', arguments: {} });
      expect(textOf(result)).toBe('sampled:yes');
    }
    expect(served).toHaveLength(4);
    expect(served[1]).not.toBe(served[0]);
    expect(served[3]).not.toBe(served[2]);
    await client.close();
  }, 60_000);
});
