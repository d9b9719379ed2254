import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FedmcpConfigInput } from './config/config-schema.js';
import { parseConfig } from './config/load-config.js';
import { createFedmcpServer, type FedmcpServer } from './create-fedmcp-server.js';
import { apiKeyFor } from './federation/chain-fixtures.js';

/** A port nothing listens on (bound, read back, released). */
async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('/healthz and /readyz', () => {
  let directory: string;
  let admin: Awaited<ReturnType<typeof apiKeyFor>>;
  let deadUrl: string;
  const servers: FedmcpServer[] = [];

  /** A hub on 127.0.0.1:0 whose upstreams are all down: a missing program and a closed port. */
  async function startHub(failureMode: 'open' | 'closed' | undefined) {
    const input: FedmcpConfigInput = {
      hub: { host: '127.0.0.1', port: 0, id: 'h' },
      store: 'memory:',
      auth: { apiKeys: [admin.entry] },
      mcpServers: {
        missing: {
          command: 'fedmcp-test-no-such-program',
          env: { PATH: process.env.PATH ?? '' },
        },
        remote: { url: deadUrl, ...(failureMode ? { failureMode } : {}) },
      },
    };
    const server = await createFedmcpServer({
      config: parseConfig(input, 'health test'),
      baseDirectory: directory,
    });
    servers.push(server);
    const { url } = await server.listen();
    const base = url.replace(/\/mcp$/, '');
    await vi.waitFor(() =>
      expect(server.upstreams().map(({ state }) => state)).toEqual(['down', 'down']),
    );
    return { server, base };
  }

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-health-'));
    admin = await apiKeyFor('admin');
    deadUrl = `http://127.0.0.1:${await closedPort()}/mcp`;
  });

  afterAll(async () => {
    for (const server of servers.splice(0)) await server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('reports ready while an upstream is down in open failure mode', async () => {
    const { base } = await startHub(undefined);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const live = await fetch(`${base}/healthz`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ status: 'ok' });
  });

  it('reports not ready while a closed failure mode upstream is down', async () => {
    const { base } = await startHub('closed');
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not-ready' });
  });

  it('keeps upstream states and errors (the server’s PATH) out of the anonymous readiness body', async () => {
    const { base } = await startHub('closed');
    const text = await (await fetch(`${base}/readyz`)).text();
    expect(text).toBe('{"status":"not-ready"}');
    expect(text).not.toContain('missing');
  });

  it('adds the upstream states and errors for a caller authenticated as /status requires', async () => {
    const { server, base } = await startHub('closed');
    const answer = await fetch(`${base}/readyz`, {
      headers: { authorization: `Bearer ${admin.key}` },
    });
    expect(answer.status).toBe(503);
    const body = (await answer.json()) as {
      status: string;
      store: string;
      upstreams: Array<{ id: string; state: string; failureMode: string; error?: string }>;
    };
    expect(body).toMatchObject({
      status: 'not-ready',
      store: 'ok',
      upstreams: [
        { id: 'missing', state: 'down', failureMode: 'open' },
        { id: 'remote', state: 'down', failureMode: 'closed' },
      ],
    });
    expect(body.upstreams[0]?.error).toEqual(server.upstreams()[0]?.error);
    expect(body.upstreams[0]?.error).toBeTruthy();

    const refused = await fetch(`${base}/readyz`, {
      headers: { authorization: 'Bearer fedmcp_not-a-key' },
    });
    expect(refused.status).toBe(401);
    expect(await refused.text()).not.toContain('missing');
  });

  it('reports not ready when the store does not answer', async () => {
    const { server, base } = await startHub(undefined);
    await server.store.close();
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'not-ready' });
  });
});
