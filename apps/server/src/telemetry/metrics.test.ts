/**
 * `GET /metrics` of a running hub after a scripted run: a small SDK upstream over Streamable HTTP,
 * a 2025-era client making N good calls, tool errors, a failing resource read, a policy denial and
 * a forged peer token;
 * the counters and histogram counts must be exactly those of the run. Callers without
 * credentials get 401, without the `admin` scope 403.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey, hashApiKey, PEER_TOKEN_TYPE } from '@fedmcp/proxy-auth';
import { createMcpHttpHost, type McpHttpHost } from '@fedmcp/transports/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer, type FedmcpServer } from '../create-fedmcp-server.js';
import { createHubMetrics } from './hub-metrics.js';
import { listenMetrics } from './metrics-route.js';

/** The upstream: `ok` answers, `boom` reports an error (isError), `pages/{page}` fails for `missing`. */
function createUpstream(): McpServer {
  const server = new McpServer({ name: 'docs', version: '1.0.0' });
  server.registerTool(
    'ok',
    { description: 'Answers', inputSchema: z.object({ n: z.number() }) },
    async ({ n }) => ({ content: [{ type: 'text', text: `ok ${n}` }] }),
  );
  server.registerTool('boom', { description: 'Fails' }, async () => {
    throw new Error('boom');
  });
  server.registerTool('secret', { description: 'Denied by policy' }, async () => ({
    content: [{ type: 'text', text: 'never' }],
  }));
  server.registerResource(
    'pages',
    new ResourceTemplate('note://pages/{page}', { list: undefined }),
    { mimeType: 'text/plain' },
    async (uri) => {
      if (uri.href.endsWith('/missing')) throw new Error(`no page ${uri.href}`);
      return { contents: [{ uri: uri.href, text: 'page' }] };
    },
  );
  return server;
}

/** The samples of a Prometheus text exposition, by `name{label="value",…}` (labels sorted). */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const [, name, labels = '', value] = match as unknown as [string, string, string, string];
    const sorted = [...labels.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .map(([, key, labelValue]) => `${key}="${labelValue}"`)
      .sort()
      .join(',');
    samples.set(sorted ? `${name}{${sorted}}` : name, Number(value));
  }
  return samples;
}

describe('GET /metrics after a scripted run', () => {
  let directory: string;
  let upstream: McpHttpHost;
  let server: FedmcpServer;
  let baseUrl: string;
  const adminKey = generateApiKey();
  const userKey = generateApiKey();

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-metrics-'));
    upstream = createMcpHttpHost({ createServer: () => createUpstream() });
    const upstreamUrl = `${(await upstream.listen()).url}/mcp`;
    server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: { host: '127.0.0.1', port: 0, id: 'metrics-hub' },
          store: 'memory:',
          auth: {
            apiKeys: [
              { hash: await hashApiKey(adminKey), subject: 'ops', scopes: ['admin'] },
              { hash: await hashApiKey(userKey), subject: 'alice' },
            ],
          },
          mcpServers: { docs: { url: upstreamUrl, type: 'http' } },
          policy: {
            rules: [
              {
                id: 'no-secret',
                effect: 'deny',
                subjects: ['*'],
                actions: ['*'],
                targets: ['docs__secret'],
              },
              { id: 'all', effect: 'allow', subjects: ['*'], actions: ['*'] },
            ],
          },
          telemetry: { metrics: { toolLabels: ['docs'] } },
        },
        'test.json',
        { env: {} },
      ),
      baseDirectory: directory,
      env: {},
    });
    ({ url: baseUrl } = await server.listen());
    baseUrl = baseUrl.replace(/\/mcp$/, '');
  });

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('refuses callers without credentials (401) and without the admin scope (403)', async () => {
    const anonymous = await fetch(`${baseUrl}/metrics`);
    expect(anonymous.status).toBe(401);
    const user = await fetch(`${baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${userKey}` },
    });
    expect(user.status).toBe(403);
    expect(await user.text()).toContain('"admin" scope');
  });

  it('shows exactly the counts and histogram counts of the run', async () => {
    const client = new Client(
      { name: 'metrics-test', version: '1.0.0' },
      { versionNegotiation: { mode: 'legacy' } },
    );
    const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${userKey}` } },
    });
    await client.connect(transport);
    const calls = 5;
    for (let n = 0; n < calls; n += 1) {
      const result = await client.callTool({ name: 'docs__ok', arguments: { n } });
      expect(result.isError).toBeFalsy();
    }
    for (let n = 0; n < 2; n += 1) {
      expect((await client.callTool({ name: 'docs__boom', arguments: {} })).isError).toBe(true);
    }
    await expect(client.callTool({ name: 'docs__secret', arguments: {} })).rejects.toThrow(
      /no-secret|denied/i,
    );
    await client.readResource({ uri: 'fedmcp://docs/note://pages/one' });
    await expect(
      client.readResource({ uri: 'fedmcp://docs/note://pages/missing' }),
    ).rejects.toThrow();

    // A peer token this hub cannot verify (no such peer): refused, counted.
    const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const forged = `${segment({ alg: 'ES256', typ: PEER_TOKEN_TYPE, kid: 'k' })}.${segment({ iss: 'evil', aud: 'metrics-hub', sub: 'x' })}.c2ln`;
    const refused = await fetch(`${baseUrl}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${forged}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(refused.status).toBe(401);

    const response = await fetch(`${baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const samples = parseExposition(await response.text());
    const tool = (name: string) => `method="tools/call",tool="${name}",upstream="docs"`;
    const read = 'method="resources/read",tool="",upstream="docs"';
    expect(samples.get(`fedmcp_requests_total{${tool('ok')}}`)).toBe(calls);
    expect(samples.get(`fedmcp_requests_total{${tool('boom')}}`)).toBe(2);
    expect(samples.get(`fedmcp_requests_total{${read}}`)).toBe(2);
    expect(samples.get(`fedmcp_request_errors_total{code="TOOL_ERROR",${tool('boom')}}`)).toBe(2);
    expect(samples.has(`fedmcp_request_errors_total{code="TOOL_ERROR",${tool('ok')}}`)).toBe(false);
    expect(
      [...samples].filter(
        ([key]) => key.startsWith('fedmcp_request_errors_total{') && key.includes('resources/read'),
      ),
    ).toEqual([[expect.stringContaining('code="'), 1]]);
    expect(samples.get(`fedmcp_request_duration_seconds_count{${tool('ok')}}`)).toBe(calls);
    expect(samples.get(`fedmcp_request_duration_seconds_bucket{le="+Inf",${tool('ok')}}`)).toBe(
      calls,
    );
    expect(samples.get(`fedmcp_request_duration_seconds_count{${read}}`)).toBe(2);
    expect(samples.get('fedmcp_policy_denials_total{method="tools/call",upstream="docs"}')).toBe(1);
    expect(
      samples.get(
        'fedmcp_requests_refused_total{code="POLICY_DENIED",method="tools/call",upstream="docs"}',
      ),
    ).toBe(1);
    expect(samples.has(`fedmcp_requests_total{${tool('secret')}}`)).toBe(false);
    expect(samples.get('fedmcp_requests_in_flight{method="tools/call",upstream="docs"}')).toBe(0);
    expect(
      samples.get('fedmcp_sessions_opened_total{era="legacy",transport="streamable-http"}'),
    ).toBe(1);
    expect(samples.get('fedmcp_sessions_active{transport="streamable-http"}')).toBe(1);
    expect(samples.get('fedmcp_upstream_state{state="ready",upstream="docs"}')).toBe(1);
    expect(samples.get('fedmcp_upstream_state{state="down",upstream="docs"}')).toBe(0);
    expect(samples.get('fedmcp_upstream_circuit_open{upstream="docs"}')).toBe(0);
    expect(samples.get('fedmcp_peer_token_failures_total{outcome="failure"}')).toBe(1);
    // Every call was audited (a stream append in the store), and timed.
    expect(
      samples.get('fedmcp_store_operation_duration_seconds_count{operation="streams.append"}'),
    ).toBeGreaterThanOrEqual(calls + 2);

    await transport.terminateSession().catch(() => {});
    await client.close();
  });
});

describe('telemetry.metrics.port', () => {
  it('serves /metrics on its own bind without authentication, and not on the hub’s port', async () => {
    const lines: Array<{ url?: string; msg: string }> = [];
    const logger = {
      child: () => logger,
      debug: () => {},
      info: (fields: object, msg: string) => lines.push({ ...fields, msg }),
      warn: () => {},
      error: () => {},
    };
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-metrics-bind-'));
    await using server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: { host: '127.0.0.1', port: 0, id: 'bind-hub' },
          store: 'memory:',
          auth: { apiKeys: [{ hash: await hashApiKey(generateApiKey()), subject: 'x' }] },
          telemetry: { metrics: { host: '127.0.0.1', port: 0 } },
        },
        'test.json',
        { env: {} },
      ),
      baseDirectory: directory,
      env: {},
      logger: logger as never,
    });
    const { url } = await server.listen();
    const metricsUrl = lines.find((line) => line.msg.startsWith('Prometheus metrics'))?.url;
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scraped = await fetch(metricsUrl as string);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('# TYPE fedmcp_requests_total counter');
    // On the hub's own port /metrics is not served (it falls through to the hub's routes).
    const onHub = await fetch(`${url.replace(/\/mcp$/, '')}/metrics`);
    expect(onHub.status).toBe(404);
    await rm(directory, { recursive: true, force: true });
  });
});

describe('listenMetrics', () => {
  it('serves /metrics without authentication on its own bind, and nothing else', async () => {
    const metrics = createHubMetrics({ upstreams: () => [{ id: 'one', state: 'down' }] });
    metrics.consent.inc({ outcome: 'asked' });
    await using listener = await listenMetrics({
      registry: metrics.registry,
      host: '127.0.0.1',
      port: 0,
    });
    const samples = parseExposition(await (await fetch(listener.url)).text());
    expect(samples.get('fedmcp_consent_total{outcome="asked"}')).toBe(1);
    expect(samples.get('fedmcp_upstream_circuit_open{upstream="one"}')).toBe(1);
    expect((await fetch(listener.url.replace('/metrics', '/mcp'))).status).toBe(404);
  });
});
