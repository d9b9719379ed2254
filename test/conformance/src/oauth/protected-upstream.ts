/**
 * An MCP server protected per the MCP authorization spec (2025-11-25), for the upstream OAuth
 * tests: RFC 9728 metadata naming the authorization server, `401` with a `WWW-Authenticate`
 * challenge, RFC 9068 JWT access tokens checked for issuer, audience (its own URL) and signature
 * (`createJwtVerifier` of `@fedmcp/proxy-auth`). Its one tool, `whoami`, answers the token's
 * subject. `reject(token)` makes it refuse an access token it accepted, as after a revocation.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createJwtVerifier } from '@fedmcp/proxy-auth';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, Server } from '@modelcontextprotocol/server';

/** A running protected upstream. */
export interface ProtectedUpstream extends AsyncDisposable {
  /** Its MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  url: string;
  /** Every access token it was sent, in order. */
  tokensSeen: string[];
  /** Refuses this access token from now on. */
  reject(token: string): void;
}

/** Starts the upstream, trusting tokens of `issuer`. */
export async function startProtectedUpstream(issuer: string): Promise<ProtectedUpstream> {
  const subjects = new AsyncLocalStorage<string>();
  const createWhoamiServer = () => {
    const server = new Server(
      { name: 'protected', version: '1.0.0' },
      { capabilities: { tools: {} } },
    );
    server.setRequestHandler('tools/list', () => ({
      tools: [{ name: 'whoami', description: 'The caller', inputSchema: { type: 'object' } }],
    }));
    server.setRequestHandler('tools/call', () => ({
      content: [{ type: 'text', text: `subject=${subjects.getStore()}` }],
    }));
    return server;
  };
  const serve = toNodeHandler(createMcpHandler(createWhoamiServer, { legacy: 'reject' }));
  const tokensSeen: string[] = [];
  const rejected = new Set<string>();
  const httpServer = createServer();
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`;
  const url = `${origin}/mcp`;
  const metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;
  const verifier = createJwtVerifier({ issuer, audience: url, jwksUri: `${issuer}/jwks` });

  httpServer.on('request', (request, response) => {
    if (request.url === '/.well-known/oauth-protected-resource/mcp') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          resource: url,
          authorization_servers: [issuer],
          scopes_supported: ['mcp:tools'],
        }),
      );
      return;
    }
    const challenge = () => {
      response.writeHead(401, {
        'www-authenticate': `Bearer resource_metadata="${metadataUrl}", scope="mcp:tools"`,
      });
      response.end();
    };
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (!token) return challenge();
    tokensSeen.push(token);
    if (rejected.has(token)) return challenge();
    verifier
      .verify(token)
      .then(
        (principal) => subjects.run(principal.subject, () => serve(request, response)),
        challenge,
      );
  });
  return {
    url,
    tokensSeen,
    reject: (token) => void rejected.add(token),
    async [Symbol.asyncDispose]() {
      httpServer.closeAllConnections();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
