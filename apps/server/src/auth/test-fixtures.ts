/**
 * Test fixtures of the server's auth tests: a local OAuth issuer (keys made with jose, its JWKS on
 * a real socket), an upstream MCP server over HTTP that echoes the headers it receives, SDK
 * clients with credentials on each transport, and a pino logger writing into a string.
 * Not exported from the package.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createWebSocketClientTransport } from '@fedmcp/transports';
import { createMcpHttpHost, type McpHttpHost } from '@fedmcp/transports/node';
import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { Server } from '@modelcontextprotocol/server';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { pino } from 'pino';
import WebSocket from 'ws';
import { redactedLogPaths } from '../create-logger.js';

/** A local OAuth issuer: signs tokens and serves its JWKS. */
export interface TestIssuer extends AsyncDisposable {
  issuer: string;
  jwksUri: string;
  sign(claims: JWTPayload, options?: { expiresIn?: string | number }): Promise<string>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  const server = createServer((request, response) => {
    if (request.url === '/jwks.json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}/`;
  return {
    issuer,
    jwksUri: `http://127.0.0.1:${port}/jwks.json`,
    async sign(claims, options = {}) {
      const { exp, ...rest } = claims;
      const token = new SignJWT(rest)
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
        .setIssuer(issuer)
        .setIssuedAt();
      if (exp !== undefined) token.setExpirationTime(exp);
      else token.setExpirationTime(options.expiresIn ?? '5m');
      return token.sign(privateKey);
    },
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An upstream MCP server whose `headers` tool returns the headers of the request that opened its session. */
export async function startHeaderEchoUpstream(options: {
  requiredAuthorization: string;
}): Promise<{ host: McpHttpHost; url: string; seenAuthorization: string[] }> {
  const seenAuthorization: string[] = [];
  const host = createMcpHttpHost({
    authenticate: (request) => {
      const authorization = request.headers.get('authorization') ?? '';
      seenAuthorization.push(authorization);
      if (authorization !== options.requiredAuthorization) {
        return new Response('{"error":"unauthorized"}', { status: 401 });
      }
      return { subject: 'hub' };
    },
    createServer: (context) => {
      const server = new Server(
        { name: 'header-echo', version: '1.0.0' },
        { capabilities: { tools: {} } },
      );
      const headers = Object.fromEntries(context.headers?.entries() ?? []);
      server.setRequestHandler('tools/list', () => ({
        tools: [{ name: 'headers', inputSchema: { type: 'object' as const } }],
      }));
      server.setRequestHandler('tools/call', () => ({
        content: [{ type: 'text' as const, text: JSON.stringify(headers) }],
      }));
      return server;
    },
  });
  const { url } = await host.listen();
  return { host, url: `${url}/mcp`, seenAuthorization };
}

export type TransportName = 'streamable-http' | 'sse' | 'websocket';

/** An SDK client connected to a hub over one transport, sending `headers` on every request. */
export async function connectClient(
  baseUrl: string,
  transport: TransportName,
  headers: Record<string, string>,
  fetchImplementation: typeof fetch = fetch,
  webSocketOptions: Record<string, unknown> = {},
): Promise<Client> {
  const withHeaders: typeof fetch = (input, init) => {
    const merged = new Headers(init?.headers);
    for (const [name, value] of Object.entries(headers)) merged.set(name, value);
    return fetchImplementation(input, { ...init, headers: merged });
  };
  const client = new Client({ name: 'auth-test-client', version: '1.0.0' });
  if (transport === 'streamable-http') {
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), { fetch: withHeaders }),
    );
  } else if (transport === 'sse') {
    await client.connect(new SSEClientTransport(new URL(`${baseUrl}/sse`), { fetch: withHeaders }));
  } else {
    class ConfiguredWebSocket extends WebSocket {
      constructor(url: string | URL, protocols?: string | string[], options: object = {}) {
        super(url, protocols, { ...options, ...webSocketOptions });
      }
    }
    await client.connect(
      createWebSocketClientTransport({
        url: `${baseUrl.replace(/^http/, 'ws')}/ws`,
        headers,
        WebSocket: ConfiguredWebSocket as never,
      }),
    );
  }
  return client;
}

/** A pino logger at debug level whose JSON lines (the server's redaction on) land in `output()`. */
export function captureLogger() {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  });
  const logger = pino(
    { level: 'debug', redact: { paths: redactedLogPaths, censor: '[redacted]' } },
    stream,
  );
  return { logger, output: () => text };
}

/** Closes a node:http server with its connections. */
export async function closeHttpServer(server: HttpServer): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
