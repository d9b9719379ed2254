/**
 * `/ui`: the dashboard, three hand-written files (`apps/server/ui/`) shipped in the package as
 * they are — no build step, no framework, nothing fetched from a CDN. The page itself is public;
 * everything it shows comes from the admin API with the admin key the operator logs in with.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

const FILES: Record<string, string> = {
  '/ui/': 'index.html',
  '/ui/index.html': 'index.html',
  '/ui/app.js': 'app.js',
  '/ui/app.css': 'app.css',
};

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** From `src/ui/` (sources) and from `dist/` (the built package), the folder is `<package>/ui/`. */
const CANDIDATES = [new URL('../../ui/', import.meta.url), new URL('../ui/', import.meta.url)];

async function load(file: string): Promise<Buffer> {
  let lastError: unknown;
  for (const folder of CANDIDATES) {
    try {
      return await readFile(new URL(file, folder));
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** The `/ui` route: `true` when it answered. */
export function createUiRoute(): (
  request: IncomingMessage,
  response: ServerResponse,
  path: string,
) => Promise<boolean> {
  const cache = new Map<string, Promise<Buffer>>();
  return async (request, response, path) => {
    if (path === '/ui') {
      response.writeHead(308, { location: '/ui/' });
      response.end();
      return true;
    }
    if (!path.startsWith('/ui/')) return false;
    const file = FILES[path];
    if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Not found.\n');
      return true;
    }
    let content = cache.get(file);
    if (!content) {
      content = load(file);
      cache.set(file, content);
    }
    const body = await content;
    response.writeHead(200, {
      'content-type': TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
      'content-security-policy':
        "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    response.end(request.method === 'HEAD' ? undefined : body);
    return true;
  };
}
