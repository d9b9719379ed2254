/**
 * 2026-07-28 cache hints (`ttlMs`, `cacheScope`) through the hub: a read keeps its upstream's
 * lifetime, but never leaves the hub as `public` — the hub answers each principal under its own
 * policy (and per-principal upstreams answer per user), so no cache may share it across users.
 */
import { Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { connectModernClient, modernConnector } from '../test/helpers.js';
import { createHub } from './index.js';

function cachingUpstream(): Server {
  const server = new Server(
    { name: 'docs', version: '1.0.0' },
    { capabilities: { resources: {} } },
  );
  server.setRequestHandler('resources/list', () => ({
    resources: [{ uri: 'docs://guide', name: 'guide' }],
  }));
  server.setRequestHandler('resources/read', (request) => ({
    contents: [{ uri: request.params.uri, text: 'the guide' }],
    ttlMs: 60_000,
    cacheScope: 'public' as const,
  }));
  return server;
}

describe('cache hints through the hub', () => {
  it('keeps a read’s ttlMs, makes its cacheScope private, and lists privately', async () => {
    await using hub = createHub({
      connect: modernConnector({ docs: () => cachingUpstream() }),
      upstreams: { docs: { url: 'memory://docs' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const { client, close } = await connectModernClient(hub);
    const listed = (await client.listResources()) as Record<string, unknown> & {
      resources: Array<{ uri: string }>;
    };
    // A merged list is the hub's own: never shared across users.
    expect(listed.cacheScope).toBe('private');
    const { resources } = listed;
    const uri = resources[0]?.uri ?? '';
    const read = (await client.readResource({ uri })) as Record<string, unknown>;
    expect(read.contents).toMatchObject([{ text: 'the guide' }]);
    expect(read).toMatchObject({ ttlMs: 60_000, cacheScope: 'private' });
    await close();
  });
});
