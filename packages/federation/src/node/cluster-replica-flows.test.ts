/**
 * 2026-07-28 interactive calls across hub replicas (issue 14): an upstream's question (sampling,
 * elicitation, roots) comes back to the client as `input_required`, and the client's retry may
 * reach another replica than the one running the upstream call; that replica forwards the round
 * to the holder over the store's pub/sub (`cluster/flow-forwarding.ts`). Three hubs on one Redis
 * (`test/fixtures/replica-cluster.ts`).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type Replica,
  roundRobin,
  startReplicaCluster,
} from '../../test/fixtures/replica-cluster.js';
import { textOf } from '../../test/helpers.js';

const cluster = await startReplicaCluster('replica-flows');
const { replicas } = cluster;
afterAll(() => cluster.close());

const modern = { versionNegotiation: { mode: { pin: '2026-07-28' as const } } };
const capabilities = { sampling: {}, elicitation: { form: {} }, roots: {} };

/** Whether a request body is a tools/call, and whether it is a retry (carries answers). */
function callKind(init: RequestInit | undefined): 'call' | 'retry' | undefined {
  if (typeof init?.body !== 'string' || !init.body.includes('"tools/call"')) return undefined;
  return init.body.includes('"requestState"') ? 'retry' : 'call';
}

/** A client of `user` whose requests go through `fetch`, answering every question it gets. */
async function connect(user: string, fetch: typeof globalThis.fetch) {
  const client = new Client(
    { name: `flows-${user}`, version: '1.0.0' },
    { capabilities, ...modern },
  );
  client.setRequestHandler('sampling/createMessage', async (request) => ({
    model: 'test-model',
    role: 'assistant',
    content: { type: 'text', text: `answer to ${JSON.stringify(request.params.messages)}` },
  }));
  client.setRequestHandler('elicitation/create', async () => ({
    action: 'accept',
    content: { name: user },
  }));
  client.setRequestHandler('roots/list', async () => ({
    roots: [{ uri: 'file:///work', name: 'work' }],
  }));
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${replicas[0].url}/mcp`), {
      fetch,
      requestInit: { headers: { authorization: `Bearer ${user}` } },
    }),
  );
  return client;
}

/** Sends a request to one replica's `/mcp`, whatever URL the client had in mind. */
function sendTo(replica: Replica, input: Parameters<typeof fetch>[0], init?: RequestInit) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  return fetch(new URL(`${url.pathname}${url.search}`, replica.url), init);
}

describe('2026-07-28 interactive calls retried on another replica', () => {
  it('answers the upstream questions through another replica and completes the call', async () => {
    const served: Array<{ kind: 'call' | 'retry'; index: number }> = [];
    const client = await connect(
      'alice',
      roundRobin(replicas, (index, init) => {
        const kind = callKind(init);
        if (kind) served.push({ kind, index });
      }),
    );
    const sampled = await client.callTool({ name: 'alpha__sample', arguments: { prompt: 'hi' } });
    expect(textOf(sampled)).toContain('sampled:answer to');
    const elicited = await client.callTool({ name: 'alpha__elicit', arguments: {} });
    expect(textOf(elicited)).toBe('elicited:accept:{"name":"alice"}');
    const rooted = await client.callTool({ name: 'alpha__roots', arguments: {} });
    expect(textOf(rooted)).toBe('roots:[{"uri":"file:///work","name":"work"}]');
    // Each call was asked on one replica and its retry went to another.
    expect(served.map(({ kind }) => kind)).toEqual([
      'call',
      'retry',
      'call',
      'retry',
      'call',
      'retry',
    ]);
    for (let call = 0; call < served.length; call += 2) {
      expect(served[call + 1]?.index).not.toBe(served[call]?.index);
    }
    await client.close();
  }, 60_000);

  it('refuses a retry by another principal, and the owner still completes the call', async () => {
    const refusals: string[] = [];
    let next = 0;
    const client = await connect('alice', async (input, init) => {
      const index = next % replicas.length;
      next += 1;
      if (callKind(init) === 'retry') {
        // Mallory replays alice's retry (answers and requestState) on yet another replica.
        const headers = new Headers(init?.headers);
        headers.set('authorization', 'Bearer mallory');
        const replayed = await sendTo(replicas[(index + 1) % replicas.length] as Replica, input, {
          ...init,
          headers,
        });
        refusals.push(await replayed.text());
      }
      return sendTo(replicas[index] as Replica, input, init);
    });
    const elicited = await client.callTool({ name: 'alpha__elicit', arguments: {} });
    expect(textOf(elicited)).toBe('elicited:accept:{"name":"alice"}');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toContain('-32602');
    expect(refusals[0]).toContain('This interactive call is over or expired');
    await client.close();
  }, 60_000);

  it('says the call ended with its replica when the holder stopped mid-call', async () => {
    const doomed = await cluster.replica();
    let asked = false;
    const client = await connect('alice', async (input, init) => {
      const kind = callKind(init);
      if (kind === 'call' && !asked) {
        asked = true;
        return sendTo(doomed, input, init);
      }
      // The replica running the upstream call stops before the client's answers arrive.
      if (kind === 'retry') await cluster.stopLast();
      return sendTo(replicas[0], input, init);
    });
    const failed = await client
      .callTool({ name: 'alpha__sample', arguments: { prompt: 'hi' } })
      .then(
        () => undefined,
        (error: unknown) => error as { code?: unknown; message?: unknown },
      );
    expect(asked).toBe(true);
    expect(failed?.code).toBe(-32060);
    expect(String(failed?.message)).toContain('stopped or does not answer; call the tool again');
    // The client goes on with the live replicas.
    const rooted = await client.callTool({ name: 'alpha__roots', arguments: {} });
    expect(textOf(rooted)).toBe('roots:[{"uri":"file:///work","name":"work"}]');
    await client.close();
  }, 60_000);
});
