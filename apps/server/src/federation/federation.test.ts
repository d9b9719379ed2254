import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDiscoveryDocument } from '@fedmcp/protocol';
import {
  createHubKeyring,
  createPeerTokenCache,
  createPeerTokenFetch,
  generateHubKey,
  mintPeerToken,
  readAuditEvents,
} from '@fedmcp/proxy-auth';
import { writeHubKeys } from '@fedmcp/proxy-auth/node';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/config-error.js';
import type { FedmcpConfigInput } from '../config/config-schema.js';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer, type FedmcpServer } from '../create-fedmcp-server.js';
import { trustedPeersOf } from './federation-from-config.js';

async function startHub(
  directory: string,
  hub: FedmcpConfigInput['hub'],
  extra: Partial<FedmcpConfigInput> = {},
): Promise<{ server: FedmcpServer; url: string }> {
  const config = parseConfig(
    { hub: { host: '127.0.0.1', port: 0, ...hub }, store: 'memory:', ...extra },
    'test',
  );
  const server = await createFedmcpServer({ config, baseDirectory: directory });
  const { url } = await server.listen();
  return { server, url: url.replace(/\/mcp$/, '') };
}

describe('federation routes and peer authentication', () => {
  let directory: string;
  let home: { server: FedmcpServer; url: string };
  let eu: { server: FedmcpServer; url: string };

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-federation-'));
    home = await startHub(join(directory, 'home'), { id: 'home', name: 'Home hub' });
    eu = await startHub(
      join(directory, 'eu'),
      { id: 'eu' },
      {
        auth: { anonymous: false, apiKeys: [{ hash: `sha256:${'A'.repeat(43)}`, subject: 'x' }] },
        peers: { home: { url: `${home.url}/mcp`, acceptGroups: true } },
      },
    );
  }, 30_000);

  afterAll(async () => {
    await eu?.server.close();
    await home?.server.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('serves a discovery document that parses with the protocol schema', async () => {
    const response = await fetch(`${home.url}/.well-known/mcp-federation`);
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const document = parseDiscoveryDocument(await response.json());
    expect(document).toEqual({
      hubId: 'home',
      name: 'Home hub',
      version: '0.1.0',
      endpoint: `${home.url}/mcp`,
      transports: [
        { type: 'streamable-http', url: `${home.url}/mcp` },
        { type: 'sse', url: `${home.url}/sse` },
        { type: 'websocket', url: `${home.url.replace(/^http/, 'ws')}/ws` },
      ],
      jwksUri: `${home.url}/.well-known/jwks.json`,
      protocolVersions: ['2025-11-25', '2026-07-28'],
      maxHops: 4,
    });
  });

  it('serves the JWKS of the keys generated on first use (memory store; file mode 0600)', async () => {
    const response = await fetch(`${home.url}/.well-known/jwks.json`);
    expect(response.status).toBe(200);
    const jwks = (await response.json()) as { keys: Array<Record<string, unknown>> };
    const keyring = await home.server.identity.keyring();
    expect(jwks).toEqual(keyring.jwks());
    expect(jwks.keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: keyring.current.kid });
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(home.server.identity.path).toBe(join(directory, 'home', '.fedmcp', 'hub-keys.json'));
    expect((await stat(home.server.identity.path)).mode & 0o777).toBe(0o600);
  });

  it('accepts peer tokens of a configured peer: the principal carries the user and the hubs', async () => {
    const keyring = await home.server.identity.keyring();
    const cache = createPeerTokenCache({ keyring, issuer: 'home' });
    const client = new Client({ name: 'peer-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${eu.url}/mcp`), {
        fetch: createPeerTokenFetch({
          cache,
          audience: 'eu',
          subject: 'alice',
          actorChain: ['edge'],
          groups: ['dev'],
        }),
      }),
    );
    await expect(client.listTools()).resolves.toEqual({ tools: [] });
    await client.close();
    const events = await readAuditEvents(eu.server.store.streams);
    const success = events
      .map((entry) => entry.event)
      .find((event) => event.type === 'auth' && event.outcome === 'success');
    expect(success?.principal).toMatchObject({
      subject: 'alice',
      issuer: 'home',
      authMethod: 'peer',
      via: ['home', 'edge'],
    });
  });

  it('refuses with 401: a replayed token, another audience, an unknown issuer', async () => {
    const keyring = await home.server.identity.keyring();
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-11-25',
        capabilities: {},
        clientInfo: { name: 'raw', version: '1' },
      },
    });
    const post = (token: string) =>
      fetch(`${eu.url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: initialize,
      });
    const once = await mintPeerToken({ keyring, issuer: 'home', audience: 'eu', subject: 'alice' });
    const first = await post(once.token);
    expect(first.status).toBe(200);
    await first.body?.cancel();
    const replay = await post(once.token);
    expect(replay.status).toBe(401);
    expect(replay.headers.get('www-authenticate')).toContain('invalid_token');

    const elsewhere = await mintPeerToken({
      keyring,
      issuer: 'home',
      audience: 'us',
      subject: 'alice',
    });
    expect((await post(elsewhere.token)).status).toBe(401);
    const stranger = await mintPeerToken({
      keyring,
      issuer: 'evil',
      audience: 'eu',
      subject: 'alice',
    });
    expect((await post(stranger.token)).status).toBe(401);
  });

  it('keeps every call succeeding while the calling hub rotates its keys file', async () => {
    const identity = home.server.identity;
    const before = (await identity.keyring()).current.kid;
    // A fresh token per request, signed with whatever keyring the hub has at that moment.
    const fetchWithPeerToken: typeof fetch = async (input, init) => {
      const keyring = await identity.keyring();
      const { token } = await mintPeerToken({
        keyring,
        issuer: 'home',
        audience: 'eu',
        subject: 'bob',
      });
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    };
    const client = new Client({ name: 'rotation-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${eu.url}/mcp`), { fetch: fetchWithPeerToken }),
    );
    const calls: Promise<unknown>[] = [];
    for (let round = 0; round < 3; round += 1) {
      for (let index = 0; index < 5; index += 1) calls.push(client.listTools());
      const keyring = await identity.keyring();
      await keyring.rotate();
      await writeHubKeys(identity.path, keyring.stored());
    }
    const results = await Promise.allSettled(calls);
    await client.close();
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    // The running hub re-read the file: its JWKS publishes the three new keys and the old one.
    const jwks = (await (await fetch(`${home.url}/.well-known/jwks.json`)).json()) as {
      keys: Array<{ kid: string }>;
    };
    expect(jwks.keys).toHaveLength(4);
    expect(jwks.keys.map((key) => key.kid)).toContain(before);
  });

  it('applies a new peers section on reload: a newly trusted peer is accepted', async () => {
    const lab = await createHubKeyring({ keys: [await generateHubKey({ algorithm: 'ES256' })] });
    const status = async () => {
      const { token } = await mintPeerToken({
        keyring: lab,
        issuer: 'lab',
        audience: 'eu',
        subject: 'carol',
      });
      const response = await fetch(`${eu.url}/mcp`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
      });
      await response.body?.cancel();
      return response.status;
    };
    expect(await status()).toBe(401);
    const current = eu.server.config;
    await eu.server.applyConfig(
      parseConfig(
        {
          hub: { ...current.hub },
          store: current.store,
          auth: current.auth,
          peers: { ...current.peers, lab: { url: 'https://lab.example.com', keys: lab.jwks() } },
        },
        'reload',
      ),
    );
    expect(await status()).not.toBe(401);
  });

  it('creates the keys file at the first start of a hub on a durable store', async () => {
    const base = join(directory, 'durable');
    const config = parseConfig({ hub: { host: '127.0.0.1', port: 0 } }, 'durable');
    const server = await createFedmcpServer({ config, baseDirectory: base });
    try {
      const path = join(base, '.fedmcp', 'hub-keys.json');
      expect(server.identity.path).toBe(path);
      expect((await stat(path)).mode & 0o777).toBe(0o600);
    } finally {
      await server.close();
    }
  });

  it('refuses a plain-http peer that is not on this machine, naming the key', () => {
    const attempt = () =>
      parseConfig({ peers: { eu: { url: 'http://eu.example.com/mcp' } } }, 'fedmcp.config.json');
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/peers\.eu\.url: plain http:\/\/ .*allowInsecure/);
    expect(
      parseConfig(
        { peers: { eu: { url: 'http://eu.example.com/mcp', allowInsecure: true } } },
        'test',
      ).peers?.eu?.allowInsecure,
    ).toBe(true);
    expect(trustedPeersOf(eu.server.config).home).toEqual({
      url: `${home.url}/`,
      acceptGroups: true,
    });
    expect(parseConfig({ peers: { eu: { url: 'https://eu.example.com' } } }, 'test').peers).toEqual(
      {
        eu: { url: 'https://eu.example.com' },
      },
    );
  });
});
