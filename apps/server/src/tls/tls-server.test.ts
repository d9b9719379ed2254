import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { Principal } from '@fedmcp/proxy-auth';
import { createTestCertificates, type TestCertificates } from '@fedmcp/test-support';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient } from '../auth/test-fixtures.js';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer, type FedmcpServer } from '../create-fedmcp-server.js';

function serverFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('createFedmcpServer with hub.tls', () => {
  let pki: TestCertificates;
  let directory: string;
  let server: FedmcpServer;
  let baseUrl: string;
  let port: number;
  let client: { cert: string; key: string };
  const principals: unknown[] = [];

  beforeAll(async () => {
    pki = await createTestCertificates();
    client = await pki.client('deploy-bot');
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-tls-server-'));
    // The hub reads its own copies, so the test can replace them.
    await copyFile(pki.serverCertFile, join(directory, 'hub.crt'));
    await copyFile(pki.serverKeyFile, join(directory, 'hub.key'));
    server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: {
            host: '127.0.0.1',
            port: 0,
            tls: { cert: 'hub.crt', key: 'hub.key', ca: pki.caCertFile, requestClientCert: true },
          },
          store: 'memory:',
          auth: {
            mtls: [
              {
                match: { commonName: '*-bot' },
                subject: 'svc:{cn}',
                groups: ['services'],
                scopes: ['admin'],
              },
            ],
          },
        },
        'test.json',
        { env: {} },
      ),
      baseDirectory: directory,
    });
    const createServer = server.hub.createServer.bind(server.hub);
    server.hub.createServer = (context) => {
      principals.push(context?.principal);
      return createServer(context);
    };
    ({ url: baseUrl, port } = await server.listen());
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await pki?.remove();
    await rm(directory, { recursive: true, force: true });
  });

  it('serves HTTPS with a canonical https resource URI', () => {
    expect(baseUrl).toBe(`https://127.0.0.1:${port}`);
    expect(server.authentication?.resource).toBe(`${baseUrl}/mcp`);
  });

  it('maps a client certificate to a principal over HTTPS (SDK client)', async () => {
    const agent = new Agent({ connect: { ca: pki.caCert, cert: client.cert, key: client.key } });
    const mcp = await connectClient(baseUrl, 'streamable-http', {}, ((input, init) =>
      undiciFetch(input as never, { ...(init as object), dispatcher: agent })) as typeof fetch);
    try {
      await mcp.ping();
      expect(principals.at(-1) as Principal).toMatchObject({
        subject: 'svc:deploy-bot',
        groups: ['services'],
        authMethod: 'mtls',
      });
    } finally {
      await mcp.close();
      await agent.close();
    }
  }, 30_000);

  it('maps a client certificate to a principal over WSS', async () => {
    const mcp = await connectClient(baseUrl, 'websocket', {}, fetch, {
      ca: pki.caCert,
      cert: client.cert,
      key: client.key,
    });
    try {
      await mcp.ping();
      expect(principals.at(-1)).toMatchObject({ subject: 'svc:deploy-bot', authMethod: 'mtls' });
    } finally {
      await mcp.close();
    }
  }, 30_000);

  it('lets a client certificate with the admin scope use /admin/v1, /metrics and /readyz details', async () => {
    const agent = new Agent({ connect: { ca: pki.caCert, cert: client.cert, key: client.key } });
    try {
      const upstreams = await undiciFetch(`${baseUrl}/admin/v1/upstreams`, { dispatcher: agent });
      expect(upstreams.status).toBe(200);
      expect(await upstreams.json()).toBeDefined();
      const metrics = await undiciFetch(`${baseUrl}/metrics`, { dispatcher: agent });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('# TYPE');
      const ready = await undiciFetch(`${baseUrl}/readyz`, { dispatcher: agent });
      expect(await ready.json()).toHaveProperty('store');
    } finally {
      await agent.close();
    }
  });

  it('refuses a TLS client without a certificate (401)', async () => {
    const agent = new Agent({ connect: { ca: pki.caCert } });
    try {
      const response = await undiciFetch(`${baseUrl}/mcp`, {
        method: 'POST',
        dispatcher: agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
      });
      expect(response.status).toBe(401);
      await response.body?.cancel();
    } finally {
      await agent.close();
    }
  });

  it('reloads the certificate when its files change', async () => {
    const before = await serverFingerprint(port, pki.caCert);
    const next = await pki.server('renewed');
    await copyFile(next.keyFile, join(directory, 'hub.key'));
    await copyFile(next.certFile, join(directory, 'hub.crt'));
    let after = before;
    for (let attempt = 0; attempt < 100 && after === before; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = await serverFingerprint(port, pki.caCert);
    }
    expect(after).not.toBe(before);
  }, 30_000);
});
