/**
 * Interactive calls on the SDK path (no fast path: `createMcpHttpHost` without `fastRequest`), a
 * real 2025-era client and a stdio upstream: a quiet tool's calls share the upstream's process
 * instead of each holding a connection alone, and a tool's question still reaches the client.
 */
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { expectQuietCallsShareOneProcess } from '../../test/fixtures/quiet-sharing.js';
import { INTERACTIVE, textOf } from '../../test/helpers.js';
import { stdioFixture } from '../../test/node-helpers.js';
import { createHub } from '../node/index.js';

async function startHub(maxConnections: number) {
  const hub = createHub({
    upstreams: { up: { ...stdioFixture('up'), timeoutMs: 30_000, maxConnections } },
    healthIntervalMs: 0,
  });
  await hub.start();
  // No fastRequest: every tools/call runs the SDK handler, an interactive one as a flow.
  const host = createMcpHttpHost({ createServer: hub.createServer, port: 0, bus: hub.bus });
  const { url } = await host.listen();
  return {
    url,
    async [Symbol.asyncDispose]() {
      await host.close();
      await hub.close();
    },
  };
}

describe('interactive calls on the SDK path', () => {
  it("runs a quiet tool's concurrent calls on the shared process, and still relays a question", async () => {
    await using hub = await startHub(4);
    const client = new Client({ name: 'alice', version: '1.0.0' }, { capabilities: INTERACTIVE });
    client.setRequestHandler('roots/list', async () => ({ roots: [] }));
    client.setRequestHandler('sampling/createMessage', async () => ({
      model: 'test-model',
      role: 'assistant' as const,
      content: { type: 'text' as const, text: 'alice-answer' },
    }));
    await client.connect(new StreamableHTTPClientTransport(new URL(`${hub.url}/mcp`)));
    try {
      const call = async (name: string, args: Record<string, unknown> = {}) =>
        textOf(await client.callTool({ name: `up__${name}`, arguments: args }));
      // Both tools answer QUIET_CALLS times without a question, then calls made while others are
      // in flight join the shared process (before, each held a connection of its own).
      const pid = await expectQuietCallsShareOneProcess(call);
      // A tool that asks still reaches its client mid-call, and the quiet tools still answer.
      expect(await call('sample', { prompt: 'p1' })).toBe('sampled:alice-answer');
      expect(await call('sample', { prompt: 'p2' })).toBe('sampled:alice-answer');
      expect(await call('pid')).toBe(pid);
    } finally {
      await client.close();
    }
  }, 60_000);
});
