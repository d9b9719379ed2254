/**
 * `isolation: 'per-principal'` (issue #19): each authenticated caller gets its own upstream
 * connection, opened with its own credentials and asked its own roots, never another caller's;
 * idle ones are closed.
 */
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, type ListRootsResult, Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { textOf } from '../../test/helpers.js';
import { createHub, type Hub } from '../index.js';

/** An upstream that asks the roots once at start-up and tells who it is talking to. */
function whoamiServer(authorization: string | null): Server {
  const server = new Server({ name: 'who', version: '1.0.0' }, { capabilities: { tools: {} } });
  let roots: Promise<ListRootsResult | string> = Promise.resolve('not asked');
  server.oninitialized = () => {
    roots = server.listRoots().catch((error: unknown) => String(error));
  };
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'whoami', inputSchema: { type: 'object' } }],
  }));
  server.setRequestHandler('tools/call', async () => {
    const answer = await roots;
    const uris = typeof answer === 'string' ? answer : answer.roots.map((root) => root.uri);
    return { content: [{ type: 'text', text: JSON.stringify({ authorization, roots: uris }) }] };
  });
  return server;
}

const principal = (subject: string) => ({
  subject,
  issuer: 'https://idp.example',
  groups: [],
  scopes: [],
  authMethod: 'oauth',
});

/** A 2025-era client of `subject` that declares the root `file:///home/<subject>`. */
async function userClient(hub: Hub, subject: string): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await hub
    .createServer({ era: 'legacy', transport: 'in-memory', principal: principal(subject) })
    .connect(serverSide);
  const client = new Client({ name: subject, version: '1.0.0' }, { capabilities: { roots: {} } });
  client.setRequestHandler('roots/list', () => ({
    roots: [{ uri: `file:///home/${subject}`, name: subject }],
  }));
  await client.connect(clientSide);
  return client;
}

describe("isolation: 'per-principal'", () => {
  it("gives each caller its own connection, credentials and roots, never another's", async () => {
    await using upstreamHost = createMcpHttpHost({
      port: 0,
      createServer: (context) => whoamiServer(context.headers?.get('authorization') ?? null),
    });
    const { url } = await upstreamHost.listen();
    await using hub = createHub({
      upstreams: {
        who: {
          // Legacy HTTP+SSE: a 2025-era session, whose server asks the roots once it starts.
          url: `${url}/sse`,
          type: 'sse',
          isolation: 'per-principal',
          credentials: async (caller) => ({
            headers: {
              authorization: `Bearer token-of-${(caller as { subject: string }).subject}`,
            },
          }),
        },
      },
      healthIntervalMs: 50,
      idleConnectionMs: 200,
    });
    await hub.start();
    const alice = await userClient(hub, 'alice');
    const bob = await userClient(hub, 'bob');
    const whoami = async (client: Client) =>
      JSON.parse(textOf(await client.callTool({ name: 'who__whoami', arguments: {} })));
    // Concurrently: each caller's own connection opens with its own credentials.
    const [asAlice, asBob] = await Promise.all([whoami(alice), whoami(bob)]);
    expect(asAlice).toEqual({
      authorization: 'Bearer token-of-alice',
      roots: ['file:///home/alice'],
    });
    expect(asBob).toEqual({ authorization: 'Bearer token-of-bob', roots: ['file:///home/bob'] });
    // The same connection serves a caller's next call: no new start-up, same roots.
    expect(await whoami(alice)).toEqual(asAlice);
    expect(hub.upstreams.list()[0]?.connections).toBe(3); // the hub's own + one per caller
    // Idle callers' connections are closed; the hub's own stays.
    await expect
      .poll(() => hub.upstreams.list()[0]?.connections, { timeout: 15_000, interval: 50 })
      .toBe(1);
    expect(await whoami(bob)).toEqual(asBob);
    await alice.close();
    await bob.close();
  });
});
