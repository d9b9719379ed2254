import { describe, expect, it } from 'vitest';
import { createDiscoveryDocument, createDiscoveryRoutes } from './create-discovery-routes.js';
import { createHubIdentity } from './create-hub-identity.js';
import { discoverPeer } from './discover-peer.js';

describe('createDiscoveryDocument', () => {
  it('derives every URL from the MCP endpoint', () => {
    expect(
      createDiscoveryDocument({
        hubId: 'eu',
        endpoint: 'https://eu.example.com/mcp',
        version: '1.2.3',
        transports: { sse: false },
      }),
    ).toMatchInlineSnapshot(`
      {
        "endpoint": "https://eu.example.com/mcp",
        "hubId": "eu",
        "jwksUri": "https://eu.example.com/.well-known/jwks.json",
        "maxHops": 4,
        "name": "fedmcp",
        "protocolVersions": [
          "2025-11-25",
          "2026-07-28",
        ],
        "transports": [
          {
            "type": "streamable-http",
            "url": "https://eu.example.com/mcp",
          },
          {
            "type": "websocket",
            "url": "wss://eu.example.com/ws",
          },
        ],
        "version": "1.2.3",
      }
    `);
  });
});

describe('createDiscoveryRoutes', async () => {
  const identity = await createHubIdentity();
  const document = createDiscoveryDocument({ hubId: 'eu', endpoint: 'https://eu.example.com/mcp' });
  const routes = createDiscoveryRoutes({ document: () => document, keyring: identity.keyring });

  it('serves the document and the key set, public and cacheable, and nothing else', async () => {
    const answer = await routes(new Request('https://eu.example.com/.well-known/mcp-federation'));
    expect(answer?.status).toBe(200);
    expect(answer?.headers.get('access-control-allow-origin')).toBe('*');
    expect(answer?.headers.get('cache-control')).toBe('public, max-age=60');
    expect(await answer?.json()).toEqual(document);
    const keys = await routes(new Request('https://eu.example.com/.well-known/jwks.json'));
    expect(keys?.headers.get('content-type')).toBe('application/jwk-set+json');
    expect(await keys?.json()).toEqual((await identity.keyring()).jwks());
    const head = await routes(
      new Request('https://eu.example.com/.well-known/jwks.json', { method: 'HEAD' }),
    );
    expect(head?.body).toBeNull();
    expect(Number(head?.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await routes(new Request('https://eu.example.com/mcp'))).toBeUndefined();
    expect(
      await routes(new Request('https://eu.example.com/.well-known/jwks.json', { method: 'POST' })),
    ).toBeUndefined();
  });

  it('is what discoverPeer reads: the hub id and the key fingerprints', async () => {
    const fetchFromRoutes: typeof fetch = async (input) =>
      (await routes(new Request(input))) ?? new Response(null, { status: 404 });
    const peer = await discoverPeer('https://eu.example.com/mcp', { fetch: fetchFromRoutes });
    expect(peer.document.hubId).toBe('eu');
    const [key] = (await identity.keyring()).published();
    expect(peer.fingerprints).toEqual([key?.fingerprint]);
    await expect(
      discoverPeer('https://eu.example.com/elsewhere/', {
        fetch: async () => new Response(null, { status: 404 }),
      }),
    ).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: 'https://eu.example.com/.well-known/mcp-federation answered HTTP 404',
    });
  });
});
