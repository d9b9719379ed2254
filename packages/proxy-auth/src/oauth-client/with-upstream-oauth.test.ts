import type { FetchLike } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { createMemoryOAuthCredentialStore, oauthCredentialKey } from './oauth-credential-store.js';
import { upstreamOAuthConfigSchema } from './upstream-oauth-config.js';
import { createUpstreamOAuthProvider } from './upstream-oauth-provider.js';
import { withUpstreamOAuth } from './with-upstream-oauth.js';

const serverUrl = 'https://mcp.example.com/mcp';
const key = oauthCredentialKey('docs', 'hub');

async function providerWithToken() {
  const store = createMemoryOAuthCredentialStore();
  await store.save(key, { tokens: { access_token: 'docs-token', token_type: 'Bearer' } });
  return createUpstreamOAuthProvider({
    config: upstreamOAuthConfigSchema.parse({}),
    store,
    key,
    redirectUrl: 'https://hub.example.com/oauth/callback',
  });
}

describe('withUpstreamOAuth', () => {
  it("sends the holder's token to the upstream's origin only", async () => {
    const seen: Array<{ url: string; authorization: string | null }> = [];
    const recording: FetchLike = async (url, init) => {
      seen.push({
        url: String(url),
        authorization: new Headers(init?.headers).get('authorization'),
      });
      return new Response('{}', { status: 200 });
    };
    const fetch = withUpstreamOAuth(recording, {
      provider: await providerWithToken(),
      serverUrl,
      authorize: () => Promise.reject(new Error('not expected')),
    });
    await fetch(serverUrl, { method: 'POST' });
    await fetch('https://elsewhere.example.com/mcp', { method: 'POST' });
    await fetch('http://mcp.example.com/mcp', { method: 'POST' });
    expect(seen).toEqual([
      { url: serverUrl, authorization: 'Bearer docs-token' },
      { url: 'https://elsewhere.example.com/mcp', authorization: null },
      { url: 'http://mcp.example.com/mcp', authorization: null },
    ]);
  });

  it('fails the request with what authorize rejects with, once, for concurrent requests', async () => {
    const store = createMemoryOAuthCredentialStore();
    const provider = createUpstreamOAuthProvider({
      config: upstreamOAuthConfigSchema.parse({ clientId: 'hub-client' }),
      store,
      key,
      redirectUrl: 'https://hub.example.com/oauth/callback',
    });
    const metadata = {
      issuer: 'https://as.example.com',
      authorization_endpoint: 'https://as.example.com/authorize',
      token_endpoint: 'https://as.example.com/token',
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
    };
    const upstreamAndServer: FetchLike = async (url) => {
      const { pathname, origin } = new URL(String(url));
      if (pathname === '/.well-known/oauth-protected-resource/mcp') {
        return Response.json({ resource: serverUrl, authorization_servers: [metadata.issuer] });
      }
      if (origin === metadata.issuer && pathname.startsWith('/.well-known/')) {
        return Response.json(metadata);
      }
      if (String(url) === serverUrl) {
        return new Response(null, {
          status: 401,
          headers: { 'www-authenticate': 'Bearer scope="docs:read"' },
        });
      }
      return new Response(null, { status: 404 });
    };
    const asked: URL[] = [];
    const fetch = withUpstreamOAuth(upstreamAndServer, {
      provider,
      serverUrl,
      authorize: async (url) => {
        asked.push(url);
        throw new Error('Open the authorization URL to connect "docs".');
      },
    });
    const results = await Promise.allSettled([
      fetch(serverUrl, { method: 'POST' }),
      fetch(serverUrl, { method: 'POST' }),
    ]);
    expect(asked).toHaveLength(1);
    expect(asked[0]?.searchParams.get('client_id')).toBe('hub-client');
    expect(asked[0]?.searchParams.get('scope')).toBe('docs:read');
    expect(asked[0]?.searchParams.get('resource')).toBe(serverUrl);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { message: /Open the/ } });
    // The second request waited for the first's authorization, then got the upstream's 401.
    expect(results[1]).toMatchObject({ status: 'fulfilled', value: { status: 401 } });
  });

  it('refuses an authorization response whose state does not match', async () => {
    const provider = await providerWithToken();
    await provider.invalidateCredentials?.('tokens');
    const metadata = {
      issuer: 'https://as.example.com',
      authorization_endpoint: 'https://as.example.com/authorize',
      token_endpoint: 'https://as.example.com/token',
      registration_endpoint: 'https://as.example.com/register',
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
    };
    const base: FetchLike = async (url) => {
      const { pathname } = new URL(String(url));
      if (pathname === '/.well-known/oauth-protected-resource/mcp') {
        return Response.json({ resource: serverUrl, authorization_servers: [metadata.issuer] });
      }
      if (pathname.startsWith('/.well-known/')) return Response.json(metadata);
      if (pathname === '/register') {
        return Response.json({
          client_id: 'registered',
          redirect_uris: ['https://hub.example.com/oauth/callback'],
        });
      }
      return new Response(null, { status: 401 });
    };
    const fetch = withUpstreamOAuth(base, {
      provider,
      serverUrl,
      authorize: async () => ({ code: 'stolen-code', state: 'someone-elses-state' }),
    });
    await expect(fetch(serverUrl, { method: 'POST' })).rejects.toThrow(/state mismatch/);
  });
});
