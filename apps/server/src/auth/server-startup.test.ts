import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FedmcpConfigInput } from '../config/config-schema.js';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';
import { checkAnonymousAccess } from './server-authentication.js';
import { captureLogger, connectClient } from './test-fixtures.js';

const config = (input: FedmcpConfigInput) => parseConfig(input, 'test.json', { env: {} });

describe('createFedmcpServer startup rules and reloads', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-startup-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('refuses to start on a reachable address without authentication, saying how to fix it', async () => {
    const attempt = createFedmcpServer({
      config: config({ hub: { host: '0.0.0.0', port: 0 }, store: 'memory:' }),
      baseDirectory: directory,
    });
    await expect(attempt).rejects.toThrow(/0\.0\.0\.0.*no authentication configured/s);
    await expect(attempt).rejects.toThrow(/listen on 127\.0\.0\.1|auth\.anonymous: true/);
  });

  it('starts on a reachable address when trusted peers are its only callers, refusing anonymous ones', async () => {
    await using server = await createFedmcpServer({
      config: config({
        hub: { host: '0.0.0.0', port: 0 },
        store: 'memory:',
        peers: { eu: { url: 'https://eu.example.com', fingerprint: 'SHA256:abc' } },
      }),
      baseDirectory: directory,
    });
    expect(Object.keys(server.config.peers ?? {})).toEqual(['eu']);
    expect(checkAnonymousAccess(server.config).allowAnonymous).toBe(false);
  });

  it('starts on a reachable address when anonymous access is explicit', async () => {
    await using server = await createFedmcpServer({
      config: config({
        hub: { host: '0.0.0.0', port: 0 },
        store: 'memory:',
        auth: { anonymous: true },
      }),
      baseDirectory: directory,
    });
    expect(server.config.auth?.anonymous).toBe(true);
  });

  it('serves anonymous callers on loopback without auth, with a startup warning', async () => {
    const logs = captureLogger();
    await using server = await createFedmcpServer({
      config: config({ hub: { host: '127.0.0.1', port: 0 }, store: 'memory:' }),
      baseDirectory: directory,
      logger: logs.logger,
    });
    const { url } = await server.listen();
    expect(logs.output()).toMatch(/"level":40.*No authentication is configured/);
    const client = await connectClient(url, 'streamable-http', {});
    try {
      await client.ping();
    } finally {
      await client.close();
    }
    expect(server.authentication?.allowAnonymous).toBe(true);
  }, 30_000);

  it('refuses auth.anonymous: false with nothing configured to authenticate', async () => {
    await expect(
      createFedmcpServer({
        config: config({ store: 'memory:', auth: { anonymous: false } }),
        baseDirectory: directory,
      }),
    ).rejects.toThrow(/no caller could be accepted/);
  });

  it('reloads API keys and policy with applyConfig, keeping the old ones on a bad config', async () => {
    const first = generateApiKey();
    const second = generateApiKey();
    const base = { hub: { host: '127.0.0.1', port: 0 }, store: 'memory:' } as const;
    await using server = await createFedmcpServer({
      config: config({
        ...base,
        auth: { apiKeys: [{ hash: await hashApiKey(first), subject: 'first' }] },
      }),
      baseDirectory: directory,
    });
    const { url } = await server.listen();
    const statusWith = async (key: string) => {
      const response = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: {
          'x-api-key': key,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'raw', version: '1.0.0' },
          },
        }),
      });
      await response.body?.cancel();
      return response.status;
    };
    expect(await statusWith(first)).toBe(200);
    expect(await statusWith(second)).toBe(401);
    expect(server.policy.rules).toHaveLength(0);

    await server.applyConfig(
      config({
        ...base,
        auth: { apiKeys: [{ hash: await hashApiKey(second), subject: 'second' }] },
        policy: {
          rules: [{ effect: 'allow', subjects: ['user:second'], actions: ['tools/*'] }],
        },
      }),
    );
    expect(await statusWith(first)).toBe(401);
    expect(await statusWith(second)).toBe(200);
    expect(server.policy.rules).toHaveLength(1);

    await expect(
      server.applyConfig(config({ ...base, auth: { anonymous: false } })),
    ).rejects.toThrow(/no caller could be accepted/);
    expect(await statusWith(second)).toBe(200);
    expect(server.policy.rules).toHaveLength(1);
  }, 30_000);
});

describe('config sections', () => {
  it('names the bad key of auth, policy and hub.tls', () => {
    let message = '';
    try {
      config({
        hub: { tls: { cert: 'a.pem' } } as never,
        auth: { apiKeys: [{ hash: 'fmk_plain', subject: 'x' }] },
        policy: { rules: [{ effect: 'maybe', subjects: ['*'], actions: ['tools/call'] }] } as never,
      });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/hub\.tls\.key: /);
    expect(message).toMatch(/auth\.apiKeys\[0\]\.hash: expected a "sha256:…" digest/);
    expect(message).toMatch(/policy\.rules\[0\]\.effect: /);
  });
});
