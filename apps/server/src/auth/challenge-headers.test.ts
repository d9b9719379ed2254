/**
 * The `WWW-Authenticate` challenge of refused requests (MCP basic/authorization, RFC 6750 §3,
 * RFC 9728 §5.1) reaches the client whichever way the refusal travels: through the hub (every
 * HTTP transport, WebSocket upgrade included), and from a plain `@fedmcp/transports` host whose
 * `authenticate` hook lets `authenticateRequest` throw (it reads the headers from `data.headers`).
 */
import { request as httpRequest } from 'node:http';
import { authenticateRequest, createJwtVerifier } from '@fedmcp/proxy-auth';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { McpServer } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';
import { startTestIssuer } from './test-fixtures.js';

/** A WebSocket upgrade request; resolves with the status and headers of the refusal. */
function upgrade(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-protocol': 'mcp',
        ...headers,
      },
    });
    request.on('response', (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, headers: response.headers });
    });
    request.on('upgrade', (_response, socket) => {
      socket.destroy();
      reject(new Error('the upgrade was accepted'));
    });
    request.on('error', reject);
    request.end();
  });
}

async function refusal(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; challenge: string }> {
  if (path === '/ws') {
    const answer = await upgrade(`${url}/ws`, headers);
    return { status: answer.status, challenge: String(answer.headers['www-authenticate'] ?? '') };
  }
  const response = await fetch(`${url}${path}`, {
    method: path === '/mcp' ? 'POST' : 'GET',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    ...(path === '/mcp' ? { body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' } : {}),
  });
  await response.body?.cancel();
  return { status: response.status, challenge: response.headers.get('www-authenticate') ?? '' };
}

describe('the WWW-Authenticate challenge', () => {
  it('comes with every 401 and 403 of the hub, on /mcp, /sse and the /ws upgrade', async () => {
    await using issuer = await startTestIssuer();
    await using server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: { host: '127.0.0.1', port: 0 },
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
    const metadata = `resource_metadata="${url}/.well-known/oauth-protected-resource/mcp"`;
    const withoutScope = await issuer.sign({ sub: 'alice', aud: resource, scope: 'profile' });
    const expired = await issuer.sign({
      sub: 'alice',
      aud: resource,
      scope: 'mcp:tools',
      exp: Math.floor(Date.now() / 1000) - 600,
    });
    for (const path of ['/mcp', '/sse', '/ws']) {
      const missing = await refusal(url, path, {});
      expect(missing.status, path).toBe(401);
      // RFC 6750 §3.1: no error code when no credentials were sent.
      expect(missing.challenge, path).toMatch(/^Bearer /);
      expect(missing.challenge, path).toContain(metadata);
      expect(missing.challenge, path).not.toContain('error=');

      const invalid = await refusal(url, path, { authorization: `Bearer ${expired}` });
      expect(invalid.status, path).toBe(401);
      expect(invalid.challenge, path).toContain('error="invalid_token"');
      expect(invalid.challenge, path).toContain(metadata);

      const scope = await refusal(url, path, { authorization: `Bearer ${withoutScope}` });
      expect(scope.status, path).toBe(403);
      expect(scope.challenge, path).toContain('error="insufficient_scope"');
      expect(scope.challenge, path).toContain('scope="mcp:tools"');
      expect(scope.challenge, path).toContain(metadata);
    }
  }, 30_000);

  it('comes with the refusal of a transports host whose authenticate hook throws it', async () => {
    await using issuer = await startTestIssuer();
    const resourceMetadataUrl = 'https://hub.example.com/.well-known/oauth-protected-resource/mcp';
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      audience: 'https://hub.example.com/mcp',
      jwksUri: issuer.jwksUri,
      requiredScopes: ['mcp:tools'],
    });
    const host = createMcpHttpHost({
      host: '127.0.0.1',
      port: 0,
      // The error of authenticateRequest is thrown to the host as it is.
      authenticate: (request) =>
        authenticateRequest({ headers: request.headers }, [verifier], { resourceMetadataUrl }),
      createServer: () => new McpServer({ name: 'plain', version: '1.0.0' }),
    });
    const { url } = await host.listen();
    try {
      const missing = await refusal(url, '/mcp', {});
      expect(missing.status).toBe(401);
      expect(missing.challenge).toBe(`Bearer resource_metadata="${resourceMetadataUrl}"`);

      const scopeToken = await issuer.sign({
        sub: 'alice',
        aud: 'https://hub.example.com/mcp',
        scope: 'profile',
      });
      for (const path of ['/mcp', '/ws']) {
        const scope = await refusal(url, path, { authorization: `Bearer ${scopeToken}` });
        expect(scope.status, path).toBe(403);
        expect(scope.challenge, path).toContain('error="insufficient_scope"');
        expect(scope.challenge, path).toContain('scope="mcp:tools"');
        expect(scope.challenge, path).toContain(`resource_metadata="${resourceMetadataUrl}"`);
      }
    } finally {
      await host.close();
    }
  }, 30_000);
});
