/**
 * The 2026-07-28 fast path's cancellation: a plain call to a 2025-era upstream is relayed with the
 * host's `cancellation` (no `AbortSignal` built per call), and a client that goes away before the
 * answer (MCP 2026-07-28 cancels a request on HTTP by closing its response stream) still cancels
 * the call upstream.
 */
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it, vi } from 'vitest';
import { freshState } from '../../test/fixtures/direct-upstream.js';
import { createTestUpstream } from '../../test/fixtures/test-upstream.js';
import { type ExtraReads, memoryConnector, textOf, watchReads } from '../../test/helpers.js';
import { createHub } from '../node/index.js';

const modern = { versionNegotiation: { mode: { pin: '2026-07-28' as const } } };

describe('the 2026-07-28 fast path', () => {
  it('cancels upstream through the host cancellation, building no AbortSignal per call', async () => {
    const state = freshState();
    await using hub = createHub({
      connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }, state).server }),
      upstreams: { up: { url: 'memory://up' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const reads: ExtraReads = { signal: 0, cancellation: 0 };
    let offered = 0;
    const host = createMcpHttpHost({
      createServer: hub.createServer,
      // The hub's 2026-07-28 fast path, told how often it reads the signal and the cancellation.
      modernFastRequest: (message, extra) => {
        offered += 1;
        return hub.modernFastRequest(message, watchReads(extra, reads));
      },
      port: 0,
      bus: hub.bus,
    });
    const { url } = await host.listen();
    const client = new Client({ name: 'plain', version: '1.0.0' }, modern);
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    try {
      for (const text of ['a', 'b']) {
        expect(textOf(await client.callTool({ name: 'up__echo', arguments: { text } }))).toBe(
          `up:${text}`,
        );
      }
      expect(offered).toBe(2);
      const read = reads.cancellation;
      expect(read).toBe(2);
      const controller = new AbortController();
      const slow = client.callTool(
        { name: 'up__slow', arguments: { ms: 10_000 } },
        { signal: controller.signal, timeout: 30_000 },
      );
      // The slow call is upstream (its fast path took the cancellation) before it is cancelled.
      await vi.waitFor(() => expect(reads.cancellation).toBeGreaterThan(read), { timeout: 10_000 });
      controller.abort('stop');
      await expect(slow).rejects.toThrow();
      // The hub cancels the call upstream (MCP 2025-11-25 basic/utilities/cancellation).
      await vi.waitFor(() => expect(state.cancelled).toBe(1), { timeout: 10_000 });
      expect(reads.signal).toBe(0);
    } finally {
      await client.close();
      await host.close();
    }
  });
});
