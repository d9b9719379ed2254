/**
 * `/healthz` (the process answers) and `/readyz` (every upstream is ready: 200, else 503 with
 * each upstream's state), for load balancers and orchestrators.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UpstreamStatus } from '@fedmcp/federation';

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

/** The health routes (an `onRequest` hook of the HTTP host): `true` when one answered. */
export function createHealthRoutes(
  upstreams: () => ReadonlyArray<Pick<UpstreamStatus, 'id' | 'state' | 'error'>>,
): (request: IncomingMessage, response: ServerResponse) => boolean {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      sendJson(response, 200, { status: 'ok' });
      return true;
    }
    if (path === '/readyz') {
      const list = upstreams();
      const ready = list.every((upstream) => upstream.state === 'ready');
      sendJson(response, ready ? 200 : 503, {
        status: ready ? 'ready' : 'degraded',
        upstreams: list.map(({ id, state, error }) => ({ id, state, ...(error ? { error } : {}) })),
      });
      return true;
    }
    return false;
  };
}
