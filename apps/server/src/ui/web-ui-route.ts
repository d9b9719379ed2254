/**
 * `/ui`: the dashboard, three hand-written files (`apps/server/ui/`) served as they are — no
 * build step, no framework, nothing fetched from a CDN. The page itself is public; everything it
 * shows comes from the admin API with the admin key the operator logs in with. Web-standard: the
 * Node host loads the files from the package, the edge hub has them inlined in its bundle.
 */

/** The dashboard's files. */
export const DASHBOARD_FILES = ['index.html', 'app.js', 'app.css'] as const;

/** One of {@link DASHBOARD_FILES}. */
export type DashboardFile = (typeof DASHBOARD_FILES)[number];

const FILES: Record<string, DashboardFile> = {
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

/** The `/ui` route: the response, or `undefined` for a path outside `/ui`. */
export type WebUiRoute = (request: Request, path: string) => Promise<Response | undefined>;

/** The `/ui` route over a loader of the dashboard's files (each is loaded once). */
export function createWebUiRoute(load: (file: DashboardFile) => Promise<string>): WebUiRoute {
  const cache = new Map<DashboardFile, Promise<string>>();
  return async (request, path) => {
    if (path === '/ui') {
      // Relative: a hub served under a prefix (a Supabase function's /<slug>) keeps it.
      return new Response(null, { status: 308, headers: { location: 'ui/' } });
    }
    if (!path.startsWith('/ui/')) return undefined;
    const file = FILES[path];
    if (!file || (request.method !== 'GET' && request.method !== 'HEAD')) {
      return new Response('Not found.\n', {
        status: 404,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
    let content = cache.get(file);
    if (!content) {
      content = load(file);
      // A failed load is tried again by the next request.
      content.catch(() => cache.delete(file));
      cache.set(file, content);
    }
    const body = await content;
    return new Response(request.method === 'HEAD' ? null : body, {
      status: 200,
      headers: {
        'content-type': TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream',
        'cache-control': 'no-cache',
        'content-security-policy':
          "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      },
    });
  };
}
