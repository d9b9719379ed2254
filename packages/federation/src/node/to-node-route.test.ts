import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { toNodeRoute } from './to-node-route.js';

/** A node:http server on 127.0.0.1 whose requests go to `route`, else 404 from the server. */
async function serve(route: ReturnType<typeof toNodeRoute>) {
  const server: Server = createServer((request, response) => {
    route(request, response).then((answered) => {
      if (!answered) response.writeHead(404).end('not a route');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('toNodeRoute', () => {
  it('answers what the web route answers and passes on what it leaves', async () => {
    const seen: string[] = [];
    await using server = await serve(
      toNodeRoute(async (request) => {
        const url = new URL(request.url);
        seen.push(`${request.method} ${url.pathname}${url.search}`);
        return url.pathname === '/status' ? Response.json({ ok: true }) : undefined;
      }),
    );
    const answered = await fetch(`${server.url}/status?depth=1`);
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ ok: true });
    expect((await fetch(`${server.url}/elsewhere`)).status).toBe(404);
    expect(seen).toEqual(['GET /status?depth=1', 'GET /elsewhere']);
  });

  it('with paths, never builds a web request for another path (the MCP requests of a hub)', async () => {
    const seen: string[] = [];
    await using server = await serve(
      toNodeRoute(
        async (request) => {
          seen.push(new URL(request.url).pathname);
          return new Response('served');
        },
        { paths: ['/status', '/.well-known/jwks.json'] },
      ),
    );
    expect(await (await fetch(`${server.url}/status?depth=2`)).text()).toBe('served');
    expect(await (await fetch(`${server.url}/.well-known/jwks.json`)).text()).toBe('served');
    const other = await fetch(`${server.url}/mcp`, { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
    expect(await (await fetch(`${server.url}/status/more`)).text()).toBe('not a route');
    expect(seen).toEqual(['/status', '/.well-known/jwks.json']);
  });
});
