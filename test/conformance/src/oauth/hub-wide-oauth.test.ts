/**
 * Issue 21, hub-wide tokens end to end: the hub's upstream connector (`createOAuthUpstreamConnector`
 * over `connectNodeUpstream`) against an MCP server protected by a real authorization server
 * (`oidc-provider`, loopback, DCR, PKCE, RFC 8707, JWT access tokens, rotating refresh tokens).
 * The operator's login is scripted over plain HTTP against oidc-provider's interaction pages.
 */
import { createOAuthUpstreamConnector } from '@fedmcp/federation';
import { connectNodeUpstream } from '@fedmcp/federation/node';
import {
  type AuthorizeUpstream,
  createEncryptedOAuthCredentialStore,
  createUpstreamOAuthProvider,
  generateOAuthCredentialKey,
  oauthCredentialKey,
  upstreamOAuthConfigSchema,
} from '@fedmcp/proxy-auth';
import { describe, expect, it } from 'vitest';
import { hubConnectOptions, mapStore, textOf } from './oauth-test-kit.js';
import { loginAndConsent, startAuthorizationServer } from './oidc-authorization-server.js';
import { startProtectedUpstream } from './protected-upstream.js';

const REDIRECT_URL = 'http://127.0.0.1:8787/oauth/callback';

describe('hub-wide OAuth to a protected upstream', () => {
  it('authorizes once, keeps the tokens encrypted, refreshes it without the operator, and asks again after the refresh token is revoked', async () => {
    await using authorizationServer = await startAuthorizationServer();
    await using upstream = await startProtectedUpstream(authorizationServer.issuer);
    const kv = mapStore();
    const store = createEncryptedOAuthCredentialStore({
      store: kv,
      key: generateOAuthCredentialKey(),
    });
    const key = oauthCredentialKey('docs', 'hub');
    const provider = createUpstreamOAuthProvider({
      config: upstreamOAuthConfigSchema.parse({ mode: 'hub' }),
      store,
      key,
      redirectUrl: REDIRECT_URL,
    });
    const authorizations: URL[] = [];
    const authorize: AuthorizeUpstream = (url) => {
      authorizations.push(url);
      return loginAndConsent(url, 'operator', REDIRECT_URL);
    };
    const connect = createOAuthUpstreamConnector({
      base: connectNodeUpstream,
      oauthFor: (spec) => (spec.url === upstream.url ? { provider, authorize } : undefined),
    });
    const client = await connect({ url: upstream.url }, hubConnectOptions());
    try {
      // One authorization: PKCE S256, the upstream as the resource, the challenge's scope.
      expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toBe(
        'subject=operator',
      );
      expect(authorizations).toHaveLength(1);
      const request = authorizations[0]?.searchParams;
      expect(request?.get('code_challenge_method')).toBe('S256');
      expect(request?.get('resource')).toBe(upstream.url);
      expect(request?.get('scope')?.split(' ')).toContain('mcp:tools');
      expect(authorizationServer.grants).toEqual(['authorization_code']);

      // At rest: encrypted, no token in the store's value.
      const first = upstream.tokensSeen.at(-1) ?? '';
      const raw = (await kv.get(key))?.value ?? '';
      expect(raw).not.toContain(first);
      const stored = await store.load(key);
      expect(stored?.tokens?.access_token).toBe(first);
      expect(stored?.tokens?.refresh_token).toBeTruthy();

      // The upstream stops accepting the access token: the hub refreshes, no operator needed.
      upstream.reject(first);
      expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toBe(
        'subject=operator',
      );
      expect(authorizations).toHaveLength(1);
      expect(authorizationServer.grants).toEqual(['authorization_code', 'refresh_token']);
      const refreshed = await store.load(key);
      expect(refreshed?.tokens?.access_token).not.toBe(first);
      // Rotation: a new refresh token replaced the used one.
      expect(refreshed?.tokens?.refresh_token).not.toBe(stored?.tokens?.refresh_token);

      // The refresh token dies (rotation makes the old one invalid; revoke the current one too):
      // the next refusal leads to a new authorization, not a loop.
      await revoke(authorizationServer.issuer, refreshed, REDIRECT_URL);
      upstream.reject(refreshed?.tokens?.access_token ?? '');
      expect(textOf(await client.callTool({ name: 'whoami', arguments: {} }))).toBe(
        'subject=operator',
      );
      expect(authorizations).toHaveLength(2);
      expect(authorizationServer.grants).toEqual([
        'authorization_code',
        'refresh_token',
        'refresh_token',
        'authorization_code',
      ]);
    } finally {
      await client.close();
    }
  });
});

/** RFC 7009 revocation of the stored refresh token, as the registered client. */
async function revoke(
  issuer: string,
  credentials: Awaited<ReturnType<ReturnType<typeof createEncryptedOAuthCredentialStore>['load']>>,
  _redirectUrl: string,
) {
  const client = credentials?.clientInformation;
  const token = credentials?.tokens?.refresh_token;
  if (!client || !token) throw new Error('nothing to revoke');
  const body = new URLSearchParams({ token, token_type_hint: 'refresh_token' });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.client_secret) {
    headers.authorization = `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}`;
  } else {
    body.set('client_id', client.client_id);
  }
  const response = await fetch(`${issuer}/token/revocation`, { method: 'POST', headers, body });
  expect(response.status).toBe(200);
}
