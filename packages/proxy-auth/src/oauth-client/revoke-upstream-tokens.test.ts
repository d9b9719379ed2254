import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { oauthCredentialKey } from './oauth-credential-store.js';
import { revokeUpstreamTokens } from './revoke-upstream-tokens.js';

/** A revocation endpoint on loopback that records each request and answers `status`. */
async function startRevocationEndpoint(status = 200) {
  const requests: { authorization?: string; body: URLSearchParams }[] = [];
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      requests.push({
        ...(request.headers.authorization && { authorization: request.headers.authorization }),
        body: new URLSearchParams(body),
      });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/revoke`,
    requests,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const credentialsFor = (endpoint: string | undefined, client: Record<string, string>) => ({
  tokens: { access_token: 'at-1', token_type: 'Bearer', refresh_token: 'rt-1' },
  clientInformation: { client_id: 'hub-client', ...client },
  discoveryState: {
    authorizationServerUrl: 'http://127.0.0.1',
    authorizationServerMetadata: {
      issuer: 'http://127.0.0.1',
      authorization_endpoint: 'http://127.0.0.1/auth',
      token_endpoint: 'http://127.0.0.1/token',
      response_types_supported: ['code'],
      ...(endpoint && { revocation_endpoint: endpoint }),
    },
  },
});

describe('revokeUpstreamTokens', () => {
  it('revokes the refresh token (its grant) with the client secret (basic)', async () => {
    await using endpoint = await startRevocationEndpoint();
    const outcome = await revokeUpstreamTokens(
      credentialsFor(endpoint.url, { client_secret: 's3cret' }),
    );
    expect(outcome).toBe('revoked');
    const hints = endpoint.requests.map((request) => [
      request.body.get('token'),
      request.body.get('token_type_hint'),
    ]);
    expect(hints).toEqual([['rt-1', 'refresh_token']]);
    expect(endpoint.requests[0]?.authorization).toBe(`Basic ${btoa('hub-client:s3cret')}`);
    expect(endpoint.requests[0]?.body.get('client_secret')).toBeNull();
  });

  it('sends a public client its id, and the configured secret for client_secret_post', async () => {
    await using endpoint = await startRevocationEndpoint();
    expect(await revokeUpstreamTokens(credentialsFor(endpoint.url, {}))).toBe('revoked');
    expect(endpoint.requests[0]?.body.get('client_id')).toBe('hub-client');
    expect(endpoint.requests[0]?.authorization).toBeUndefined();
    const post = credentialsFor(endpoint.url, { token_endpoint_auth_method: 'client_secret_post' });
    expect(await revokeUpstreamTokens(post, { clientSecret: 'configured' })).toBe('revoked');
    expect(endpoint.requests.at(-1)?.body.get('client_secret')).toBe('configured');
    // Without a refresh token: the access token.
    const accessOnly = credentialsFor(endpoint.url, {});
    delete (accessOnly.tokens as { refresh_token?: string }).refresh_token;
    expect(await revokeUpstreamTokens(accessOnly)).toBe('revoked');
    expect(endpoint.requests.at(-1)?.body.get('token_type_hint')).toBe('access_token');
  });

  it('signs a private_key_jwt assertion (audience: the issuer) as at the token endpoint', async () => {
    await using endpoint = await startRevocationEndpoint();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const config = {
      clientId: 'hub-client',
      tokenEndpointAuthMethod: 'private_key_jwt' as const,
      privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    };
    const credentials = credentialsFor(endpoint.url, {
      token_endpoint_auth_method: 'private_key_jwt',
    });
    expect(await revokeUpstreamTokens(credentials, { config })).toBe('revoked');
    const body = endpoint.requests[0]?.body;
    expect(body?.get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    );
    const [, payload = ''] = (body?.get('client_assertion') ?? '').split('.');
    expect(JSON.parse(Buffer.from(payload, 'base64url').toString())).toMatchObject({
      iss: 'hub-client',
      sub: 'hub-client',
      aud: 'http://127.0.0.1',
    });
    expect(endpoint.requests[0]?.authorization).toBeUndefined();
    // Registered for private_key_jwt but no key in the config: nothing is sent.
    expect(await revokeUpstreamTokens(credentials)).toBe('failed');
    expect(endpoint.requests).toHaveLength(1);
  });

  it('leaves servers without a revocation endpoint alone, and says when one refuses', async () => {
    expect(await revokeUpstreamTokens(credentialsFor(undefined, {}))).toBe('unsupported');
    expect(await revokeUpstreamTokens(undefined)).toBe('unsupported');
    await using refusing = await startRevocationEndpoint(400);
    expect(await revokeUpstreamTokens(credentialsFor(refusing.url, {}))).toBe('failed');
    expect(await revokeUpstreamTokens(credentialsFor('http://127.0.0.1:1/revoke', {}))).toBe(
      'failed',
    );
  });
});

describe('oauthCredentialKey', () => {
  it('keeps two issuers’ same subject apart, and a subject without issuer where it was', () => {
    const a = oauthCredentialKey('docs', { subject: 'alice', issuer: 'https://a.example' });
    const b = oauthCredentialKey('docs', { subject: 'alice', issuer: 'https://b.example' });
    const plain = oauthCredentialKey('docs', { subject: 'alice' });
    expect(new Set([a, b, plain]).size).toBe(3);
    expect(plain).toBe('oauth:docs:user:alice');
    // No subject can spell another holder's key.
    expect(oauthCredentialKey('docs', { subject: 'https%3A%2F%2Fa.example:alice' })).not.toBe(a);
    expect(oauthCredentialKey('docs', { subject: 'https://a.example:alice' })).not.toBe(a);
    expect(oauthCredentialKey('docs', 'hub')).not.toBe(
      oauthCredentialKey('docs', { subject: 'hub' }),
    );
  });
});
