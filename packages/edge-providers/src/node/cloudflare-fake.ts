/**
 * A contract fake of the Cloudflare API v4 parts `@fedmcp/edge-providers` uses (Workers script
 * upload, workers.dev subdomain, deployments, tails, telemetry query, delete), checking each
 * request as Cloudflare documents it and answering with its `{success, errors, messages, result}`
 * envelope. The tail WebSocket is served with `ws` and requires the `trace-v1` subprotocol.
 * The deployed Worker's `/healthz` is served at `<url>/hub/<name>/healthz`.
 */
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';
import { type Script, uploadScript } from './cloudflare-fake-upload.js';
import {
  ContractViolation,
  check,
  type FakeServer,
  hasToken,
  json,
  jsonBody,
  route,
  startFakeServer,
} from './fake-server.js';

/** Options of {@link startCloudflareFake}. */
export interface CloudflareFakeOptions {
  token: string;
  accountId: string;
  /** Answer every request 429 (Cloudflare's API rate limit, code 971). @default false */
  rateLimited?: boolean;
  /** Answer every request 500 with code 10002 "Unexpected internal server error". @default false */
  serverError?: boolean;
  /**
   * How many Workers the account may hold: uploading one more answers 400 with code 10037
   * (the account's Workers limit, 100 on the Free plan). @default unlimited
   */
  scriptLimit?: number;
  /**
   * A second token with only "Workers Scripts: Read": it can list and read, and a change (PUT,
   * POST, DELETE) answers 403 with code 10000 "Authentication error". @default none
   */
  readOnlyToken?: string;
  /** Uploads whose modules total more bytes answer 400 code 10027 (too large). @default none */
  maxScriptBytes?: number;
}

/** A running Cloudflare fake: the scripts it holds, and the tail lines it will push. */
export interface CloudflareFake extends FakeServer {
  readonly scripts: Map<string, Script>;
  /** The log lines each new tail sends, as console output of one request. */
  tailLogs: string[];
}

function envelope(result: unknown) {
  return { success: true, errors: [], messages: [], result };
}

function failure(status: number, code: number, message: string): Response {
  return json(status, { success: false, errors: [{ code, message }], messages: [], result: null });
}

/** Starts the Cloudflare fake on 127.0.0.1. */
export async function startCloudflareFake(options: CloudflareFakeOptions): Promise<CloudflareFake> {
  const scripts = new Map<string, Script>();
  const tails = new Set<string>();
  const account = `/client/v4/accounts/:account/workers`;

  async function handle(request: Request, url: URL): Promise<Response> {
    const health = route('GET', '/hub/:name/healthz', request, url);
    if (health)
      return new Response(scripts.has(health.name) ? 'ok' : 'no such worker', {
        status: scripts.has(health.name) ? 200 : 404,
      });
    const readOnly =
      options.readOnlyToken !== undefined && hasToken(request, options.readOnlyToken);
    if (!readOnly && !hasToken(request, options.token))
      return failure(401, 1000, 'Invalid API Token');
    if (readOnly && request.method !== 'GET') return failure(403, 10000, 'Authentication error');
    if (options.rateLimited)
      return failure(429, 971, 'Please wait and consider throttling your request speed');
    if (options.serverError) return failure(500, 10002, 'Unexpected internal server error');
    const inAccount = (pattern: string, method: string) => {
      const match = route(method, `${account}${pattern}`, request, url);
      if (match !== undefined && match.account !== options.accountId)
        throw new ContractViolation('Authentication error', 403, {
          success: false,
          errors: [{ code: 10000, message: 'Authentication error' }],
        });
      return match;
    };
    let match = inAccount('/scripts/:name', 'PUT');
    if (match) {
      if (!/^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/.test(match.name))
        return failure(400, 10004, 'Malformed URL parameter: invalid script name');
      const existing = scripts.get(match.name);
      if (
        existing === undefined &&
        scripts.size >= (options.scriptLimit ?? Number.POSITIVE_INFINITY)
      )
        return failure(
          400,
          10037,
          `You have exceeded the limit of ${options.scriptLimit} Workers on your account.`,
        );
      const upload = await uploadScript(request, existing);
      const bytes = Object.values(upload.modules).reduce((sum, module) => sum + module.size, 0);
      if (bytes > (options.maxScriptBytes ?? Number.POSITIVE_INFINITY))
        return failure(400, 10027, 'Your Worker exceeded the size limit.');
      const versionId = randomUUID();
      const deployment = { id: randomUUID(), created_on: new Date().toISOString(), versionId };
      scripts.set(match.name, {
        ...upload,
        deployments: [deployment, ...(existing?.deployments ?? [])],
        routeEnabled: existing?.routeEnabled ?? false,
      });
      return json(
        200,
        envelope({
          id: match.name,
          etag: versionId,
          created_on: deployment.created_on,
          modified_on: deployment.created_on,
          has_modules: true,
        }),
      );
    }
    if (inAccount('/subdomain', 'GET')) return json(200, envelope({ subdomain: 'fedmcp-test' }));
    if (inAccount('/scripts', 'GET')) {
      const list = [...scripts].map(([id, item]) => ({
        id,
        migration_tag: item.migrationTag,
        has_modules: true,
      }));
      return json(200, envelope(list));
    }
    const script = (name: string) => {
      const found = scripts.get(name);
      if (found === undefined)
        throw new ContractViolation('workers.api.error.script_not_found', 404, {
          success: false,
          errors: [{ code: 10007, message: 'workers.api.error.script_not_found' }],
        });
      return found;
    };
    match = inAccount('/scripts/:name/subdomain', 'POST');
    if (match) {
      const found = script(match.name);
      const body = (await jsonBody(request)) as Record<string, unknown>;
      check(typeof body.enabled === 'boolean', 'body.enabled must be a boolean');
      found.routeEnabled = body.enabled;
      return json(200, envelope({ enabled: body.enabled, previews_enabled: false }));
    }
    match = inAccount('/scripts/:name/deployments', 'GET');
    if (match) {
      const deployments = script(match.name).deployments.map((deployment) => ({
        id: deployment.id,
        created_on: deployment.created_on,
        source: 'api',
        strategy: 'percentage',
        versions: [{ version_id: deployment.versionId, percentage: 100 }],
      }));
      return json(200, envelope({ deployments }));
    }
    match = inAccount('/scripts/:name/tails', 'POST');
    if (match) {
      script(match.name);
      const body = (await jsonBody(request)) as Record<string, unknown>;
      check(Array.isArray(body.filters), 'body.filters must be an array');
      const id = randomUUID();
      tails.add(id);
      return json(
        200,
        envelope({
          id,
          url: `${fake.url.replace('http', 'ws')}/tail/${id}`,
          expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        }),
      );
    }
    match = inAccount('/scripts/:name/tails/:id', 'DELETE');
    if (match) {
      check(tails.delete(match.id), `no tail ${match.id}`);
      return json(200, envelope(null));
    }
    if (inAccount('/observability/telemetry/query', 'POST')) {
      const body = (await jsonBody(request)) as {
        queryId?: unknown;
        timeframe?: { from?: unknown; to?: unknown };
        parameters?: { filters?: Array<{ key?: string; value?: unknown }> };
      };
      check(typeof body.queryId === 'string', 'body.queryId is required');
      check(
        typeof body.timeframe?.from === 'number' && typeof body.timeframe?.to === 'number',
        'body.timeframe.from and .to are required (ms)',
      );
      const filter = body.parameters?.filters?.[0];
      const name = filter?.key === '$metadata.service' ? String(filter.value) : '';
      const events = scripts.has(name)
        ? fake.tailLogs.map((message) => ({
            timestamp: Date.now(),
            $metadata: { message, level: 'log', service: name },
          }))
        : [];
      return json(200, envelope({ events: { events } }));
    }
    match = inAccount('/scripts/:name', 'DELETE');
    if (match) {
      script(match.name);
      scripts.delete(match.name);
      return json(200, envelope(null));
    }
    throw new ContractViolation(
      `${request.method} ${url.pathname} is not part of the documented API`,
      404,
    );
  }

  const server = await startFakeServer(handle, (violation) =>
    violation.body !== undefined
      ? json(violation.status, violation.body)
      : failure(violation.status, 10021, violation.message),
  );
  const sockets = new WebSocketServer({
    noServer: true,
    handleProtocols: (protocols) => (protocols.has('trace-v1') ? 'trace-v1' : false),
  });
  server.server.on('upgrade', (request, socket, head) => {
    const id = /^\/tail\/([^/]+)$/.exec(request.url ?? '')?.[1];
    const protocols = String(request.headers['sec-websocket-protocol'] ?? '');
    if (
      id === undefined ||
      !tails.has(id) ||
      !protocols
        .split(',')
        .map((item) => item.trim())
        .includes('trace-v1')
    ) {
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      ws.once('message', (data) => {
        // wrangler sends {"debug":false} first; the tail starts after it.
        const first = JSON.parse(String(data)) as Record<string, unknown>;
        if (typeof first.debug !== 'boolean') return ws.close(1008, 'send {"debug":false} first');
        const now = Date.now();
        ws.send(
          JSON.stringify({
            outcome: 'ok',
            scriptName: 'worker',
            eventTimestamp: now,
            event: { request: { url: 'https://hub.example/mcp', method: 'POST', headers: {} } },
            logs: fake.tailLogs.map((line) => ({ message: [line], level: 'log', timestamp: now })),
            exceptions: [],
          }),
        );
      });
    });
  });
  const closeServer = server.close;
  const close = async () => {
    for (const client of sockets.clients) client.terminate();
    sockets.close();
    await closeServer();
  };
  const fake: CloudflareFake = Object.assign(server, {
    scripts,
    tailLogs: ['fedmcp hub ready'],
    close,
    [Symbol.asyncDispose]: close,
  });
  return fake;
}
