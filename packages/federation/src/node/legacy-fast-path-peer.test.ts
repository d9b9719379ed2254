/**
 * A 2025-era client's plain call of a peer hub's tool takes the first hub's fast path (issue #18):
 * hub A relays it to hub B (2026-07-28 between hubs) through B's SDK client and answers it as one
 * JSON response, without running the SDK handler; errors keep their code and data, and a client
 * that can answer questions, or a call with a progress token, still takes the SDK path (an SSE
 * answer) and gets what it asked for.
 */
import { createHubServer } from '@fedmcp/federation/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import { createTestUpstream } from '../../test/fixtures/test-upstream.js';
import { INTERACTIVE, memoryConnector, textOf } from '../../test/helpers.js';

describe("a 2025-era client's call of a peer hub's tool", () => {
  it('takes the first hub’s fast path when plain, the SDK path when it may be asked', async () => {
    await using b = await createHubServer({
      hubId: 'b',
      connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }).server }),
      upstreams: { up: { url: 'memory://up' } },
    });
    await using a = await createHubServer({ hubId: 'a' });
    const urlA = (await a.listen()).url;
    const urlB = (await b.listen()).url;
    await b.setPeers({ a: { url: urlA, import: false } });
    await a.setPeers({ b: { url: urlB } });

    // The content type of each tools/call answer of A: JSON from the fast path, SSE from the SDK's.
    const connect = async (capabilities = {}) => {
      const types: string[] = [];
      const client = new Client(
        { name: 'user', version: '1.0.0' },
        { capabilities, versionNegotiation: { mode: 'legacy' } },
      );
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${urlA}/mcp`), {
          fetch: async (input, init) => {
            const response = await fetch(input, init);
            const body = typeof init?.body === 'string' ? init.body : '';
            if (body.includes('"tools/call"'))
              types.push(response.headers.get('content-type') ?? '');
            return response;
          },
        }),
      );
      return { client, types };
    };
    const plain = await connect();
    const interactive = await connect(INTERACTIVE);
    try {
      await vi.waitFor(
        async () => {
          const { tools } = await plain.client.listTools();
          expect(tools.map((tool) => tool.name)).toContain('b__up__echo');
        },
        { timeout: 15_000 },
      );
      expect(
        textOf(await plain.client.callTool({ name: 'b__up__echo', arguments: { text: 'hop' } })),
      ).toBe('up:hop');
      await expect(
        plain.client.callTool({ name: 'b__up__fail', arguments: {} }),
      ).rejects.toMatchObject({ code: -32050, data: { reason: 'test', detail: 42 } });
      expect(plain.types).toEqual(['application/json', 'application/json']);

      // A progress token: the SDK path relays the progress.
      const progress: unknown[] = [];
      await plain.client.callTool(
        { name: 'b__up__progress', arguments: {} },
        { onprogress: (update) => void progress.push(update) },
      );
      expect(progress.length).toBeGreaterThan(0);
      expect(plain.types[2]).toBe('text/event-stream');

      // A client that may be asked: the SDK path (it leases a connection for the questions).
      expect(
        textOf(
          await interactive.client.callTool({ name: 'b__up__echo', arguments: { text: 'ask' } }),
        ),
      ).toBe('up:ask');
      expect(interactive.types).toEqual(['text/event-stream']);
    } finally {
      await plain.client.close();
      await interactive.client.close();
    }
  }, 60_000);
});
