// A progress notification an upstream delivers more than once (a resumed SSE stream replaying
// events the hub already had: server-everything's event store replays every event after the
// `Last-Event-ID`, of all the session's streams) reaches the client once. MCP 2025-11-25
// basic/utilities/progress: "The progress value MUST increase with each notification", so the
// hub relays a call's progress only when it increases. A client of either era, plain or able to
// answer questions (the SDK path's interactive flow), gets [1, 2], not [1, 1, 1, 2].
import type { Client } from '@modelcontextprotocol/client';
import { type CallToolResult, type ClientCapabilities, Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createHub, type Hub } from '../src/index.js';
import {
  connectLegacyClient,
  connectModernClient,
  INTERACTIVE,
  memoryConnector,
  textOf,
} from './helpers.js';

/** An upstream whose `replayed` tool sends progress 1 three times (as a replay would), then 2. */
function replayingUpstream(): Server {
  const server = new Server({ name: 'up', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'replayed', inputSchema: { type: 'object' as const } }],
  }));
  server.setRequestHandler('tools/call', async (request, ctx): Promise<CallToolResult> => {
    const progressToken = request.params._meta?.progressToken;
    if (progressToken !== undefined) {
      for (const progress of [1, 1, 1, 2]) {
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken, progress, total: 2 },
        });
        // Paced: SDK 2.4.0 drops progress read in the same tick as the result.
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    return { content: [{ type: 'text', text: 'replayed' }] };
  });
  return server;
}

let hub: Hub | undefined;
afterEach(async () => {
  await hub?.close();
  hub = undefined;
});

async function callWithProgress(client: Client): Promise<number[]> {
  const progress: number[] = [];
  const result = await client.callTool(
    { name: 'up__replayed', arguments: {} },
    { onprogress: (update) => progress.push(update.progress) },
  );
  expect(textOf(result)).toBe('replayed');
  return progress;
}

describe('progress an upstream repeats', () => {
  const clients: Array<[string, ClientCapabilities]> = [
    ['a plain', {}],
    ['an interactive', INTERACTIVE],
  ];
  for (const [kind, capabilities] of clients) {
    it(`reaches ${kind} 2025-era and 2026-07-28 client once per value`, async () => {
      hub = createHub({
        connect: memoryConnector({ up: replayingUpstream }),
        upstreams: { up: { url: 'memory://up' } },
        healthIntervalMs: 0,
      });
      await hub.start();
      const legacy = await connectLegacyClient(hub, capabilities);
      try {
        expect(await callWithProgress(legacy)).toEqual([1, 2]);
      } finally {
        await legacy.close();
      }
      const modern = await connectModernClient(hub, capabilities);
      try {
        expect(await callWithProgress(modern.client)).toEqual([1, 2]);
      } finally {
        await modern.close();
      }
    }, 30_000);
  }
});
