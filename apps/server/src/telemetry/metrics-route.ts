/**
 * `GET /metrics` in the Prometheus text format: on the hub's port for callers with the `admin`
 * scope (401 without credentials, 403 without the scope), or on a separate bind without
 * authentication (`telemetry.metrics.port`), for a scraper on an internal network.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendWebResponse } from '@fedmcp/federation/node';
import { type McpAuthenticate, runAuthenticate } from '@fedmcp/transports';
import { toBodylessRequest } from '@fedmcp/transports/node';
import type { Registry } from 'prom-client';

/** The scope a principal needs to read `/metrics` on the hub's port. */
export const ADMIN_SCOPE = 'admin';

function isMetricsPath(request: IncomingMessage): boolean {
  return (request.url ?? '/').split('?')[0] === '/metrics';
}

function sendText(response: ServerResponse, status: number, body: string, headers = {}): void {
  response.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(body);
}

async function sendMetrics(
  request: IncomingMessage,
  response: ServerResponse,
  registry: Registry,
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    sendText(response, 405, 'GET /metrics only.\n', { allow: 'GET, HEAD' });
    return;
  }
  const body = await registry.metrics();
  response.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/**
 * The `/metrics` route of the hub's port (an `onRequest` hook of the HTTP host): `true` when it
 * answered.
 */
export function createMetricsRoute(options: {
  registry: Registry;
  authenticate: McpAuthenticate;
}): (request: IncomingMessage, response: ServerResponse) => Promise<boolean> {
  return async (request, response) => {
    if (!isMetricsPath(request)) return false;
    const outcome = await runAuthenticate(options.authenticate, toBodylessRequest(request));
    if (outcome.kind === 'response') {
      // The authentication's own refusal (401 with its WWW-Authenticate challenge).
      await sendWebResponse(response, outcome.response);
      return true;
    }
    const principal = outcome.principal as { authMethod?: unknown; scopes?: unknown } | undefined;
    if (!principal || principal.authMethod === 'anonymous') {
      sendText(response, 401, 'GET /metrics needs credentials with the "admin" scope.\n', {
        'www-authenticate': 'Bearer',
      });
      return true;
    }
    if (!Array.isArray(principal.scopes) || !principal.scopes.includes(ADMIN_SCOPE)) {
      sendText(
        response,
        403,
        'GET /metrics needs the "admin" scope (an API key with scopes: ["admin"], or an OAuth token granting it).\n',
      );
      return true;
    }
    await sendMetrics(request, response, options.registry);
    return true;
  };
}

/** A separate `/metrics` listener (see the file comment). */
export interface MetricsListener extends AsyncDisposable {
  /** `http://host:port/metrics`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `/metrics` without authentication on `host:port` (port 0 picks a free one).
 * @throws when the port cannot be bound.
 */
export async function listenMetrics(options: {
  registry: Registry;
  host: string;
  port: number;
}): Promise<MetricsListener> {
  const server = createServer((request, response) => {
    if (!isMetricsPath(request)) {
      sendText(response, 404, 'Only GET /metrics is served here.\n');
      return;
    }
    sendMetrics(request, response, options.registry).catch(() => {
      if (!response.headersSent) sendText(response, 500, 'The metrics could not be collected.\n');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url: `http://${host}:${port}/metrics`, close, [Symbol.asyncDispose]: close };
}
