import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { createClusterAnswers } from './cluster-answers.js';

/** One process's pub/sub, shaped as the store's (the Redis engine is exercised by the hub tests). */
function createPubsub() {
  const channels = new Map<string, Set<(message: string, channel: string) => void>>();
  return {
    pubsub: {
      async publish(channel: string, message: string) {
        for (const listener of channels.get(channel) ?? []) {
          queueMicrotask(() => listener(message, channel));
        }
      },
      async subscribe(channel: string, listener: (message: string, channel: string) => void) {
        let set = channels.get(channel);
        if (!set) {
          set = new Set();
          channels.set(channel, set);
        }
        set.add(listener);
        return { unsubscribe: async () => void set.delete(listener) };
      },
    },
  };
}

/** A server asking a client that does not answer by itself: the test sees what it receives. */
async function askingServer() {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const received: JSONRPCMessage[] = [];
  clientSide.onmessage = (message) => void received.push(message);
  await clientSide.start();
  const server = new Server({ name: 'asking', version: '1.0.0' }, { capabilities: {} });
  await server.connect(serverSide);
  // The client's handshake, so the server may ask for sampling.
  await clientSide.send({
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: '2025-11-25',
      capabilities: { sampling: {} },
      clientInfo: { name: 'c', version: '1' },
    },
  });
  await clientSide.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  const waitFor = async (check: (message: JSONRPCMessage) => boolean) => {
    for (;;) {
      const found = received.find(check);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  return { server, serverSide, clientSide, received, waitFor };
}

const sample = { messages: [], maxTokens: 1 };
const isRequest = (message: JSONRPCMessage) =>
  (message as { method?: string }).method === 'sampling/createMessage';

describe('createClusterAnswers', () => {
  it("names this replica in a copy's request ids, and gives its server its own ids back", async () => {
    const { pubsub } = createPubsub();
    const answers = createClusterAnswers({ store: { pubsub }, replicaId: 'alpha' });
    const { server, serverSide, clientSide, waitFor } = await askingServer();
    answers.attach(serverSide, 'session-1');
    const asked = server.createMessage(sample);
    const request = (await waitFor(isRequest)) as { id: unknown };
    expect(request.id).toBe('fedmcp.alpha.1');
    const answer = {
      jsonrpc: '2.0' as const,
      id: request.id as string,
      result: { role: 'assistant', model: 'm', content: { type: 'text', text: 'hi' } },
    };
    // An answer to this replica's own request is not forwarded.
    expect(answers.foreignAnswers(answer)).toEqual([]);
    await clientSide.send(answer);
    expect((await asked).content).toEqual({ type: 'text', text: 'hi' });
    await server.close();
  });

  it('names the request by its cluster id when the server cancels it', async () => {
    const { pubsub } = createPubsub();
    const answers = createClusterAnswers({ store: { pubsub }, replicaId: 'alpha' });
    const { server, serverSide, waitFor } = await askingServer();
    answers.attach(serverSide, 'session-1');
    const controller = new AbortController();
    const asked = server.createMessage(sample, { signal: controller.signal });
    const request = (await waitFor(isRequest)) as { id: unknown };
    controller.abort('no longer needed');
    await expect(asked).rejects.toThrow();
    const cancelled = (await waitFor(
      (message) => (message as { method?: string }).method === 'notifications/cancelled',
    )) as { params?: { requestId?: unknown } };
    expect(cancelled.params?.requestId).toBe(request.id);
    await server.close();
  });

  it('forwards an answer to the replica that asked, and says why when it cannot be delivered', async () => {
    const { pubsub } = createPubsub();
    const holder = createClusterAnswers({ store: { pubsub }, replicaId: 'holder' });
    const other = createClusterAnswers({
      store: { pubsub },
      replicaId: 'other',
      forwardTimeoutMs: 50,
    });
    await Promise.all([holder.start(), other.start()]);
    const { server, serverSide, waitFor } = await askingServer();
    holder.attach(serverSide, 'session-1');
    const asked = server.createMessage(sample);
    const request = (await waitFor(isRequest)) as { id: unknown };
    const answer = (id: unknown) => ({
      jsonrpc: '2.0',
      id,
      result: { role: 'assistant', model: 'm', content: { type: 'text', text: 'via other' } },
    });
    // Another session cannot answer it (a tag is no capability).
    const foreign = other.foreignAnswers(answer(request.id));
    expect(foreign).toHaveLength(1);
    expect(await other.forward('session-2', foreign)).toBe('not-waiting');
    expect(await other.forward('session-1', foreign)).toBe('delivered');
    expect((await asked).content).toEqual({ type: 'text', text: 'via other' });
    // Answered already; and a replica nobody hears.
    expect(await other.forward('session-1', foreign)).toBe('not-waiting');
    const stopped = other.foreignAnswers(answer('fedmcp.stopped.1'));
    expect(await other.forward('session-1', stopped)).toBe('no-holder');
    // Requests and answers without a cluster id are left alone.
    expect(other.foreignAnswers([answer(7), { jsonrpc: '2.0', id: 'x', method: 'ping' }])).toEqual(
      [],
    );
    await server.close();
    await Promise.all([holder.close(), other.close()]);
  });
});
