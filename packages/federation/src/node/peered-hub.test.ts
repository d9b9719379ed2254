/**
 * A library user builds a peered hub with `@fedmcp/federation` alone: two hubs on 127.0.0.1,
 * hub A with hub B as a peer upstream, each serving its discovery document and JWKS; a client of
 * A calls a tool of B's upstream through the peer link, with peer tokens A signs and B verifies
 * against the JWKS it fetches from A.
 */

import { createHubServer, type HubServer } from '@fedmcp/federation/node';
import { parseDiscoveryDocument } from '@fedmcp/protocol';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { stdioFixture } from '../../test/node-helpers.js';

async function connectClient(url: string): Promise<Client & AsyncDisposable> {
  const client = new Client({ name: 'user', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return Object.assign(client, { [Symbol.asyncDispose]: () => client.close() });
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.json();
}

async function expectDiscovery(server: HubServer, hubId: string): Promise<void> {
  const url = server.url ?? '';
  const document = parseDiscoveryDocument(await getJson(`${url}/.well-known/mcp-federation`));
  expect(document).toMatchObject({
    hubId,
    endpoint: `${url}/mcp`,
    jwksUri: `${url}/.well-known/jwks.json`,
  });
  const jwks = await getJson(document.jwksUri);
  expect(jwks).toEqual((await server.identity.keyring()).jwks());
  expect((jwks as { keys: unknown[] }).keys).toHaveLength(1);
}

describe('a peered hub built with @fedmcp/federation', () => {
  it('serves discovery and JWKS, and a client of A calls a tool of B through the peer link', async () => {
    // B records what it fetches (a real fetch): the keys it verifies A's tokens with.
    const fetchedByB: string[] = [];
    const recordingFetch: typeof fetch = (input, init) => {
      fetchedByB.push(input instanceof Request ? input.url : String(input));
      return fetch(input, init);
    };
    await using b = await createHubServer({
      hubId: 'b',
      upstreams: { echo: stdioFixture('echo') },
      fetch: recordingFetch,
    });
    await using a = await createHubServer({ hubId: 'a' });
    const urlA = (await a.listen()).url;
    const urlB = (await b.listen()).url;
    expect(new URL(urlA).hostname).toBe('127.0.0.1');
    await expectDiscovery(a, 'a');
    await expectDiscovery(b, 'b');

    expect(await b.setPeers({ a: { url: urlA, import: false } })).toEqual({
      added: [],
      removed: [],
      changed: [],
    });
    expect(await a.setPeers({ b: { url: urlB } })).toEqual({
      added: ['b'],
      removed: [],
      changed: [],
    });
    expect(a.hub.upstreams.list()).toMatchObject([{ id: 'b', state: 'ready' }]);
    expect(fetchedByB).toContain(`${urlA}/.well-known/jwks.json`);

    await using client = await connectClient(urlA);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('b__echo__echo');
    const result = await client.callTool({ name: 'b__echo__echo', arguments: { text: 'hi' } });
    expect(result.content).toEqual([{ type: 'text', text: 'echo:hi' }]);

    // A's /status carries B's own status, fetched with A's peer token.
    const status = (await getJson(`${urlA}/status`)) as { upstreams: unknown[] };
    expect(status.upstreams).toMatchObject([
      {
        id: 'b',
        kind: 'peer',
        state: 'ready',
        peer: { reachable: true, status: { hub: { id: 'b' } } },
      },
    ]);
  }, 30_000);

  it('B refuses a hub that claims to be A but signs with other keys', async () => {
    await using b = await createHubServer({
      hubId: 'b',
      upstreams: { echo: stdioFixture('echo') },
    });
    await using a = await createHubServer({ hubId: 'a' });
    await using mallory = await createHubServer({ hubId: 'a' });
    const urlA = (await a.listen()).url;
    const urlB = (await b.listen()).url;
    await mallory.listen();
    await b.setPeers({ a: { url: urlA, import: false } });
    await mallory.setPeers({ b: { url: urlB } });
    const [upstream] = mallory.hub.upstreams.list();
    expect(upstream).toMatchObject({ id: 'b', tools: 0 });
    expect(upstream?.state).not.toBe('ready');
    expect(upstream?.error).toMatch(/401/);
  }, 30_000);
});
