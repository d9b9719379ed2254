import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIENCE, type LocalIssuer, startLocalIssuer } from '../test/local-issuer.js';
import { generateApiKey, hashApiKey } from './api-keys.js';
import { createAuthenticators, parseAuthConfig } from './auth-config.js';
import { authenticateRequest } from './authenticate-request.js';
import { parsePolicyRules } from './policy-schema.js';

let issuer: LocalIssuer;
beforeEach(async () => {
  issuer = await startLocalIssuer();
});
afterEach(async () => {
  await issuer.close();
});

describe('auth configuration', () => {
  it('builds working authenticators from the auth section', async () => {
    const key = generateApiKey();
    const config = parseAuthConfig({
      oauth: {
        issuer: issuer.issuer,
        jwksUri: issuer.jwksUri,
        requiredScopes: ['tools.read'],
        scopesSupported: ['tools.read', 'tools.call'],
      },
      apiKeys: [
        {
          hash: await hashApiKey(key),
          subject: 'ci-bot',
          groups: ['automation'],
          description: 'CI',
        },
      ],
      mtls: [{ match: { uri: 'spiffe://example.com/*' }, groups: ['services'] }],
    });
    const auth = createAuthenticators(config, { resource: AUDIENCE });
    expect(auth.authenticators.map((authenticator) => authenticator.method)).toEqual([
      'oauth',
      'api-key',
      'mtls',
    ]);
    expect(auth.authorizationServers).toEqual([issuer.issuer]);
    expect(auth.scopesSupported).toEqual(['tools.read', 'tools.call']);

    const token = await issuer.sign();
    await expect(
      authenticateRequest({ headers: { authorization: `Bearer ${token}` } }, auth.authenticators),
    ).resolves.toMatchObject({
      subject: 'alice',
      authMethod: 'oauth',
    });
    await expect(
      authenticateRequest({ headers: { authorization: `Bearer ${key}` } }, auth.authenticators),
    ).resolves.toMatchObject({
      subject: 'ci-bot',
      authMethod: 'api-key',
    });
    // The default audience is the hub's resource: a token for another resource is refused.
    const elsewhere = createAuthenticators(config, { resource: 'https://other.example.com/mcp' });
    await expect(
      authenticateRequest(
        { headers: { authorization: `Bearer ${token}` } },
        elsewhere.authenticators,
      ),
    ).rejects.toMatchObject({
      data: { reason: 'the token is meant for another audience' },
    });
  });

  it('names the bad key path of every mistake', () => {
    expect(() =>
      parseAuthConfig({
        oauth: [{ issuer: 'not a url', algorithms: [] }],
        apiKeys: [{ hash: generateApiKey(), subject: 'x' }],
        mtls: [{ match: {} }],
        anonymus: true,
      }),
    ).toThrow(
      'Invalid auth configuration: auth.oauth[0].issuer: expected an absolute URL; auth.oauth[0].algorithms: Too small: expected array to have >=1 items; auth.apiKeys[0].hash: expected a "sha256:…" digest of the key (hashApiKey / `fedmcp keys`), never the key itself; auth.mtls[0].match: expected at least one of commonName, dns, uri, email, fingerprint256; auth.anonymus: unknown key (check its spelling).',
    );
    expect(parseAuthConfig(undefined)).toEqual({});
    expect(() =>
      createAuthenticators(
        parseAuthConfig({ oauth: { issuer: issuer.issuer, algorithms: ['HS256'] } }),
        { resource: AUDIENCE },
      ),
    ).toThrow(/shared secret/);
    expect(() => parsePolicyRules([{ effect: 'allow' }], 'hub.policy.rules')).toThrow(
      /^Invalid policy: hub\.policy\.rules\[0\]\.subjects: /,
    );
  });
});
