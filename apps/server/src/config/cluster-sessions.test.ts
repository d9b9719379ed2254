/**
 * `cluster` in the config: two fedmcp servers on one store (a shared sqlite file: two processes'
 * worth of engines in one test) with the same `cluster.secret` serve one SDK v1 session whose
 * requests alternate between them, and refuse an altered id, another user's use of it and a
 * deleted id on both. A bad `cluster` section is refused naming the key.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createFedmcpServer, type FedmcpServer } from '../create-fedmcp-server.js';
import { apiKeyFor, textOf } from '../federation/chain-fixtures.js';
import { parseConfig } from './load-config.js';

const secret = 'a-cluster-secret-for-the-server-test-0123456789';

function createUpstream(): McpServer {
  const server = new McpServer({ name: 'docs', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Echoes a text', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text: `docs: ${text}` }] }),
  );
  return server;
}

describe('config cluster: sessions across fedmcp servers', () => {
  let directory = '';
  const upstream = createMcpHttpHost({ createServer: () => createUpstream() });
  const servers: FedmcpServer[] = [];
  const urls: string[] = [];
  let alice = { key: '', entry: { hash: '', subject: '' } };
  let bob = { key: '', entry: { hash: '', subject: '' } };

  const configFor = (cluster: unknown, store: string, docsUrl: string) => ({
    hub: { host: '127.0.0.1', port: 0, id: 'cluster-sessions' },
    store,
    runtime: false,
    auth: { apiKeys: [alice.entry, bob.entry] },
    mcpServers: { docs: { url: docsUrl, type: 'http' } },
    policy: { rules: [{ id: 'all', effect: 'allow', subjects: ['*'], actions: ['*'] }] },
    cluster,
  });

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-cluster-sessions-'));
    const { url } = await upstream.listen();
    alice = await apiKeyFor('alice');
    bob = await apiKeyFor('bob');
    const store = `sqlite:${join(directory, 'shared.db')}`;
    for (const name of ['a', 'b']) {
      const config = parseConfig(
        configFor({ secret: '${FEDMCP_CLUSTER_SECRET}' }, store, `${url}/mcp`),
        'cluster sessions test',
        { env: { FEDMCP_CLUSTER_SECRET: secret } },
      );
      const server = await createFedmcpServer({ config, baseDirectory: join(directory, name) });
      servers.push(server);
      urls.push(`${(await server.listen()).url}/mcp`);
    }
  }, 60_000);

  afterAll(async () => {
    for (const server of servers) await server.close();
    await upstream.close();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  const ping = (url: string, sessionId: string, key: string) =>
    fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        accept: 'application/json, text/event-stream',
        'content-type': 'application/json',
        'mcp-session-id': sessionId,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'ping' }),
    });

  it('serves one session on both servers and refuses it on both when altered, borrowed or deleted', async () => {
    let next = 0;
    const alternate = (input: string | URL | Request, init?: RequestInit) => {
      const target = urls[next++ % urls.length] ?? '';
      const url = new URL(input instanceof Request ? input.url : String(input));
      return fetch(new URL(`${new URL(target).pathname}${url.search}`, target), init);
    };
    const client = new V1Client({ name: 'alternating', version: '1.0.0' });
    const transport = new V1Transport(new URL(urls[0] ?? ''), {
      fetch: alternate,
      requestInit: { headers: { authorization: `Bearer ${alice.key}` } },
    });
    await client.connect(transport);
    const sessionId = transport.sessionId ?? '';
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('docs__echo');
    for (let round = 0; round < 3; round += 1) {
      const result = await client.callTool({ name: 'docs__echo', arguments: { text: `${round}` } });
      expect(textOf(result)).toBe(`docs: ${round}`);
    }
    expect(next).toBeGreaterThan(4); // both servers answered requests of the session

    const at = sessionId.length - 3;
    const altered = `${sessionId.slice(0, at)}${sessionId[at] === 'A' ? 'B' : 'A'}${sessionId.slice(at + 1)}`;
    for (const url of urls) {
      expect((await ping(url, sessionId, alice.key)).status).toBe(200);
      expect((await ping(url, altered, alice.key)).status).toBe(404);
      expect((await ping(url, sessionId, bob.key)).status).toBe(404);
    }
    await transport.terminateSession();
    // The deletion reaches the other server through the store's pub/sub (sqlite: its poll).
    for (const url of urls) {
      for (let tries = 0; (await ping(url, sessionId, alice.key)).status !== 404; tries += 1) {
        if (tries > 200) throw new Error(`the deleted session is still served at ${url}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect((await ping(url, sessionId, alice.key)).status).toBe(404);
    }
    await client.close();
  }, 60_000);

  it('refuses a bad cluster section naming the key', async () => {
    const parse = (cluster: unknown) =>
      parseConfig(configFor(cluster, 'memory:', 'http://127.0.0.1:1/mcp'), 'bad cluster', {
        env: {},
      });
    expect(() => parse({ secret: 42 })).toThrow(
      /cluster\.secret: expected the shared cluster secret/,
    );
    expect(() => parse({ secret, sessionTtl: 5 })).toThrow(/cluster/);
    expect(() => parse({ secret, sessionTtlMs: -1 })).toThrow(/cluster\.sessionTtlMs/);
    const short = parse({ secret: 'too-short' });
    await expect(
      createFedmcpServer({ config: short, baseDirectory: join(directory, 'short') }),
    ).rejects.toThrow(/cluster\.secret: the cluster secret is 9 characters long/);
    const shortPrevious = parse({ secret, previousSecrets: ['old'] });
    await expect(
      createFedmcpServer({ config: shortPrevious, baseDirectory: join(directory, 'previous') }),
    ).rejects.toThrow(/cluster\.previousSecrets\[0\]/);
  });
});
