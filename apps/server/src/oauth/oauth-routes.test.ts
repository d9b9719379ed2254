import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createOAuthRoutes, hubClientMetadataUrl, withHubClientMetadata } from './oauth-routes.js';

describe('createOAuthRoutes', () => {
  it('serves the callback and the client metadata document, GET only, and nothing else', async () => {
    const queries: string[] = [];
    const routes = createOAuthRoutes({
      origin: () => 'https://hub.example.com',
      users: {
        callback: async (query) => {
          queries.push(query.toString());
          return {
            status: 200,
            page: '<p>signed in</p>',
            headers: { 'cache-control': 'no-store' },
          };
        },
      },
    });
    const server = createServer(async (request, response) => {
      if (!(await routes(request, response))) response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const document = await fetch(`${base}/oauth/client-metadata.json`);
      expect(document.status).toBe(200);
      expect(await document.json()).toEqual({
        client_id: 'https://hub.example.com/oauth/client-metadata.json',
        client_name: 'fedmcp',
        redirect_uris: ['https://hub.example.com/oauth/callback'],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      });

      const callback = await fetch(`${base}/oauth/callback?code=c&state=s`);
      expect(callback.status).toBe(200);
      expect(callback.headers.get('cache-control')).toBe('no-store');
      expect(await callback.text()).toBe('<p>signed in</p>');
      expect(queries).toEqual(['code=c&state=s']);

      const posted = await fetch(`${base}/oauth/callback`, { method: 'POST' });
      expect(posted.status).toBe(405);
      expect(posted.headers.get('allow')).toBe('GET, HEAD');
      expect((await fetch(`${base}/oauth/other`)).status).toBe(404);
      expect(queries).toHaveLength(1);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('offers the document as a client id only on https, and only to upstreams that name no client', () => {
    expect(hubClientMetadataUrl('http://127.0.0.1:8787/mcp')).toBeUndefined();
    const url = hubClientMetadataUrl('https://hub.example.com/mcp');
    expect(url).toBe('https://hub.example.com/oauth/client-metadata.json');
    const base = { mode: 'user', grant: 'authorization_code' } as const;
    expect(withHubClientMetadata(base, url).clientMetadataUrl).toBe(url);
    expect(withHubClientMetadata({ ...base, clientId: 'pre' }, url).clientMetadataUrl).toBe(
      undefined,
    );
    const own = 'https://example.com/own.json';
    expect(withHubClientMetadata({ ...base, clientMetadataUrl: own }, url).clientMetadataUrl).toBe(
      own,
    );
    expect(withHubClientMetadata(base, undefined)).toBe(base);
  });
});
