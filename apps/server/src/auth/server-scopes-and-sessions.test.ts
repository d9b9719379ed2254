import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';
import { startTestIssuer } from './test-fixtures.js';

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'raw', version: '1.0.0' },
  },
});

function post(url: string, headers: Record<string, string>, body: string) {
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body,
  });
}

describe('createFedmcpServer scopes and session binding', () => {
  it('answers a valid token without the required scope with 403 insufficient_scope', async () => {
    await using issuer = await startTestIssuer();
    await using server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: { port: 0 },
          store: 'memory:',
          auth: {
            oauth: {
              issuer: issuer.issuer,
              jwksUri: issuer.jwksUri,
              requiredScopes: ['mcp:tools'],
            },
          },
        },
        'test.json',
        { env: {} },
      ),
    });
    const { url } = await server.listen();
    const resource = server.authentication?.resource ?? '';
    const without = await issuer.sign({ sub: 'alice', aud: resource, scope: 'profile' });
    const refused = await post(url, { authorization: `Bearer ${without}` }, initialize);
    expect(refused.status).toBe(403);
    const challenge = refused.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="mcp:tools"');
    expect(challenge).toContain(
      `resource_metadata="${url}/.well-known/oauth-protected-resource/mcp"`,
    );
    await refused.body?.cancel();

    const withScope = await issuer.sign({ sub: 'alice', aud: resource, scope: 'mcp:tools' });
    const served = await post(url, { authorization: `Bearer ${withScope}` }, initialize);
    expect(served.status).toBe(200);
    await served.body?.cancel();
  }, 30_000);

  it("answers 404 to a principal naming another principal's session", async () => {
    const alice = generateApiKey();
    const bob = generateApiKey();
    await using server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: { port: 0 },
          store: 'memory:',
          auth: {
            apiKeys: [
              { hash: await hashApiKey(alice), subject: 'alice' },
              { hash: await hashApiKey(bob), subject: 'bob' },
            ],
          },
        },
        'test.json',
        { env: {} },
      ),
    });
    const { url } = await server.listen();
    const opened = await post(url, { 'x-api-key': alice }, initialize);
    expect(opened.status).toBe(200);
    await opened.body?.cancel();
    const sessionId = opened.headers.get('mcp-session-id') ?? '';
    expect(sessionId).not.toBe('');
    const ping = '{"jsonrpc":"2.0","id":2,"method":"ping"}';
    const session = { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-06-18' };
    const stranger = await post(url, { 'x-api-key': bob, ...session }, ping);
    expect(stranger.status).toBe(404);
    await stranger.body?.cancel();
    const owner = await post(url, { 'x-api-key': alice, ...session }, ping);
    expect(owner.status).toBe(200);
    await owner.body?.cancel();
  }, 30_000);
});
