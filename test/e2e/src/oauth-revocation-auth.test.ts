/**
 * Issue 21: a logout revokes the hub's tokens at the authorization server (RFC 7009), and the
 * hub authenticates at the revocation endpoint exactly as at the token endpoint (RFC 7009 §2.1):
 * for each token endpoint auth method of a pre-registered client — `client_secret_basic`,
 * `client_secret_post`, `private_key_jwt` and `none` — `fedmcp auth login` (the library half)
 * gets tokens from a real `oidc-provider`, `fedmcp auth logout` revokes them there, and the
 * refresh token (the grant) is gone at the server. The server requires each client's own method.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type LogoutUpstreamOptions,
  loginUpstream,
  logoutUpstream,
  parseConfig,
} from '@fedmcp/server';
import { describe, expect, it } from 'vitest';
import {
  signIn,
  startAuthorizationServer,
  startProtectedUpstream,
} from './fixtures/oauth-upstream.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const secret = 'revocation-test-client-secret-5c4b3a2918';
const methods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

/** oidc-provider's pre-registered client for one method (a native app: any loopback port). */
const clientFor = (method: (typeof methods)[number]) => ({
  client_id: `hub-${method}`,
  application_type: 'native',
  redirect_uris: ['http://127.0.0.1/oauth/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: method,
  ...((method === 'client_secret_basic' || method === 'client_secret_post') && {
    client_secret: secret,
  }),
  ...(method === 'private_key_jwt' && {
    jwks: { keys: [{ ...publicKey.export({ format: 'jwk' }), alg: 'ES256', use: 'sig' }] },
  }),
});

/** A key/value store in memory (the hub's store interface, as `memory:` keeps it). */
function memoryKv() {
  const values = new Map<string, string>();
  let version = 0;
  return {
    get: async (key: string) => {
      const value = values.get(key);
      return value === undefined ? undefined : { key, value, version };
    },
    set: async (key: string, value: string) => {
      values.set(key, value);
      version += 1;
      return { key, value, version };
    },
    delete: async (key: string) => values.delete(key),
  };
}

describe('logout revokes at the authorization server with the token endpoint auth method', () => {
  it.each(methods)('%s', async (method) => {
    await using authorizationServer = await startAuthorizationServer({
      clients: methods.map(clientFor),
    });
    await using upstream = await startProtectedUpstream(authorizationServer.issuer, {
      publicCatalog: false,
    });
    const directory = await mkdtemp(join(tmpdir(), `fedmcp-revoke-${method}-`));
    try {
      const oauth = {
        mode: 'hub',
        clientId: `hub-${method}`,
        tokenEndpointAuthMethod: method,
        ...(method.startsWith('client_secret') && { clientSecret: secret }),
        ...(method === 'private_key_jwt' && { privateKey: privatePem }),
      };
      const configFile = join(directory, 'fedmcp.config.json');
      const config = parseConfig(
        { mcpServers: { docs: { url: upstream.url, oauth } } },
        configFile,
        {
          env: {},
          baseDirectory: directory,
        },
      );
      const kv = memoryKv();
      const keyFile = join(directory, 'oauth-credentials.key');
      let browsing: Promise<{ status: number }> | undefined;
      await loginUpstream({
        config,
        upstreamId: 'docs',
        kv,
        keyFile,
        onAuthorizationUrl: (url) => {
          const redirect = url.searchParams.get('redirect_uri') ?? '';
          browsing = signIn(url.href, 'operator', redirect);
        },
      });
      expect((await browsing)?.status).toBe(200);
      expect(authorizationServer.grants).toEqual(['authorization_code:200']);
      const refreshToken = authorizationServer.issued.at(-1) ?? '';
      expect(await authorizationServer.refreshTokenIsValid(refreshToken)).toBe(true);

      const audit: unknown[] = [];
      const loggedOut = await logoutUpstream({
        config,
        upstreamId: 'docs',
        kv,
        keyFile,
        audit: {
          record: async (event: unknown) => void audit.push(event),
        } as unknown as NonNullable<LogoutUpstreamOptions['audit']>,
      });
      expect(loggedOut).toBe(true);
      // The server authenticated the client by its own method and revoked the grant.
      expect(authorizationServer.revocations).toEqual([200]);
      expect(await authorizationServer.refreshTokenIsValid(refreshToken)).toBe(false);
      expect(audit).toMatchObject([
        { action: 'oauth.logout', details: { atAuthorizationServer: 'revoked' } },
      ]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
