/**
 * A 2026-07-28 round survives a rolling rotation of the cluster secret (issue 14): replica `old`
 * still signs `requestState` with secret A (and already opens B), replica `new` signs with B and
 * lists A as previous. A call started on `old` and retried on `new` completes; a state signed
 * under a key no replica has is refused. Two `fedmcp serve` replicas on a real Redis.
 */
import { type RedisTestBed, redisServerRequired, startRedisTestBed } from '@fedmcp/test-support';
import { createMcpHttpHost, type McpHttpHost } from '@fedmcp/transports/node';
import { createRequestStateCodec, type ServerContext } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyFor, textOf } from '../federation/chain-fixtures.js';
import {
  connectSamplingClient,
  createSamplingUpstream,
  type StartedReplica,
  startReplica,
} from './replica-fixtures.js';
import { requestStateKeyOf } from './request-state-key.js';

const available = redisServerRequired('the requestState rotation test');
const secretA = 'the-old-cluster-secret-of-the-rotation-test-0123';
const secretB = 'the-new-cluster-secret-of-the-rotation-test-4567';

/** Re-signs a `requestState` (its payload kept) under the key of a secret no replica knows. */
async function resignedUnderUnknownKey(state: string): Promise<string> {
  const body = state.split('.')[1] ?? '';
  const { p } = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { p: string };
  const codec = createRequestStateCodec<string>({
    key: requestStateKeyOf('a-secret-no-replica-of-the-rotation-test-knows-89'),
    bind: (ctx) => ctx.mcpReq.method,
  });
  return codec.mint(p, { mcpReq: { method: 'tools/call' } } as ServerContext);
}

describe.runIf(available)('2026-07-28 rounds across a cluster-secret rotation', () => {
  let bed: RedisTestBed;
  let upstream: McpHttpHost;
  let old: StartedReplica;
  let rotated: StartedReplica;
  let key = '';

  beforeAll(async () => {
    bed = await startRedisTestBed('fedmcp-rotation-');
    upstream = createMcpHttpHost({ createServer: () => createSamplingUpstream() });
    const { url: upstreamUrl } = await upstream.listen();
    const user = await apiKeyFor('alice');
    key = user.key;
    const start = (name: string, secret: string, previous: string) =>
      startReplica({
        name,
        directory: bed.directory,
        config: {
          hub: { host: '127.0.0.1', port: 0, id: 'rotation-hub' },
          store: bed.redis.url,
          runtime: false,
          cluster: { secret, previousSecrets: [previous] },
          auth: { apiKeys: [user.entry] },
          mcpServers: { asker: { url: `${upstreamUrl}/mcp`, type: 'http' } },
          policy: { rules: [{ id: 'all', effect: 'allow', subjects: ['*'], actions: ['*'] }] },
        },
        label: 'rotation test',
      });
    // The README's rotation: every replica first opens the new secret, then signs with it.
    old = await start('old', secretA, secretB);
    rotated = await start('new', secretB, secretA);
  }, 60_000);

  afterAll(async () => {
    await old?.server.close();
    await rotated?.server.close();
    await upstream?.close();
    await bed?.[Symbol.asyncDispose]();
  });

  /**
   * A client whose first `tools/call` goes to `old` and its retry to `new`; `rewrite` may change
   * the retry's `requestState`. Records the replica of each `tools/call`.
   */
  async function connect(rewrite?: (state: string) => Promise<string>) {
    const served: string[] = [];
    const routed: typeof fetch = async (_input, init) => {
      let body = init?.body;
      let target = old.url;
      if (typeof body === 'string' && body.includes('"tools/call"')) {
        target = served.length % 2 === 0 ? old.url : rotated.url;
        served.push(target === old.url ? 'old' : 'new');
        const message = JSON.parse(body) as { params: { requestState?: string } };
        if (rewrite && message.params.requestState !== undefined) {
          message.params.requestState = await rewrite(message.params.requestState);
          body = JSON.stringify(message);
        }
      }
      return fetch(target, { ...init, body });
    };
    const client = await connectSamplingClient('rotation', old.url, key, routed);
    return { client, served };
  }

  it('completes a round started on the old-secret replica and retried on the new one', async () => {
    const { client, served } = await connect();
    try {
      const result = await client.callTool({ name: 'asker__sample', arguments: {} });
      expect(textOf(result)).toBe('sampled:yes');
      expect(served).toEqual(['old', 'new']);
    } finally {
      await client.close();
    }
  }, 60_000);

  it('refuses a requestState signed under a key no replica has', async () => {
    const { client, served } = await connect(resignedUnderUnknownKey);
    try {
      await expect(client.callTool({ name: 'asker__sample', arguments: {} })).rejects.toMatchObject(
        { code: -32602, message: expect.stringContaining('Invalid or expired requestState') },
      );
      expect(served).toEqual(['old', 'new']);
    } finally {
      await client.close();
    }
  }, 60_000);
});
