/**
 * `/healthz` (the process answers) and `/readyz` (the hub can serve), for load balancers and
 * orchestrators. Readiness follows the failure mode: a hub in `failureMode: 'open'` (the default)
 * serves the tools of the upstreams that are up, so it is ready while it listens and its store
 * answers, whatever its upstreams do; an upstream in `failureMode: 'closed'` makes the hub refuse
 * every request while it is down, so the hub is not ready then. Both routes are anonymous and
 * their bodies say nothing more than the status: upstream states and errors (an upstream's spawn
 * error carries the server's `$PATH`) are added only for a caller that authenticates the way
 * `/status` requires.
 *
 * A store that does not answer makes the hub not ready, except on a store that replicas share
 * (`storeOutage: 'degraded'`): every replica loses it at once, so taking them all out of the load
 * balancer would stop even the calls that need no shared state. They answer 200
 * `{ "status": "degraded" }` instead.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UpstreamStatus } from '@fedmcp/federation';
import { type McpAuthenticate, runAuthenticate } from '@fedmcp/transports';
import { toBodylessRequest } from '@fedmcp/transports/node';

/** One upstream as readiness sees it. */
export type ReadinessUpstream = Pick<UpstreamStatus, 'id' | 'state' | 'error'> & {
  /** How the hub treats the upstream while it is down. */
  failureMode: 'open' | 'closed';
};

/** Options of {@link createHealthRoutes}. */
export interface HealthRoutesOptions {
  /** The upstreams with their failure modes. */
  upstreams(): readonly ReadinessUpstream[];
  /** Resolves when the store answers; rejects (or does not settle in time) when it does not. */
  probeStore(): Promise<unknown>;
  /**
   * The authentication of `/status`: a request with credentials that it accepts (not as the
   * anonymous principal) gets the details; one that it refuses gets the refusal.
   */
  authenticate: McpAuthenticate;
  /** How long the store may take to answer the probe. @default 2000 */
  storeTimeoutMs?: number;
  /**
   * What a store that does not answer makes of readiness: `'not-ready'` (503) or, for a store
   * replicas share, `'degraded'` (200 `{ "status": "degraded" }`: the replica still serves what
   * needs no shared state). @default 'not-ready'
   */
  storeOutage?: 'not-ready' | 'degraded';
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

async function sendWebResponse(response: ServerResponse, answer: Response): Promise<void> {
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => {
    headers[name] = value;
  });
  response.writeHead(answer.status, headers);
  response.end(answer.body ? Buffer.from(await answer.arrayBuffer()) : undefined);
}

/** Whether the caller brings credentials: a bearer token, an API key, or a client certificate. */
function hasCredentials(request: IncomingMessage): boolean {
  return (
    request.headers.authorization !== undefined ||
    request.headers['x-api-key'] !== undefined ||
    (request.socket as { authorized?: boolean }).authorized === true
  );
}

/**
 * Whether the caller asked for and may see the details: `true`, `false`, or the refusal to send
 * (credentials that the `/status` authentication does not accept).
 */
async function detailsAllowed(
  request: IncomingMessage,
  authenticate: McpAuthenticate,
): Promise<boolean | Response> {
  // A probe without credentials is never authenticated: no audit record per probe.
  if (!hasCredentials(request)) return false;
  const outcome = await runAuthenticate(authenticate, toBodylessRequest(request));
  if (outcome.kind === 'response') return outcome.response;
  const principal = outcome.principal as { authMethod?: unknown } | undefined;
  return principal !== undefined && principal.authMethod !== 'anonymous';
}

async function storeAnswers(probe: () => Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      probe().then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The health routes (an `onRequest` hook of the HTTP host): `true` when one answered.
 *
 * `GET /readyz` answers 200 `{ "status": "ready" }` (or `degraded`, see `storeOutage`) or 503
 * `{ "status": "not-ready" }`; with
 * accepted credentials the body adds `store` (`ok` | `failing`) and `upstreams` (id, state,
 * failure mode, last error).
 */
export function createHealthRoutes(
  options: HealthRoutesOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  const storeTimeoutMs = options.storeTimeoutMs ?? 2000;
  return async (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      sendJson(response, 200, { status: 'ok' });
      return true;
    }
    if (path !== '/readyz') return false;
    const details = await detailsAllowed(request, options.authenticate);
    if (details instanceof Response) {
      await sendWebResponse(response, details);
      return true;
    }
    const store = await storeAnswers(options.probeStore, storeTimeoutMs);
    const upstreams = options.upstreams();
    // What `failureMode: 'closed'` refuses requests for (the hub's assertOpen): such an upstream
    // not ready or degraded.
    const closedDown = upstreams.some(
      (upstream) =>
        upstream.failureMode === 'closed' &&
        upstream.state !== 'ready' &&
        upstream.state !== 'degraded',
    );
    const degraded = !store && !closedDown && options.storeOutage === 'degraded';
    const ready = (store || degraded) && !closedDown;
    const status = degraded ? 'degraded' : ready ? 'ready' : 'not-ready';
    sendJson(
      response,
      ready ? 200 : 503,
      details
        ? {
            status,
            store: store ? 'ok' : 'failing',
            upstreams: upstreams.map(({ id, state, failureMode, error }) => ({
              id,
              state,
              failureMode,
              ...(error ? { error } : {}),
            })),
          }
        : { status },
    );
    return true;
  };
}
