/**
 * Requests to a peer do not follow redirects (`redirect: 'error'`, which also spares Node's fetch
 * a clone of every request body): a peer token never reaches where a redirect points, and the
 * connection fails with an error that names the peer.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { silentLogger } from '@fedmcp/protocol';
import { createHubKeyring, generateHubKey } from '@fedmcp/proxy-auth';
import { ResultSchema } from '@modelcontextprotocol/core';
import { describe, expect, it } from 'vitest';
import { PLAIN_CALL_META_KEY } from '../handlers/caller-capabilities.js';
import { createPeerConnector } from './create-peer-connector.js';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('createPeerConnector', () => {
  it('does not follow a redirect of a peer, and says so', async () => {
    const elsewhere: Array<string | undefined> = [];
    const target = createServer((request, response) => {
      elsewhere.push(request.headers.authorization);
      response.writeHead(404).end();
    });
    const targetUrl = await listen(target);
    const redirecting = createServer((_request, response) => {
      response.writeHead(307, { location: `${targetUrl}/mcp` }).end();
    });
    const peerUrl = await listen(redirecting);
    try {
      const keyring = await createHubKeyring({ keys: [await generateHubKey()] });
      const connect = createPeerConnector({
        peers: () => ({ b: { url: peerUrl } }),
        hubId: () => 'a',
        keyring: async () => keyring,
      });
      const connecting = connect(
        { url: `${peerUrl}/mcp` },
        {
          clientInfo: { name: 'a', version: '1.0.0' },
          capabilities: {},
          configure: () => {},
          timeoutMs: 10_000,
          logger: silentLogger,
          verdictCache: new Map(),
        },
      );
      await expect(connecting).rejects.toThrow(/Peer b answered with a redirect/);
      expect(elsewhere).toEqual([]);
    } finally {
      await close(redirecting);
      await close(target);
    }
  });

  it("does not follow a redirect of a peer's answer to a direct plain call either", async () => {
    const elsewhere: Array<string | undefined> = [];
    const target = createServer((request, response) => {
      elsewhere.push(request.headers.authorization);
      response.writeHead(404).end();
    });
    const targetUrl = await listen(target);
    const methods: string[] = [];
    // A 2026-07-28 peer that answers its discovery, then redirects every call.
    const redirecting = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        const message = JSON.parse(body || '{}') as { id?: unknown; method?: string };
        methods.push(String(message.method));
        if (message.method !== 'server/discover') {
          response.writeHead(307, { location: `${targetUrl}/mcp` }).end();
          return;
        }
        const result = {
          resultType: 'complete',
          supportedVersions: ['2026-07-28'],
          capabilities: { tools: {} },
          serverInfo: { name: 'b', version: '1.0.0' },
        };
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
      });
    });
    const peerUrl = await listen(redirecting);
    try {
      const keyring = await createHubKeyring({ keys: [await generateHubKey()] });
      const connect = createPeerConnector({
        peers: () => ({ b: { url: peerUrl } }),
        hubId: () => 'a',
        keyring: async () => keyring,
      });
      const client = await connect(
        { url: `${peerUrl}/mcp` },
        {
          clientInfo: { name: 'a', version: '1.0.0' },
          capabilities: {},
          configure: () => {},
          timeoutMs: 10_000,
          logger: silentLogger,
          verdictCache: new Map(),
        },
      );
      try {
        const params = { name: 'echo', arguments: {}, _meta: { [PLAIN_CALL_META_KEY]: true } };
        await expect(
          client.request({ method: 'tools/call', params }, ResultSchema, { timeout: 10_000 }),
        ).rejects.toThrow(/Peer b answered with a redirect/);
        expect(methods.at(-1)).toBe('tools/call');
        expect(elsewhere).toEqual([]);
      } finally {
        await client.close();
      }
    } finally {
      await close(redirecting);
      await close(target);
    }
  });
});
