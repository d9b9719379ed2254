/**
 * A 2025-era session's `tools/list` on the fast path: the cached page is serialised once and sent
 * as its bytes, with the request's own id (of each kind) and its exact `Content-Length`; a list
 * changed upstream is listed anew.
 */
import { createHubServer } from '@fedmcp/federation/node';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { describe, expect, it, vi } from 'vitest';
import type { UpstreamConnector } from '../upstream-options.js';

/** A real SDK server whose tool list can grow, telling its client with `list_changed`. */
function growingUpstream(names: string[]) {
  const tools = names.map((name) => ({ name, inputSchema: { type: 'object' as const } }));
  const servers = new Set<Server>();
  return {
    connect(): Server {
      const server = new Server(
        { name: 'growing', version: '1.0.0' },
        { capabilities: { tools: { listChanged: true } } },
      );
      server.setRequestHandler('tools/list', () => ({ tools: [...tools] }));
      servers.add(server);
      return server;
    },
    async add(name: string) {
      tools.push({ name, inputSchema: { type: 'object' } });
      for (const server of servers) await server.sendToolListChanged();
    },
  };
}

function inMemoryConnector(create: () => Server): UpstreamConnector {
  return async (_spec, options) => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await create().connect(serverSide);
    const client = new Client(options.clientInfo, { capabilities: options.capabilities });
    options.configure(client);
    await client.connect(clientSide);
    return client;
  };
}

const headers = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

/** Opens a 2025-11-25 session over raw HTTP; returns its POST. */
async function legacySession(url: string) {
  const opened = await fetch(`${url}/mcp`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1.0.0' },
      },
    }),
  });
  expect(opened.status).toBe(200);
  await opened.text();
  const sessionId = opened.headers.get('mcp-session-id') ?? '';
  expect(sessionId).not.toBe('');
  const post = (message: unknown) =>
    fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify(message),
    });
  const initialized = await post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  expect(initialized.status).toBe(202);
  await initialized.text();
  return post;
}

describe('the 2025-era tools/list fast path', () => {
  it('sends the page serialised once, with the request’s own id and its exact length', async () => {
    const growing = growingUpstream(['one']);
    await using server = await createHubServer({
      hubId: 'home',
      upstreams: { grow: { url: 'memory://grow' } },
      connect: inMemoryConnector(() => growing.connect()),
      hub: { healthIntervalMs: 0 },
    });
    const { url } = await server.listen();
    const post = await legacySession(url);
    const list = async (id: unknown, cursor?: string) => {
      const params = cursor === undefined ? {} : { params: { cursor } };
      const response = await post({ jsonrpc: '2.0', id, method: 'tools/list', ...params });
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
      const text = bytes.toString('utf8');
      return { text, body: JSON.parse(text) as Record<string, unknown> };
    };

    const ids = [7, 0, -3, 1.5, 'abc', '', 'ünï✓"\\'];
    const answers = [];
    for (const id of ids) answers.push(await list(id));
    for (const [index, { body }] of answers.entries()) {
      expect(body).toEqual({
        result: { tools: [{ name: 'grow__one', inputSchema: { type: 'object' } }] },
        jsonrpc: '2.0',
        id: ids[index],
      });
    }
    // One page's bytes, whatever the id: the SDK's key order, the id last.
    const prefix = answers[0]?.text.slice(0, answers[0].text.lastIndexOf('"id":'));
    expect(prefix).toBe(
      '{"result":{"tools":[{"name":"grow__one","inputSchema":{"type":"object"}}]},"jsonrpc":"2.0",',
    );
    for (const { text } of answers) expect(text.startsWith(prefix ?? '')).toBe(true);

    // A cursor the hub did not issue: a JSON-RPC error with the request's id.
    expect((await list('bad', 'nope')).body).toMatchObject({ id: 'bad', error: { code: -32602 } });

    // A list_changed upstream: the next listing is the new list (the bytes went with the page).
    await growing.add('two');
    await vi.waitFor(
      async () => {
        const { body } = await list('fresh');
        const tools = (body.result as { tools: Array<{ name: string }> }).tools;
        expect(tools.map((tool) => tool.name)).toEqual(['grow__one', 'grow__two']);
        expect(body.id).toBe('fresh');
      },
      { timeout: 10_000 },
    );
  }, 60_000);
});
