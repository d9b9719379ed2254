/** The `/ui` route: the three dashboard files with a strict Content-Security-Policy, nothing else. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUiRoute } from './ui-route.js';

let server: Server;
let base: string;

beforeAll(async () => {
  const route = createUiRoute();
  server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    void route(request, response, path).then((answered) => {
      if (!answered) response.writeHead(418).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('the /ui route', () => {
  it('redirects /ui to /ui/ and serves the page with a same-origin-only policy', async () => {
    const redirect = await fetch(`${base}/ui`, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe('ui/');
    const page = await fetch(`${base}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await page.text();
    expect(html).toContain('<script type="module" src="app.js">');
    // Nothing from another site.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves the script and the style sheet with their types', async () => {
    const script = await fetch(`${base}/ui/app.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('/admin/v1');
    const style = await fetch(`${base}/ui/app.css`);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers 404 for any other file under /ui/, never serves one outside it, and leaves other paths alone', async () => {
    for (const path of ['/ui/ui-route.ts', '/ui/x', '/ui/index.html.bak']) {
      expect((await fetch(`${base}${path}`)).status).toBe(404);
    }
    // Dot segments are resolved before routing: they never reach a file outside the three.
    for (const path of ['/ui/../package.json', '/ui/%2e%2e/package.json']) {
      expect((await fetch(`${base}${path}`)).status).not.toBe(200);
    }
    expect((await fetch(`${base}/uix`)).status).toBe(418);
    expect((await fetch(`${base}/ui/app.js`, { method: 'POST' })).status).toBe(404);
  });
});
