/**
 * `createOAuthUpstreamConnector` with `allowedMethods` (issue 21): the shared connection of a
 * per-user OAuth upstream lists its catalog with the hub's token, and answers anything else
 * locally, so no caller's call or read goes out with that token.
 */
import { silentLogger } from '@fedmcp/protocol';
import {
  createMemoryOAuthCredentialStore,
  createUpstreamOAuthProvider,
  oauthCredentialKey,
  upstreamOAuthConfigSchema,
} from '@fedmcp/proxy-auth';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import {
  connectRemoteUpstream,
  createOAuthUpstreamConnector,
  UPSTREAM_CLIENT_CAPABILITIES,
  type UpstreamConnectOptions,
  type UpstreamOAuthBinding,
} from '../index.js';

const connectOptions = (): UpstreamConnectOptions => ({
  clientInfo: { name: 'fedmcp', version: '0.0.0' },
  capabilities: UPSTREAM_CLIENT_CAPABILITIES,
  configure: () => {},
  timeoutMs: 30_000,
  logger: silentLogger,
  verdictCache: new Map(),
});

describe('createOAuthUpstreamConnector', () => {
  it('sends only the allowed methods with the binding’s token, and answers the others locally', async () => {
    const seen: { method: string; authorization: string | null }[] = [];
    await using upstreamHost = createMcpHttpHost({
      port: 0,
      createServer: (context) => {
        const authorization = context.headers?.get('authorization') ?? null;
        const server = new Server(
          { name: 'docs', version: '1.0.0' },
          { capabilities: { tools: {} } },
        );
        server.setRequestHandler('tools/list', () => {
          seen.push({ method: 'tools/list', authorization });
          return { tools: [{ name: 'read', inputSchema: { type: 'object' } }] };
        });
        server.setRequestHandler('tools/call', () => {
          seen.push({ method: 'tools/call', authorization });
          return { content: [{ type: 'text', text: 'read' }] };
        });
        return server;
      },
    });
    const { url } = await upstreamHost.listen();
    const store = createMemoryOAuthCredentialStore();
    const key = oauthCredentialKey('docs', 'hub');
    await store.save(key, { tokens: { access_token: 'hub-catalog-token', token_type: 'Bearer' } });
    const binding = (allowedMethods?: ReadonlySet<string>): UpstreamOAuthBinding => ({
      provider: createUpstreamOAuthProvider({
        config: upstreamOAuthConfigSchema.parse({}),
        store,
        key,
        redirectUrl: 'http://127.0.0.1:1/oauth/callback',
      }),
      authorize: () => Promise.reject(new Error('no authorization expected')),
      ...(allowedMethods && { allowedMethods }),
    });
    const listing = new Set(['initialize', 'ping', 'server/discover', 'tools/list']);

    const shared = await createOAuthUpstreamConnector({
      base: connectRemoteUpstream,
      oauthFor: () => binding(listing),
    })({ url: `${url}/mcp` }, connectOptions());
    try {
      expect((await shared.listTools()).tools.map((tool) => tool.name)).toEqual(['read']);
      await expect(shared.callTool({ name: 'read', arguments: {} })).rejects.toMatchObject({
        code: -32601,
        message: expect.stringContaining(
          '"tools/call" is not sent on this upstream\'s shared connection',
        ),
      });
    } finally {
      await shared.close();
    }
    expect(seen).toEqual([{ method: 'tools/list', authorization: 'Bearer hub-catalog-token' }]);

    // Without `allowedMethods` every method goes out.
    const own = await createOAuthUpstreamConnector({
      base: connectRemoteUpstream,
      oauthFor: () => binding(),
    })({ url: `${url}/mcp` }, connectOptions());
    try {
      await own.callTool({ name: 'read', arguments: {} });
    } finally {
      await own.close();
    }
    expect(seen.at(-1)).toEqual({
      method: 'tools/call',
      authorization: 'Bearer hub-catalog-token',
    });
  });
});
