/**
 * Token introspection (RFC 7662) against a real authorization server: `oidc-provider` on loopback
 * with opaque access tokens, its introspection and revocation endpoints. Tokens are minted by the
 * provider's own token model (what its token endpoint does after a user's consent), so no browser
 * is needed here; the browser flow is in test/e2e.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FedmcpError } from '@fedmcp/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthenticators, parseAuthConfig } from './auth-config.js';
import { authenticateRequest } from './authenticate-request.js';
import { createTokenIntrospector, type TokenIntrospectorOptions } from './introspection.js';

const resource = 'https://hub.example.test/mcp';
const hubSecret = 'hub-introspection-secret-0123456789';

// oidc-provider ships no types; it is only driven through the calls below.
// biome-ignore lint/suspicious/noExplicitAny: untyped test dependency
type Provider = any;
let provider: Provider;
let issuer: string;
let stop: () => Promise<void>;
let introspectionRequests = 0;
const countingFetch: typeof fetch = (input, init) => {
  if (String(input).endsWith('/token/introspection')) introspectionRequests += 1;
  return fetch(input, init);
};

beforeAll(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { default: OidcProvider } = (await import('oidc-provider' as string)) as {
    default: new (issuer: string, configuration: unknown) => Provider;
  };
  provider = new OidcProvider(issuer, {
    clients: [
      {
        client_id: 'hub',
        client_secret: hubSecret,
        grant_types: [],
        redirect_uris: [],
        response_types: [],
      },
      {
        client_id: 'app',
        client_secret: 'app-secret-0123456789abcdef',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
      },
    ],
    features: {
      introspection: { enabled: true },
      revocation: { enabled: true },
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        getResourceServerInfo: () => ({
          scope: 'mcp:tools',
          audience: resource,
          accessTokenFormat: 'opaque',
        }),
      },
    },
    scopes: ['mcp:tools'],
  });
  server.on('request', provider.callback());
  stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
});

afterAll(() => stop());

/** An opaque access token for `subject`, as the provider's token endpoint would issue it. */
async function mintToken(subject: string, audience = resource): Promise<string> {
  const client = await provider.Client.find('app');
  const grant = new provider.Grant({ accountId: subject, clientId: 'app' });
  grant.addResourceScope(audience, 'mcp:tools');
  const grantId = await grant.save();
  const token = new provider.AccessToken({
    accountId: subject,
    client,
    grantId,
    gty: 'authorization_code',
    scope: 'mcp:tools',
  });
  token.resourceServer = new provider.ResourceServer(audience, {
    scope: 'mcp:tools',
    audience,
    accessTokenFormat: 'opaque',
  });
  token.setAudience(audience);
  return token.save();
}

function introspector(options: Partial<TokenIntrospectorOptions> = {}) {
  return createTokenIntrospector({
    issuer,
    audience: resource,
    clientId: 'hub',
    clientSecret: hubSecret,
    fetch: countingFetch,
    ...options,
  });
}

function reasonOf(error: unknown): unknown {
  return FedmcpError.isInstance(error) ? error.data?.reason : error;
}

describe('createTokenIntrospector', () => {
  it('accepts an active opaque token, the endpoint discovered from the issuer metadata', async () => {
    const token = await mintToken('alice');
    const principal = await introspector().introspect(token);
    expect(principal).toMatchObject({
      subject: 'alice',
      issuer,
      scopes: ['mcp:tools'],
      authMethod: 'oauth',
    });
  });

  it('reuses an answer until its age limit, then sees the revocation (inactive → 401 reason)', async () => {
    let clock = Date.now();
    const check = introspector({ cacheMaxAgeSeconds: 60, now: () => clock });
    const token = await mintToken('bob');
    await check.introspect(token);
    const before = introspectionRequests;
    await check.introspect(token);
    expect(introspectionRequests).toBe(before);
    const revoked = await fetch(`${issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token,
        client_id: 'app',
        client_secret: 'app-secret-0123456789abcdef',
      }),
    });
    expect(revoked.status).toBe(200);
    // Within the age limit the cached answer stands (documented: up to cacheMaxAgeSeconds).
    await check.introspect(token);
    clock += 61_000;
    const refusal = await check.introspect(token).catch((error: unknown) => error);
    expect(reasonOf(refusal)).toBe('the token is not active');
    expect((refusal as FedmcpError).code).toBe('UNAUTHENTICATED');
  });

  it('keeps at most cacheMaxEntries answers', async () => {
    const check = introspector({ cacheMaxEntries: 2, endpoint: `${issuer}/token/introspection` });
    const tokens = [await mintToken('c1'), await mintToken('c2'), await mintToken('c3')];
    for (const token of tokens) await check.introspect(token);
    const before = introspectionRequests;
    await check.introspect(tokens[2]!);
    expect(introspectionRequests).toBe(before);
    await check.introspect(tokens[0]!);
    expect(introspectionRequests).toBe(before + 1);
  });

  it('refuses a token for another audience, an unknown token and a subject-less client token', async () => {
    const check = introspector();
    const other = await mintToken('dave', 'https://other.example.test/api');
    expect(reasonOf(await check.introspect(other).catch((error) => error))).toBe(
      'the token is meant for another audience',
    );
    expect(reasonOf(await check.introspect('not-a-token-at-all').catch((error) => error))).toBe(
      'the token is not active',
    );
    const issued = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: 'app',
        client_secret: 'app-secret-0123456789abcdef',
        resource,
        scope: 'mcp:tools',
      }),
    });
    const { access_token: clientToken } = (await issued.json()) as { access_token: string };
    expect(reasonOf(await check.introspect(clientToken).catch((error) => error))).toBe(
      'the token has no subject',
    );
  });

  it('says which setting to check when the hub cannot authenticate to the endpoint', async () => {
    const check = introspector({
      clientSecret: 'wrong-secret',
      clientAuthMethod: 'client_secret_post',
    });
    const error = await check.introspect(await mintToken('erin')).catch((caught) => caught);
    expect((error as FedmcpError).code).toBe('UPSTREAM_UNAVAILABLE');
    expect((error as Error).message).toMatch(/HTTP 401.*auth\.oauth\.introspection/);
    expect((error as Error).message).not.toContain('wrong-secret');
  });
});

describe('auth.oauth.introspection', () => {
  it('authenticates opaque tokens through authenticateRequest, with a 401 reason when inactive', async () => {
    const config = parseAuthConfig({
      oauth: { issuer, introspection: { clientId: 'hub', clientSecret: hubSecret } },
    });
    const { authenticators } = createAuthenticators(config, { resource });
    const token = await mintToken('frank');
    const principal = await authenticateRequest(
      { headers: { authorization: `Bearer ${token}` } },
      authenticators,
    );
    expect(principal.subject).toBe('frank');
    const refusal = await authenticateRequest(
      { headers: { authorization: 'Bearer opaque-but-unknown' } },
      authenticators,
    ).catch((error: unknown) => error);
    expect((refusal as FedmcpError).data?.httpStatus).toBe(401);
    expect((refusal as FedmcpError).data?.wwwAuthenticate).toContain(
      'error_description="the token is not active"',
    );
  });

  it('names the key of a bad introspection setting', () => {
    expect(() =>
      parseAuthConfig({
        oauth: { issuer: 'https://as.example', introspection: { clientId: 'hub' } },
      }),
    ).toThrow(/auth\.oauth\.introspection\.clientSecret/);
  });
});
