/**
 * A 2025-era cluster session's call whose replica stops (issue 14): the client resuming the
 * call's response stream on another replica gets the call's error at once (not at its request
 * timeout), and only when the replica is really gone. Three hubs on one Redis
 * (`test/fixtures/replica-cluster.ts`).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it } from 'vitest';
import {
  callTool,
  openSession,
  send,
  sseReader,
  startReplicaCluster,
} from '../../test/fixtures/replica-cluster.js';

const cluster = await startReplicaCluster('replica-orphaned');
const { replicas } = cluster;
afterAll(() => cluster.close());

/**
 * A call sent as a one-request batch: answered by the SDK transport on a resumable stream (a
 * single request takes the fast path, whose answers carry no event ids).
 */
async function startCall(target: (typeof replicas)[number], sessionId: string, id: number) {
  const call = await send(target, sessionId, {
    body: [callTool(id, 'alpha__slow', { ms: 120_000 })],
    // The SDK transport primes a resumable stream for 2025-11-25 clients only.
    headers: { 'mcp-protocol-version': '2025-11-25' },
  });
  const events = sseReader(call);
  const primed = await events.until((text) => /^id: \S+$/m.test(text));
  return { events, lastEventId: /^id: (\S+)$/m.exec(primed)?.[1] ?? '' };
}

describe('a call whose replica stopped (2025-era cluster sessions)', () => {
  it('answers the resumption of its stream on another replica with an error, then 405', async () => {
    const [first, second] = replicas;
    const sessionId = await openSession(first);
    // While the replica running the call is alive, a resumption elsewhere is no error.
    const alive = await startCall(first, sessionId, 5);
    expect(alive.lastEventId).toContain(`!${first.cluster.answers.replicaId}!`);
    const elsewhere = await send(second, sessionId, {
      method: 'GET',
      headers: { 'last-event-id': alive.lastEventId, 'mcp-protocol-version': '2025-11-25' },
    });
    const replayed = sseReader(elsewhere);
    expect(await replayed.until((text) => text.length > 0)).not.toContain('stopped');
    await replayed.cancel();
    await alive.events.cancel();

    const doomed = await cluster.replica({ shutdownTimeoutMs: 100 });
    const running = await startCall(doomed, sessionId, 7);
    expect(running.lastEventId).toContain(`!${doomed.cluster.answers.replicaId}!`);
    await cluster.stopLast();
    await running.events.until(() => false).catch(() => '');

    const resumed = await send(second, sessionId, {
      method: 'GET',
      headers: { 'last-event-id': running.lastEventId, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(resumed.status).toBe(200);
    const text = await resumed.text();
    expect(text).toMatch(/"id":7,"error":\{"code":-32603,"message":"The hub replica running/);
    const endedId = [...text.matchAll(/^id: (\S+)$/gm)].at(-1)?.[1] ?? '';
    const again = await send(second, sessionId, {
      method: 'GET',
      headers: { 'last-event-id': endedId, 'mcp-protocol-version': '2025-11-25' },
    });
    expect(again.status).toBe(405);
    // The session's next request works on another replica.
    const next = await send(second, sessionId, { body: { jsonrpc: '2.0', id: 8, method: 'ping' } });
    expect(await next.text()).toContain('"id":8');
    expect((await send(first, sessionId, { method: 'DELETE' })).status).toBe(200);
  }, 60_000);

  it('breaks a fast-path answer still pending as JSON when its replica stops', async () => {
    const [, second] = replicas;
    const sessionId = await openSession(second);
    const doomed = await cluster.replica({ shutdownTimeoutMs: 100 });
    const pending = send(doomed, sessionId, {
      body: callTool(9, 'alpha__slow', { ms: 120_000 }),
      headers: { 'mcp-protocol-version': '2025-11-25' },
    }).then(
      async (response) => `answered ${response.status}: ${await response.text()}`,
      (error: unknown) => `failed: ${String(error)}`,
    );
    // Whether or not the call reached the upstream before the stop, the client's request breaks
    // at once (no answer will come) instead of waiting for its timeout.
    await cluster.stopLast();
    expect(await pending).toMatch(/^failed: /);
    const next = await send(second, sessionId, {
      body: { jsonrpc: '2.0', id: 10, method: 'ping' },
    });
    expect(await next.text()).toContain('"id":10');
  }, 60_000);

  it('fails the call of an SDK client at once when the replica running it stops mid-stream', async () => {
    const [, second] = replicas;
    const doomed = await cluster.replica({ shutdownTimeoutMs: 100 });
    // The call goes to the doomed replica, everything else (its resumption too) to another.
    const client = new Client(
      { name: 'orphaned-sdk', version: '1.0.0' },
      { capabilities: { sampling: {} } },
    );
    let asked: () => void = () => {};
    const sampling = new Promise<void>((resolve) => {
      asked = resolve;
    });
    // The question turns the call's answer into SSE; it is never answered (the replica stops).
    client.setRequestHandler('sampling/createMessage', async () => {
      asked();
      return new Promise<never>(() => {});
    });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${second.url}/mcp`), {
        fetch: (input, init) => {
          const url = new URL(input instanceof Request ? input.url : String(input));
          const isCall = typeof init?.body === 'string' && init.body.includes('"tools/call"');
          return fetch(new URL(url.pathname, (isCall ? doomed : second).url), init);
        },
        requestInit: { headers: { authorization: 'Bearer alice' } },
      }),
    );
    const call = client
      .callTool({ name: 'alpha__sample', arguments: { prompt: 'hi' } }, { timeout: 120_000 })
      .then(
        () => 'answered',
        (error: unknown) => String(error),
      );
    await sampling;
    await cluster.stopLast();
    expect(await call).toMatch(/replica running this request stopped/);
    const listed = await client.listTools();
    expect(listed.tools.length).toBeGreaterThan(0);
    await client.close();
  }, 60_000);
});
