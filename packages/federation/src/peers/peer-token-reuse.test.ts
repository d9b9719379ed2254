import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { describe, expect, it, vi } from 'vitest';
import type { HubAccess } from '../hub-access.js';
import { createHubServer } from '../node/create-hub-server.js';
import type { UpstreamConnector } from '../upstream-options.js';

/** The claims of a JWT, unverified (the receiving hub verified it). */
function decodeJwt(token: string): Record<string, unknown> {
  const payload = (token.split('.')[1] ?? '').replaceAll('-', '+').replaceAll('_', '/');
  return JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '=')));
}

const echoConnector: UpstreamConnector = async (_spec, options) => {
  const server = new Server({ name: 'echo', version: '1.0.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler('tools/list', () => ({
    tools: [{ name: 'echo', inputSchema: { type: 'object' } }],
  }));
  server.setRequestHandler('tools/call', (request) => ({
    content: [{ type: 'text', text: String(request.params.arguments?.text ?? '') }],
  }));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client(options.clientInfo, { capabilities: options.capabilities });
  options.configure(client);
  await client.connect(clientSide);
  return client;
};

// The receiving hub lets everyone (the calling hub included) list and call everything.
const allowAll: HubAccess = { check: () => ({ kind: 'allow' }), visible: () => true };

describe('peer tokens between running hubs (2026-07-28 hops)', () => {
  it('a hub sends one reusable token for many calls of one end user, and the peer accepts each', async () => {
    const sent: Array<{
      method: string;
      id: unknown;
      protocolVersion: string | null;
      token: string;
    }> = [];
    await using b = await createHubServer({
      hubId: 'b',
      upstreams: { echo: { url: 'memory://echo' } },
      connect: echoConnector,
      hub: { healthIntervalMs: 0, access: allowAll },
    });
    const bUrl = (await b.listen()).url.replace(/\/(mcp)?$/, '');
    await using a = await createHubServer({
      hubId: 'a',
      hub: { healthIntervalMs: 0 },
      // What hub a sends to b (the peer connector's fetch, under the peer token fetch).
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers);
        const authorization = headers.get('authorization');
        if (authorization && typeof init?.body === 'string') {
          sent.push({
            method: String(JSON.parse(init.body).method),
            id: JSON.parse(init.body).id,
            protocolVersion: headers.get('mcp-protocol-version'),
            token: authorization.slice('Bearer '.length),
          });
        }
        return fetch(input, init);
      },
    });
    const aUrl = (await a.listen()).url.replace(/\/(mcp)?$/, '');
    await b.setPeers({ a: { url: aUrl, import: false } });
    await a.setPeers({ b: { url: bUrl } });

    const client = new Client({ name: 'user', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${aUrl}/mcp`)));
    try {
      await vi.waitFor(
        async () => {
          const result = await client.callTool({ name: 'b__echo__echo', arguments: { text: '0' } });
          expect(result.content).toEqual([{ type: 'text', text: '0' }]);
        },
        { timeout: 15_000 },
      );
      const before = sent.length;
      // Each call at b is answered on its 2026-07-28 fast path: no SDK server built per request.
      const serversBuilt = vi.spyOn(b.hub, 'createServer');
      for (let index = 1; index <= 5; index += 1) {
        const result = await client.callTool({
          name: 'b__echo__echo',
          arguments: { text: String(index) },
        });
        expect(result.content).toEqual([{ type: 'text', text: String(index) }]);
      }
      expect(serversBuilt).not.toHaveBeenCalled();
      const calls = sent.slice(before).filter((request) => request.method === 'tools/call');
      expect(calls).toHaveLength(5);
      // Stateless hops: no session to bind a token to, and yet one token for all five calls.
      expect(new Set(calls.map((request) => request.protocolVersion))).toEqual(
        new Set(['2026-07-28']),
      );
      expect(new Set(calls.map((request) => request.token)).size).toBe(1);
      // Sent by the hub itself, not through the SDK client (direct-peer-calls.ts).
      for (const request of calls) expect(String(request.id)).toMatch(/^fedmcp-peer-\d+$/);
      expect(decodeJwt(calls[0]!.token)).toMatchObject({
        iss: 'a',
        aud: 'b',
        act: { sub: 'a' },
        reusable: true,
      });
    } finally {
      await client.close();
    }
  });
});
