import { request as httpRequest } from 'node:http';
import { Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createMcpHttpHost } from './create-mcp-http-host.js';
import type { McpHttpHostOptions } from './mcp-http-host-options.js';

const client = 'http://client.example.test:8080';
const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'page', version: '1.0.0' },
  },
});

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request with exactly these headers (fetch would add or forbid some). */
function raw(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'POST',
        path: options.path ?? '/mcp',
        headers: {
          ...(options.body === undefined
            ? {}
            : {
                'content-type': 'application/json',
                accept: 'application/json, text/event-stream',
              }),
          ...options.headers,
        },
      },
      (incoming) => {
        let body = '';
        incoming.setEncoding('utf8');
        incoming.on('data', (chunk: string) => {
          body += chunk;
        });
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

function startHost(options: Partial<McpHttpHostOptions> = {}) {
  return createMcpHttpHost({
    createServer: () => new Server({ name: 'cors', version: '1.0.0' }, { capabilities: {} }),
    views: ['readonly'],
    eventStore: false,
    // A bearer token is required: the 401 is what a browser client must be able to read.
    authenticate: (request) =>
      request.headers.get('authorization') === 'Bearer good'
        ? { subject: 'page-user' }
        : new Response('{"error":"unauthorized"}', {
            status: 401,
            headers: {
              'content-type': 'application/json',
              'www-authenticate': 'Bearer resource_metadata="http://127.0.0.1/.well-known/x"',
            },
          }),
    onRequest: (request, response) => {
      if (!request.url?.startsWith('/.well-known/') && request.url !== '/healthz') return false;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"public":true}');
      return true;
    },
    ...options,
  });
}

describe('createMcpHttpHost cors', () => {
  it('answers preflights on every MCP route for a configured origin, before authentication', async () => {
    await using host = startHost({ cors: { origins: [client] } });
    const { port } = await host.listen();
    for (const path of ['/mcp', '/mcp/readonly', '/sse', '/messages']) {
      const preflight = await raw(port, {
        method: 'OPTIONS',
        path,
        headers: {
          origin: client,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type, mcp-protocol-version',
        },
      });
      expect(preflight.status, path).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe(client);
      expect(preflight.headers['access-control-allow-methods']).toBe('GET, POST, DELETE, OPTIONS');
      expect(preflight.headers['access-control-allow-headers']).toContain('authorization');
      expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('lets the page read the 401 challenge, then the session id of its session', async () => {
    await using host = startHost({ cors: { origins: [client] } });
    const { port } = await host.listen();
    const refused = await raw(port, { body: initialize, headers: { origin: client } });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe(client);
    expect(refused.headers['access-control-expose-headers']).toContain('WWW-Authenticate');
    expect(refused.headers['www-authenticate']).toContain('resource_metadata=');
    const accepted = await raw(port, {
      body: initialize,
      headers: { origin: client, authorization: 'Bearer good' },
    });
    expect(accepted.status).toBe(200);
    expect(accepted.headers['mcp-session-id']).toEqual(expect.any(String));
    expect(accepted.headers['access-control-expose-headers']).toContain('Mcp-Session-Id');
    expect(accepted.headers.vary).toContain('Origin');
  });

  it('refuses an origin not in the list with 403 and a reason, and no CORS headers', async () => {
    await using host = startHost({ cors: { origins: [client] } });
    const { port } = await host.listen();
    for (const method of ['OPTIONS', 'POST']) {
      const refused = await raw(port, {
        method,
        body: method === 'POST' ? initialize : undefined,
        headers: { origin: 'http://evil.example.test', authorization: 'Bearer good' },
      });
      expect(refused.status).toBe(403);
      expect(refused.body).toContain('Forbidden: Invalid Origin: evil.example.test');
      expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('lets a configured origin open a WebSocket, and refuses another one', async () => {
    await using host = startHost({ cors: { origins: [client] } });
    const { url } = await host.listen();
    const upgrade = (origin: string) =>
      new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${url.replace('http', 'ws')}/ws`, 'mcp', {
          headers: { origin, authorization: 'Bearer good' },
        });
        socket.once('open', () => {
          socket.close();
          resolve(101);
        });
        socket.once('unexpected-response', (_request, response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        socket.once('error', reject);
      });
    expect(await upgrade(client)).toBe(101);
    expect(await upgrade('http://evil.example.test')).toBe(403);
  });

  it('serves the public well-known documents to any origin, still checking Host', async () => {
    // Without any CORS option too: the documents are public (RFC 9728 §3).
    await using host = startHost();
    const { port } = await host.listen();
    const path = '/.well-known/oauth-protected-resource/mcp';
    const read = await raw(port, {
      method: 'GET',
      path,
      headers: { origin: 'https://anyone.example' },
    });
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBe('*');
    const preflight = await raw(port, {
      method: 'OPTIONS',
      path,
      headers: { origin: 'https://anyone.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD, OPTIONS');
    const rebound = await raw(port, {
      method: 'GET',
      path,
      headers: { host: 'attacker.example', origin: 'https://anyone.example' },
    });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toContain('allowed hosts');
  });

  it('keeps the Origin check of other routes and of MCP without the option', async () => {
    await using host = startHost();
    const { port } = await host.listen();
    const health = await raw(port, {
      method: 'GET',
      path: '/healthz',
      headers: { origin: client },
    });
    expect(health.status).toBe(403);
    const mcp = await raw(port, { method: 'OPTIONS', headers: { origin: client } });
    expect(mcp.status).toBe(403);
    expect(mcp.headers['access-control-allow-origin']).toBeUndefined();
  });
});
