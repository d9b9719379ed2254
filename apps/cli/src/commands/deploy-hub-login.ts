/**
 * `fedmcp auth login <upstream> --hub <url>`: the hub-wide login of an `authorization_code`
 * upstream of a deployed (edge) hub, through its admin API. `POST
 * /admin/v1/upstreams/{id}/oauth-login` answers the authorization URL, whose redirect is the
 * hub's own `/oauth/callback` (which stores the hub's tokens, sealed, in its store); this waits
 * until `GET /admin/v1/upstreams/{id}/oauth-login` reports the login finished and the upstream's
 * status (`GET /admin/v1/upstreams/{id}`) is `ready`.
 */

import { adminRefusal } from './admin-api-refusal.js';

/** How `fedmcp auth login --hub` takes the admin key. */
const KEY_HINT = '--token KEY (or set FEDMCP_ADMIN_KEY)';

/** Options of {@link loginThroughHub}. */
export interface HubLoginOptions {
  /** The hub's URL (any path: its origin, or the Supabase function's path up to `/mcp`, is used). */
  hubUrl: string;
  upstreamId: string;
  /** Headers carrying an API key or token with the `admin` scope. */
  headers: Record<string, string>;
  /** Called once with the authorization URL: print it, open a browser. */
  onAuthorizationUrl: (url: string) => void;
  /** Progress lines ("waiting for the browser…", "connecting…"). */
  onProgress: (message: string) => void;
  /** Gives up waiting. */
  signal?: AbortSignal;
  /** Between two status polls. @default 1000 */
  pollMs?: number;
  fetch?: typeof fetch;
}

/** The admin API's base of a hub URL: `<origin>[/<function path>]/admin/v1/`. */
export function adminBaseOf(hubUrl: string): URL {
  const url = new URL(hubUrl);
  const path = url.pathname.replace(/\/mcp\/?$/, '').replace(/\/+$/, '');
  return new URL(`${url.origin}${path}/admin/v1/`);
}

const pause = (ms: number, signal: AbortSignal | undefined) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('Login canceled.'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('Login canceled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/**
 * Logs the hub at `hubUrl` in at one upstream and waits until it is connected.
 * @throws Error naming the HTTP status of a refused request (with a hint for the admin scope),
 * or "Login canceled." when `signal` aborts first.
 */
export async function loginThroughHub(options: HubLoginOptions): Promise<void> {
  const request = options.fetch ?? fetch;
  const base = adminBaseOf(options.hubUrl);
  const id = encodeURIComponent(options.upstreamId);
  const loginUrl = new URL(`upstreams/${id}/oauth-login`, base);
  const headers = { ...options.headers, accept: 'application/json' };
  const signalInit = options.signal ? { signal: options.signal } : {};
  const started = await request(loginUrl, { method: 'POST', headers, ...signalInit });
  if (!started.ok) throw await adminRefusal(started, `POST ${loginUrl.pathname}`, KEY_HINT);
  const { authorizationUrl } = (await started.json()) as { authorizationUrl: string };
  options.onAuthorizationUrl(authorizationUrl);
  options.onProgress('Waiting for the authorization in the browser…');
  const pollMs = options.pollMs ?? 1000;
  const get = async <T>(url: URL): Promise<T> => {
    const response = await request(url, { headers, ...signalInit });
    if (!response.ok) throw await adminRefusal(response, `GET ${url.pathname}`, KEY_HINT);
    return (await response.json()) as T;
  };
  while (!(await get<{ loggedIn: boolean }>(loginUrl)).loggedIn) {
    await pause(pollMs, options.signal);
  }
  options.onProgress(`Authorized; waiting for the hub to connect to "${options.upstreamId}"…`);
  const statusUrl = new URL(`upstreams/${id}`, base);
  let last = '';
  for (;;) {
    const { state } = await get<{ state: string }>(statusUrl);
    if (state === 'ready') return;
    if (state !== last) options.onProgress(`"${options.upstreamId}" is ${state}…`);
    last = state;
    await pause(pollMs, options.signal);
  }
}
