/**
 * What crosses hub replicas in a 2025-era cluster session besides requests (issue 14): the
 * client's answers to the hub's server→client requests (sampling, elicitation, roots) POSTed to
 * another replica than the one holding the call, the errors when they cannot reach it,
 * notifications outside calls reaching the replica that holds the session's GET stream, and an
 * unsubscribe or a DELETE on one replica releasing the upstream subscription another made. Three
 * hubs on one Redis (`test/fixtures/replica-cluster.ts`).
 */
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import {
  callTool,
  openSession,
  type Replica,
  roundRobin,
  send,
  sseReader,
  startReplicaCluster,
} from '../../test/fixtures/replica-cluster.js';
import { eventually, textOf } from '../../test/helpers.js';

const cluster = await startReplicaCluster('replica-messages');
const { replicas, store } = cluster;
afterAll(() => cluster.close());

describe('messages across hub replicas (2025-era cluster sessions)', () => {
  it('delivers sampling, elicitation and roots answers POSTed to another replica to the waiting call', async () => {
    // Round-robin with no stickiness: each request goes to the next replica.
    const answers: Array<{ id: string; servedBy: string }> = [];
    const fetchNext = roundRobin(replicas, (index, init) => {
      const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
      const id = (body as { id?: unknown; result?: unknown } | undefined)?.id;
      if (typeof id === 'string' && (body as { result?: unknown }).result !== undefined) {
        answers.push({ id, servedBy: (replicas[index] as Replica).cluster.answers.replicaId });
      }
    });
    const client = new V1Client(
      { name: 'v1-answers', version: '1.0.0' },
      { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } },
    );
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => ({
      role: 'assistant',
      model: 'test-model',
      content: {
        type: 'text',
        text: `echo ${(request.params.messages[0]?.content as { text?: string } | undefined)?.text}`,
      },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { name: 'Ada' },
    }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: 'file:///work', name: 'work' }],
    }));
    const transport = new V1StreamableHTTPClientTransport(new URL(`${replicas[0].url}/mcp`), {
      fetch: fetchNext,
      requestInit: { headers: { authorization: 'Bearer alice' } },
    });
    await client.connect(transport);
    for (let round = 0; round < 2; round += 1) {
      expect(
        textOf(await client.callTool({ name: 'alpha__sample', arguments: { prompt: 'hi' } })),
      ).toBe('sampled:echo hi');
      expect(
        textOf(await client.callTool({ name: 'alpha__elicit', arguments: { message: 'Who?' } })),
      ).toBe('elicited:accept:{"name":"Ada"}');
      expect(textOf(await client.callTool({ name: 'alpha__roots', arguments: {} }))).toBe(
        'roots:[{"uri":"file:///work","name":"work"}]',
      );
    }
    // The answers carried the asking replica's ids (the SDK server's requests, and the fast
    // path's: `f`), and some arrived at another replica.
    expect(answers.length).toBeGreaterThanOrEqual(6);
    for (const answer of answers) expect(answer.id).toMatch(/^fedmcp\.\w+\.f?\d+$/);
    const crossed = answers.filter(({ id, servedBy }) => !id.startsWith(`fedmcp.${servedBy}.`));
    expect(crossed.length).toBeGreaterThan(0);
    await transport.terminateSession();
    await client.close();
  }, 60_000);

  it('tells the answering client clearly when the request is gone or its replica stopped', async () => {
    const [first, second] = replicas;
    const sessionId = await openSession(first, { sampling: {} });
    const answer = (id: string) => ({
      jsonrpc: '2.0',
      id,
      result: { role: 'assistant', model: 'm', content: { type: 'text', text: 'late' } },
    });
    // A request of a live replica that is no longer waiting.
    const gone = await send(second, sessionId, {
      body: answer(`fedmcp.${first.cluster.answers.replicaId}.999999`),
    });
    expect(gone.status).toBe(410);
    expect(await gone.text()).toContain('no longer waiting');
    // A request of a replica that stopped (nobody listens on its channel): bounded, then 504.
    const stopped = await send(second, sessionId, { body: answer('fedmcp.stoppedreplica.1') });
    expect(stopped.status).toBe(504);
    expect(await stopped.text()).toContain('did not confirm');
    // The replica holding a call stops while the client is answering its question.
    const doomed = await cluster.replica({ shutdownTimeoutMs: 100 });
    const call = await send(doomed, sessionId, {
      body: callTool(7, 'alpha__sample', { prompt: 'never answered' }),
    });
    const pending = sseReader(call);
    const question = await pending.until((read) => read.includes('sampling/createMessage'));
    const asked = /"id":"(fedmcp\.[^"]+)"/.exec(question)?.[1] ?? '';
    expect(asked.startsWith(`fedmcp.${doomed.cluster.answers.replicaId}.`)).toBe(true);
    await cluster.stopLast();
    const orphan = await send(second, sessionId, { body: answer(asked) });
    expect(orphan.status).toBe(504);
    // The client's call ended with the replica (its stream closed or cut), rather than hanging.
    await pending.until(() => false).catch(() => '');
    // Another principal cannot answer through the session.
    const mallory = await send(second, sessionId, {
      user: 'mallory',
      body: answer(`fedmcp.${first.cluster.answers.replicaId}.1`),
    });
    expect(mallory.status).toBe(404);
    expect((await send(first, sessionId, { method: 'DELETE' })).status).toBe(200);
  }, 60_000);

  it('writes notifications another replica produces on the GET stream this replica holds, stored once', async () => {
    const [first, second, third] = replicas;
    const sessionId = await openSession(first);
    const stream = await send(first, sessionId, { method: 'GET' });
    expect(stream.status).toBe(200);
    const events = sseReader(stream);

    // Subscribed through the second replica (its upstream holds the subscription) …
    const uri = 'fedmcp://alpha/test://item/1';
    const subscribe = { jsonrpc: '2.0', id: 3, method: 'resources/subscribe', params: { uri } };
    expect(await (await send(second, sessionId, { body: subscribe })).text()).toContain('"result"');
    expect(second.upstream.subscribed).toEqual(['test://item/1']);
    // … whose upstream announces a change: the client hears it on the stream the first holds.
    const touched = await send(second, sessionId, {
      body: callTool(4, 'alpha__touch', { uri: 'test://item/1' }),
    });
    expect(await touched.text()).toContain('touched');
    const seen = await events.until((read) => read.includes('notifications/resources/updated'));
    expect(seen).toMatch(/id: \S+\ndata: .*notifications\/resources\/updated.*test:\/\/item\/1/);
    const nonce = (await first.cluster.tokens.open(sessionId))?.nonce ?? '';
    const stored = await store.streams.read(`events:${nonce}`, { limit: 1000 });
    expect(stored.filter((entry) => entry.data.includes('resources/updated'))).toHaveLength(1);

    // Unsubscribed through the third replica: the second lets go of its upstream subscription.
    const unsubscribe = { jsonrpc: '2.0', id: 5, method: 'resources/unsubscribe', params: { uri } };
    expect(await (await send(third, sessionId, { body: unsubscribe })).text()).toContain(
      '"result"',
    );
    await eventually(() => second.upstream.subscribed.length === 0);
    await events.cancel();
    // Subscribed again there, then the session deleted through the third: released too.
    const again = { ...subscribe, id: 6 };
    expect(await (await send(second, sessionId, { body: again })).text()).toContain('"result"');
    expect(second.upstream.subscribed).toEqual(['test://item/1']);
    expect((await send(third, sessionId, { method: 'DELETE' })).status).toBe(200);
    await eventually(() => second.upstream.subscribed.length === 0);
  }, 60_000);
});
