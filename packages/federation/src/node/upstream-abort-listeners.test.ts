/**
 * Issue #18: thousands of calls through a hub to an HTTP upstream must not pile abort listeners on
 * one long-lived AbortSignal (Node printed `MaxListenersExceededWarning: Possible EventTarget
 * memory leak detected. 1501 abort listeners added to [AbortSignal]` under load).
 */
import { createHubServer } from '@fedmcp/federation/node';
import {
  Client,
  type FetchLike,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { createTestUpstream } from '../../test/fixtures/test-upstream.js';
import { memoryConnector, textOf } from '../../test/helpers.js';

describe('many calls through a hub to an HTTP upstream', () => {
  it('print no MaxListenersExceededWarning', async () => {
    await using upstream = await createHubServer({
      hubId: 'up',
      connect: memoryConnector({ up: () => createTestUpstream({ name: 'up' }).server }),
      upstreams: { up: { url: 'memory://up' } },
    });
    const upstreamUrl = (await upstream.listen()).url;
    await using hub = await createHubServer({
      hubId: 'hub',
      upstreams: { remote: { url: `${upstreamUrl}/mcp` } },
    });
    const hubUrl = (await hub.listen()).url;
    const client = new Client(
      { name: 'load', version: '1.0.0' },
      { versionNegotiation: { mode: 'legacy' } },
    );
    // The test's own client must not warn either: the SDK transport hands its long-lived signal to
    // every fetch, so each request gets a signal of its own that follows it.
    const fetch: FetchLike = (url, init) =>
      globalThis.fetch(url, {
        ...init,
        ...(init?.signal && { signal: AbortSignal.any([init.signal]) }),
      });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${hubUrl}/mcp`), { fetch }));
    const warnings: string[] = [];
    const onWarning = (warning: Error) =>
      void warnings.push(`${warning.name}: ${warning.message}\n${warning.stack}`);
    process.on('warning', onWarning);
    try {
      let next = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (next < 4000) {
            const text = `call ${next++}`;
            const result = await client.callTool({ name: 'remote__up__echo', arguments: { text } });
            expect(textOf(result)).toBe(`up:${text}`);
          }
        }),
      );
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on next tick
    } finally {
      process.off('warning', onWarning);
      await client.close();
    }
    expect(warnings.filter((warning) => warning.includes('MaxListeners'))).toEqual([]);
  }, 300_000);
});
