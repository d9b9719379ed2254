/**
 * The hub's own `server/discover` (and `initialize`) instructions respect what the client may
 * see: a session on a view, or a caller the access hook hides an upstream from, gets no
 * instructions of that upstream — checked with 2026-07-28 clients reading `server/discover` and
 * a 2025-era client reading `initialize`.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createMcpHandler, InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { memoryConnector } from '../../test/helpers.js';
import { createHub, type Hub, type HubSessionContext } from '../index.js';

function upstream(name: string, instructions: string): () => Server {
  return () => {
    const server = new Server(
      { name, version: '1.0.0' },
      { capabilities: { tools: {} }, instructions },
    );
    server.setRequestHandler('tools/list', () => ({
      tools: [{ name: `${name}_tool`, inputSchema: { type: 'object' } }],
    }));
    return server;
  };
}

/** The instructions a 2026-07-28 client finds in the hub's `server/discover` answer. */
async function discoveredInstructions(hub: Hub, context: HubSessionContext) {
  const handler = createMcpHandler(
    (sdk) => hub.createServer({ ...context, era: sdk.era === 'legacy' ? 'legacy' : 'modern' }),
    { legacy: 'reject', bus: hub.bus },
  );
  const client = new Client(
    { name: 'modern', version: '1.0.0' },
    { versionNegotiation: { mode: { pin: '2026-07-28' } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL('http://hub.test/mcp'), {
      fetch: (url, init) => handler.fetch(new Request(url, init)),
    }),
  );
  const instructions = client.getDiscoverResult()?.instructions;
  await client.close();
  await handler.close();
  return instructions;
}

describe('the hub’s discover instructions', () => {
  it('hold only the upstreams a session may use through its view and the access hook', async () => {
    await using hub = createHub({
      instructions: 'Hub tips.',
      connect: memoryConnector({
        docs: upstream('docs', 'Docs tips.'),
        admin: upstream('admin', 'Admin tips.'),
      }),
      upstreams: { docs: { url: 'memory://docs' }, admin: { url: 'memory://admin' } },
      views: { reading: { include: { upstreams: ['docs'] } } },
      access: {
        // Bob sees nothing of `admin`.
        visible: (principal, _action, _target, item) =>
          !((principal as { subject?: string }).subject === 'bob' && item.upstream === 'admin'),
      },
      healthIntervalMs: 0,
    });
    await hub.start();
    const alice = { subject: 'alice', authMethod: 'oauth' };
    const bob = { subject: 'bob', authMethod: 'oauth' };
    const everything = await discoveredInstructions(hub, { principal: alice });
    expect(everything).toBe('Hub tips.\n\n## docs\nDocs tips.\n\n## admin\nAdmin tips.');
    expect(await discoveredInstructions(hub, { principal: bob })).toBe(
      'Hub tips.\n\n## docs\nDocs tips.',
    );
    expect(await discoveredInstructions(hub, { principal: alice, view: 'reading' })).toBe(
      'Hub tips.\n\n## docs\nDocs tips.',
    );
    // Asked again (served from the cache): the same answers, still per caller.
    expect(await discoveredInstructions(hub, { principal: alice })).toBe(everything);
    expect(await discoveredInstructions(hub, { principal: bob })).not.toContain('Admin');

    // A 2025-era session of bob: the same at initialize.
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await hub
      .createServer({ era: 'legacy', transport: 'in-memory', principal: bob })
      .connect(serverSide);
    const legacy = new Client({ name: 'legacy', version: '1.0.0' });
    await legacy.connect(clientSide);
    expect(legacy.getInstructions()).toBe('Hub tips.\n\n## docs\nDocs tips.');
    await legacy.close();
  });
});
