/**
 * 2026-07-28 between hubs on the fast path: a 2026-07-28 client of hub A calls a tool of hub B's
 * upstream through the peer link, and neither hub builds an SDK server for the call (A's envelope
 * tells B that no question can come back); errors keep their code and data across both hops,
 * cancellation reaches B's upstream, and a call with progress still relays it (the SDK path).
 */
import { createHubServer, type HubServer } from '@fedmcp/federation/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import type { Transport } from '@modelcontextprotocol/server';
import { describe, expect, it, vi } from 'vitest';
import { observedUpstream } from '../../test/fixtures/observed-upstream.js';
import type { TestUpstreamState } from '../../test/fixtures/test-upstream.js';
import { INTERACTIVE, memoryConnector, textOf } from '../../test/helpers.js';
import type { HubSessionContext } from '../hub-session.js';

/**
 * The tools/calls a hub serves on its SDK path for 2026-07-28 requests (it builds a server for
 * each request there), by tool name. The hubs' own list requests to each other, made as their
 * catalogs load, are left out.
 */
function recordModernServers(server: HubServer): string[] {
  const called: string[] = [];
  const { hub } = server;
  const createServer = hub.createServer.bind(hub);
  Object.assign(hub, {
    createServer: (context?: HubSessionContext) => {
      const built = createServer(context);
      if (context?.era !== 'modern') return built;
      const connect = built.connect.bind(built);
      built.connect = async (transport: Transport) => {
        await connect(transport);
        const deliver = transport.onmessage;
        transport.onmessage = (message, extra) => {
          const request = message as { method?: string; params?: { name?: unknown } };
          if (request.method === 'tools/call') called.push(String(request.params?.name));
          deliver?.(message, extra);
        };
      };
      return built;
    },
  });
  return called;
}

/**
 * Hub A peered with hub B, which serves the observed test upstream `up` (A lists it as
 * `b__up__*`), each recording the tools/calls its SDK path serves.
 */
async function startPeerPair(state: TestUpstreamState | undefined, arrived: string[]) {
  const b = await createHubServer({
    hubId: 'b',
    connect: memoryConnector({ up: () => observedUpstream(state, arrived) }),
    upstreams: { up: { url: 'memory://up' } },
  });
  const a = await createHubServer({ hubId: 'a' });
  const urlA = (await a.listen()).url;
  const urlB = (await b.listen()).url;
  await b.setPeers({ a: { url: urlA, import: false } });
  await a.setPeers({ b: { url: urlB } });
  return {
    urlA,
    builtByA: recordModernServers(a),
    builtByB: recordModernServers(b),
    async [Symbol.asyncDispose]() {
      await a.close();
      await b.close();
    },
  };
}

describe('2026-07-28 between hubs on the fast path', () => {
  it('calls through a peer without a server per request, keeping errors, cancellation and progress', async () => {
    const arrived: string[] = [];
    const state: TestUpstreamState = {
      cancelled: 0,
      subscribed: [],
      unsolicitedRoots: undefined,
      logLevel: undefined,
    };
    await using pair = await startPeerPair(state, arrived);
    const { urlA, builtByA, builtByB } = pair;

    const client = new Client(
      { name: 'user', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(`${urlA}/mcp`)));
    try {
      expect(
        textOf(await client.callTool({ name: 'b__up__echo', arguments: { text: 'hop' } })),
      ).toBe('up:hop');
      await expect(client.callTool({ name: 'b__up__fail', arguments: {} })).rejects.toMatchObject({
        code: -32050,
        data: { reason: 'test', detail: 42 },
      });
      expect(builtByA).toEqual([]);
      expect(builtByB).toEqual([]);

      // MCP 2026-07-28: closing the response cancels; A closes its request to B, B cancels upstream.
      const controller = new AbortController();
      const slow = client.callTool(
        { name: 'b__up__slow', arguments: { ms: 10_000 } },
        { signal: controller.signal, timeout: 30_000 },
      );
      await vi.waitFor(() => expect(arrived).toContain('slow'), { timeout: 10_000 });
      controller.abort('stop');
      await expect(slow).rejects.toThrow();
      await vi.waitFor(() => expect(state.cancelled).toBe(1), { timeout: 10_000 });
      expect(builtByA).toEqual([]);
      expect(builtByB).toEqual([]);

      const progress: number[] = [];
      await client.callTool(
        { name: 'b__up__progress', arguments: { steps: 2 } },
        { onprogress: (update) => void progress.push(update.progress) },
      );
      expect(progress).toEqual([1, 2]);
      expect(builtByA).toEqual(['b__up__progress']); // a call with progress takes the SDK path
    } finally {
      await client.close();
    }
  }, 60_000);

  it("runs an interactive client's first round on both hubs' fast paths, and its question's retry resumes the call through both", async () => {
    await using pair = await startPeerPair(undefined, []);
    const { urlA, builtByA, builtByB } = pair;

    const client = new Client(
      { name: 'user', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: INTERACTIVE },
    );
    const sampled: string[] = [];
    client.setRequestHandler('roots/list', async () => ({ roots: [] }));
    client.setRequestHandler('sampling/createMessage', async (request) => {
      const content = request.params.messages[0]?.content as { text?: string } | undefined;
      sampled.push(String(content?.text));
      return {
        model: 'test-model',
        role: 'assistant' as const,
        content: { type: 'text' as const, text: 'user-answer' },
      };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${urlA}/mcp`)));
    try {
      expect(
        textOf(await client.callTool({ name: 'b__up__echo', arguments: { text: 'hop' } })),
      ).toBe('up:hop');
      expect(builtByA).toEqual([]);
      expect(builtByB).toEqual([]);
      // B's upstream asks; the question reaches the user through A, and the answer goes back.
      expect(
        textOf(await client.callTool({ name: 'b__up__sample', arguments: { prompt: 'p' } })),
      ).toBe('sampled:user-answer');
      expect(sampled).toEqual(['p']);
      // Only the retries took the SDK path, one on each hub.
      expect(builtByA).toEqual(['b__up__sample']);
      expect(builtByB).toEqual(['up__sample']);
    } finally {
      await client.close();
    }
  }, 60_000);
});
