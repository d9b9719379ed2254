/**
 * `hub.cors`: a browser page on another origin can use the hub (preflights, readable challenges
 * and session ids, public metadata), other origins are refused as before, and the config names
 * the bad key when an origin is written as a bare hostname.
 */
import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { hostOriginOptions } from '../config/cors-config.js';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';
import { startTestIssuer } from './test-fixtures.js';

const page = 'http://page.example.test:5173';

function send(
  url: string,
  options: { method: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: options.method, headers: options.headers });
    outgoing.on('response', (incoming) => {
      incoming.resume();
      incoming.on('end', () =>
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

describe('hub.cors', () => {
  it('refuses a bare hostname, naming the key and saying to write the full origin', () => {
    expect(() =>
      parseConfig({ hub: { cors: { allowedOrigins: ['client.example.com'] } } }, 'fedmcp.json'),
    ).toThrow(
      /hub\.cors\.allowedOrigins\[0\]: .*write the full origin, e\.g\. "https:\/\/client\.example\.com"/s,
    );
    expect(() =>
      parseConfig(
        { hub: { cors: { allowedOrigins: [page], allowCredentials: 'yes' } } },
        'fedmcp.json',
      ),
    ).toThrow(/hub\.cors\.allowCredentials/);
  });

  it('folds full origins of the deprecated hub.allowedOrigins into CORS, with a warning', () => {
    const warnings: string[] = [];
    const logger = {
      warn: (_fields: unknown, message: string) => warnings.push(message),
    } as unknown as Parameters<typeof hostOriginOptions>[1];
    expect(
      hostOriginOptions(
        { allowedOrigins: ['https://client.example.com', 'legacy.example'] },
        logger,
      ),
    ).toEqual({
      cors: { origins: ['https://client.example.com'], allowCredentials: false },
      allowedOrigins: ['legacy.example'],
    });
    expect(warnings[0]).toContain('hub.allowedOrigins is deprecated');
    expect(hostOriginOptions({})).toEqual({});
  });

  it('lets a page on an allowed origin read the metadata, the challenge and use preflights', async () => {
    await using issuer = await startTestIssuer();
    await using server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: { port: 0, cors: { allowedOrigins: [page], maxAgeSeconds: 120 } },
          store: 'memory:',
          auth: { oauth: { issuer: issuer.issuer, jwksUri: issuer.jwksUri } },
        },
        'fedmcp.json',
      ),
    });
    const { url } = await server.listen();
    const preflight = await send(`${url}/mcp`, {
      method: 'OPTIONS',
      headers: {
        origin: page,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,mcp-protocol-version',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(page);
    expect(preflight.headers['access-control-max-age']).toBe('120');

    const challenge = await send(`${url}/mcp`, {
      method: 'POST',
      headers: {
        origin: page,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(challenge.status).toBe(401);
    expect(challenge.headers['access-control-allow-origin']).toBe(page);
    expect(challenge.headers['access-control-expose-headers']).toContain('WWW-Authenticate');
    expect(challenge.headers['www-authenticate']).toContain('resource_metadata=');

    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/mcp-federation',
    ]) {
      const document = await send(`${url}${path}`, {
        method: 'GET',
        headers: { origin: 'https://any-page.example' },
      });
      expect(document.status, path).toBe(200);
      expect(document.headers['access-control-allow-origin']).toBe('*');
    }

    const stranger = await send(`${url}/mcp`, {
      method: 'OPTIONS',
      headers: { origin: 'https://stranger.example', 'access-control-request-method': 'POST' },
    });
    expect(stranger.status).toBe(403);
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });
});
