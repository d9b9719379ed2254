/**
 * 2026-07-28 clients across hub replicas (issue 14): a `subscriptions/listen` stream on one
 * replica hears a resource change made through another, and the hub's consent question asked on
 * one replica is answered on another, for 2025-11-25 sessions (the answer POSTed elsewhere) and
 * 2026-07-28 retries (the `requestState` signed with the replicas' shared key). Three hubs on one
 * Redis (`test/fixtures/replica-cluster.ts`).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import { roundRobin, startReplicaCluster } from '../../test/fixtures/replica-cluster.js';
import { eventually, textOf } from '../../test/helpers.js';

const cluster = await startReplicaCluster('replica-rounds');
const { replicas } = cluster;
afterAll(() => cluster.close());

describe('2026-07-28 rounds and listen streams across hub replicas', () => {
  it('feeds a 2026-07-28 listen stream on one replica with a change made through another', async () => {
    // Each request to the next replica: the listen stream and the calls land on different ones.
    const listenedAt: number[] = [];
    const fetchNext = roundRobin(replicas, (index, init) => {
      if (typeof init?.body === 'string' && init.body.includes('subscriptions/listen')) {
        listenedAt.push(index);
      }
    });
    const client = new Client(
      { name: 'modern-listen', version: '1.0.0' },
      { capabilities: {}, versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    const updates: string[] = [];
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updates.push(notification.params.uri);
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${replicas[0].url}/mcp`), {
        fetch: fetchNext,
        requestInit: { headers: { authorization: 'Bearer alice' } },
      }),
    );
    const uri = 'fedmcp://alpha/test://item/2';
    const subscription = await client.listen({ resourceSubscriptions: [uri] });
    const listening = replicas[listenedAt[0] ?? -1];
    if (!listening) throw new Error('no listen request seen');
    expect(listening.upstream.subscribed).toContain('test://item/2');
    // Two calls, so at least one runs on another replica than the listen stream.
    for (let round = 0; round < 2; round += 1) {
      await client.callTool({ name: 'alpha__touch', arguments: { uri: 'test://item/2' } });
    }
    await eventually(() => updates.length === 2);
    expect(updates).toEqual([uri, uri]);
    await subscription.close();
    await eventually(() => !listening.upstream.subscribed.includes('test://item/2'));
    await client.close();
  }, 60_000);

  it.each(['2025-11-25', '2026-07-28'] as const)(
    'asks for consent on one replica and takes the answer on another (%s client)',
    async (era) => {
      const fetchNext = roundRobin(replicas);
      const client = new Client(
        { name: `consent-${era}`, version: '1.0.0' },
        {
          capabilities: { elicitation: { form: {} } },
          ...(era === '2026-07-28' ? { versionNegotiation: { mode: { pin: era } } } : {}),
        },
      );
      const asked: string[] = [];
      client.setRequestHandler('elicitation/create', async (request) => {
        asked.push(String(request.params.message));
        return { action: 'accept', content: { decision: 'allow_once' } };
      });
      const transport = new StreamableHTTPClientTransport(new URL(`${replicas[0].url}/mcp`), {
        fetch: fetchNext,
        requestInit: {
          headers: { authorization: `Bearer ${era === '2025-11-25' ? 'bob' : 'carol'}` },
        },
      });
      await client.connect(transport);
      for (let round = 0; round < 3; round += 1) {
        const text = `${era}-${round}`;
        expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text } }))).toBe(
          `alpha:${text}`,
        );
      }
      expect(asked).toHaveLength(3);
      if (era === '2025-11-25') await transport.terminateSession();
      await client.close();
    },
    60_000,
  );
});
