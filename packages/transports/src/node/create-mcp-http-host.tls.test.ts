import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { createTestCertificates, type TestCertificates } from '@fedmcp/test-support';
import { Server } from '@modelcontextprotocol/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createMcpHttpHost } from './create-mcp-http-host.js';
import { peerCertificateOf, type RequestPeerCertificate } from './peer-certificate.js';

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'tls-client', version: '1.0.0' },
  },
});

function createServer(): Server {
  return new Server({ name: 'tls-test-server', version: '1.0.0' }, { capabilities: {} });
}

function post(
  port: number,
  options: { ca: string; cert?: string; key?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/mcp',
        ca: options.ca,
        ...(options.cert ? { cert: options.cert, key: options.key } : {}),
        agent: false,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    request.on('error', reject);
    request.end(initialize);
  });
}

function serverFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('createMcpHttpHost with tls', () => {
  let pki: TestCertificates;
  beforeAll(async () => {
    pki = await createTestCertificates();
  }, 60_000);
  afterAll(async () => {
    await pki?.remove();
  });

  it('serves HTTPS and WSS and hands the verified client certificate to authenticate', async () => {
    const { readFile } = await import('node:fs/promises');
    const seen: Array<RequestPeerCertificate | undefined> = [];
    const client = await pki.client('ci-bot');
    await using host = createMcpHttpHost({
      createServer,
      tls: {
        cert: await readFile(pki.serverCertFile),
        key: await readFile(pki.serverKeyFile),
        ca: pki.caCert,
        requestClientCert: true,
      },
      authenticate: (request) => {
        seen.push(peerCertificateOf(request));
        return { subject: 'someone' };
      },
    });
    const { url, port } = await host.listen();
    expect(url).toBe(`https://127.0.0.1:${port}`);

    const withCertificate = await post(port, { ca: pki.caCert, ...client });
    expect(withCertificate.status).toBe(200);
    expect(withCertificate.body).toContain('tls-test-server');
    expect(seen.at(-1)?.peerCertificateAuthorized).toBe(true);
    expect(seen.at(-1)?.peerCertificate.subject?.CN).toBe('ci-bot');

    expect((await post(port, { ca: pki.caCert })).status).toBe(200);
    expect(seen.at(-1)).toBeUndefined();

    const webSocket = new WebSocket(`wss://127.0.0.1:${port}/ws`, 'mcp', {
      ca: pki.caCert,
      cert: client.cert,
      key: client.key,
    });
    const reply = await new Promise<string>((resolve, reject) => {
      webSocket.on('open', () => webSocket.send(initialize));
      webSocket.on('message', (data) => resolve(String(data)));
      webSocket.on('error', reject);
    });
    webSocket.close();
    expect(JSON.parse(reply).result.serverInfo.name).toBe('tls-test-server');
    expect(seen.at(-1)?.peerCertificate.subject?.CN).toBe('ci-bot');
  }, 30_000);

  it('reports an unverified client certificate as not authorized', async () => {
    const seen: Array<RequestPeerCertificate | undefined> = [];
    const other = await createTestCertificates();
    try {
      const stranger = await other.client('stranger');
      const { readFile } = await import('node:fs/promises');
      await using host = createMcpHttpHost({
        createServer,
        tls: {
          cert: await readFile(pki.serverCertFile),
          key: await readFile(pki.serverKeyFile),
          ca: pki.caCert,
          requestClientCert: true,
        },
        authenticate: (request) => {
          seen.push(peerCertificateOf(request));
          return undefined;
        },
      });
      const { port } = await host.listen();
      expect((await post(port, { ca: pki.caCert, ...stranger })).status).toBe(200);
      expect(seen.at(-1)?.peerCertificateAuthorized).toBe(false);
    } finally {
      await other.remove();
    }
  }, 60_000);

  it('replaces its certificate with setSecureContext', async () => {
    const { readFile } = await import('node:fs/promises');
    await using host = createMcpHttpHost({
      createServer,
      tls: { cert: await readFile(pki.serverCertFile), key: await readFile(pki.serverKeyFile) },
    });
    const { port } = await host.listen();
    const before = await serverFingerprint(port, pki.caCert);
    const next = await pki.server('rotated');
    host.setSecureContext({ cert: next.cert, key: await readFile(next.keyFile) });
    const after = await serverFingerprint(port, pki.caCert);
    expect(after).not.toBe(before);
    expect((await post(port, { ca: pki.caCert })).status).toBe(200);
  }, 30_000);

  it('refuses setSecureContext on a plain HTTP host', async () => {
    await using host = createMcpHttpHost({ createServer });
    expect(() => host.setSecureContext({ cert: 'x', key: 'y' })).toThrow(/plain HTTP/);
  });
});
