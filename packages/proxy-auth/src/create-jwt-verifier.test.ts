import { FedmcpError } from '@fedmcp/protocol';
import { base64url, exportSPKI, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIENCE, type LocalIssuer, startLocalIssuer } from '../test/local-issuer.js';
import { authenticateRequest } from './authenticate-request.js';
import { createJwtVerifier, type JwtVerifierOptions } from './create-jwt-verifier.js';
import { issuerMetadataUrls } from './discover-jwks-uri.js';

const METADATA_URL = 'https://hub.example.com/.well-known/oauth-protected-resource/mcp';

let issuer: LocalIssuer;
let clock: number;

beforeEach(async () => {
  issuer = await startLocalIssuer();
  clock = Date.now();
});
afterEach(async () => {
  await issuer.close();
});

function verifierFor(options: Partial<JwtVerifierOptions> = {}) {
  return createJwtVerifier({
    issuer: issuer.issuer,
    audience: AUDIENCE,
    jwksUri: issuer.jwksUri,
    now: () => clock,
    ...options,
  });
}

async function refusal(token: string | undefined, options: Partial<JwtVerifierOptions> = {}) {
  const headers: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };
  const error = await authenticateRequest(
    new Request('https://hub.example.com/mcp', { headers }),
    [verifierFor(options)],
    { resourceMetadataUrl: METADATA_URL },
  ).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!FedmcpError.isInstance(error)) throw new Error(`expected a refusal, got ${String(error)}`);
  return {
    code: error.code,
    status: error.data?.httpStatus,
    challenge: String(error.data?.wwwAuthenticate),
    reason: error.data?.reason,
  };
}

const invalidTokenChallenge = (reason: string) =>
  `Bearer resource_metadata="${METADATA_URL}", error="invalid_token", error_description="${reason}"`;

describe('createJwtVerifier', () => {
  it('turns a valid token into a principal', async () => {
    const token = await issuer.sign({ groups: ['dev', 'ops'] });
    const principal = await authenticateRequest(
      new Request('https://hub.example.com/mcp', { headers: { authorization: `Bearer ${token}` } }),
      [verifierFor()],
    );
    expect(principal).toMatchObject({
      subject: 'alice',
      issuer: issuer.issuer,
      groups: ['dev', 'ops'],
      scopes: ['tools.read', 'tools.call'],
      authMethod: 'oauth',
    });
    expect(principal.claims?.aud).toBe(AUDIENCE);
  });

  it('accepts an ES256 key and a token expired by less than the clock tolerance', async () => {
    const key = await issuer.addKey('ES256', 'ec-1');
    const token = await issuer.sign({ exp: Math.floor(clock / 1000) - 10 }, { key });
    await expect(verifierFor().verify(token)).resolves.toMatchObject({ subject: 'alice' });
  });

  it('refuses an expired token with 401 invalid_token', async () => {
    const token = await issuer.sign({
      iat: Math.floor(clock / 1000) - 7200,
      exp: Math.floor(clock / 1000) - 3600,
    });
    expect(await refusal(token)).toEqual({
      code: 'UNAUTHENTICATED',
      status: 401,
      challenge: invalidTokenChallenge('the token has expired'),
      reason: 'the token has expired',
    });
  });

  it('refuses a token that is not valid yet', async () => {
    const token = await issuer.sign({ nbf: Math.floor(clock / 1000) + 3600 });
    expect(await refusal(token)).toMatchObject({
      status: 401,
      challenge: invalidTokenChallenge('the token is not valid yet'),
    });
  });

  it('refuses a token from another issuer', async () => {
    const token = await issuer.sign({ iss: 'https://evil.example.com/' });
    expect(await refusal(token)).toMatchObject({
      status: 401,
      reason: 'the token comes from another issuer',
    });
  });

  it('refuses a token meant for another audience', async () => {
    const token = await issuer.sign({ aud: 'https://other.example.com/mcp' });
    expect(await refusal(token)).toMatchObject({
      status: 401,
      reason: 'the token is meant for another audience',
    });
  });

  it('refuses alg "none"', async () => {
    const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
    const now = Math.floor(clock / 1000);
    const token = `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ iss: issuer.issuer, aud: AUDIENCE, sub: 'alice', exp: now + 300 })}.`;
    expect(await refusal(token)).toMatchObject({
      status: 401,
      reason: 'the signing algorithm is not allowed',
    });
    const withSignature = `${token}c2ln`;
    expect(await refusal(withSignature)).toMatchObject({
      status: 401,
      reason: 'the signing algorithm is not allowed',
    });
  });

  it('refuses HS256 signed with the public key bytes (algorithm confusion)', async () => {
    const key = issuer.keys[0]!;
    const now = Math.floor(clock / 1000);
    const forge = (secret: Uint8Array) =>
      new SignJWT({ scope: 'admin' })
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .setIssuer(issuer.issuer)
        .setAudience(AUDIENCE)
        .setSubject('mallory')
        .setExpirationTime(now + 300)
        .sign(secret);
    // The classic forgery uses the PEM text of the public key as the HMAC secret; try the JWK too.
    const pem = await forge(new TextEncoder().encode(await exportSPKI(key.publicKey)));
    expect(await refusal(pem)).toMatchObject({
      status: 401,
      reason: 'the signing algorithm is not allowed',
    });
    const token = await forge(new TextEncoder().encode(JSON.stringify(key.publicJwk)));
    expect(await refusal(token)).toMatchObject({
      status: 401,
      reason: 'the signing algorithm is not allowed',
    });
    // Even with a shared secret configured, an HS token is checked against the secret only.
    expect(
      await refusal(token, { sharedSecret: 'a-shared-secret-of-at-least-32-bytes!!' }),
    ).toMatchObject({
      status: 401,
      reason: 'the signature is invalid',
    });
  });

  it('accepts HS256 only when a shared secret is configured', async () => {
    const secret = 'a-shared-secret-of-at-least-32-bytes!!';
    const now = Math.floor(clock / 1000);
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(issuer.issuer)
      .setAudience(AUDIENCE)
      .setSubject('bob')
      .setExpirationTime(now + 300)
      .sign(new TextEncoder().encode(secret));
    await expect(verifierFor({ sharedSecret: secret }).verify(token)).resolves.toMatchObject({
      subject: 'bob',
    });
    expect(await refusal(token)).toMatchObject({ reason: 'the signing algorithm is not allowed' });
    expect(() => verifierFor({ algorithms: ['RS256', 'HS256'] })).toThrow(/shared secret/);
    expect(() => verifierFor({ algorithms: ['none'] })).toThrow(/"none" can never be allowed/);
    expect(() => verifierFor({ sharedSecret: 'short' })).toThrow(/at least 32 bytes/);
  });

  it('refuses a tampered payload', async () => {
    const [header, , signature] = (await issuer.sign()).split('.');
    const payload = base64url.encode(
      JSON.stringify({
        iss: issuer.issuer,
        aud: AUDIENCE,
        sub: 'admin',
        exp: Math.floor(clock / 1000) + 300,
      }),
    );
    expect(await refusal(`${header}.${payload}.${signature}`)).toMatchObject({
      status: 401,
      reason: 'the signature is invalid',
    });
  });

  it('refetches the key set once for an unknown kid, then refuses', async () => {
    const verifier = verifierFor({ jwksCooldownMs: 30_000 });
    await verifier.verify(await issuer.sign());
    expect(issuer.jwksRequests).toBe(1);
    const hidden = await issuer.addKey('RS256', 'not-published', false);
    const token = await issuer.sign({}, { key: hidden });
    clock += 31_000;
    const error = await verifier.verify(token).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({
      code: 'UNAUTHENTICATED',
      data: { reason: 'no key of the issuer matches the token' },
    });
    expect(issuer.jwksRequests).toBe(2);
    // Within the cooldown, unknown kids never reach the issuer, however many arrive.
    for (let index = 0; index < 20; index += 1) {
      const random = await issuer.sign({}, { key: hidden, header: { kid: `random-${index}` } });
      await expect(verifier.verify(random)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    expect(issuer.jwksRequests).toBe(2);
  });

  it('picks up a rotated key after the cooldown', async () => {
    const verifier = verifierFor({ jwksCooldownMs: 30_000 });
    await verifier.verify(await issuer.sign());
    const rotated = await issuer.addKey('PS256', 'rsa-2');
    const token = await issuer.sign({}, { key: rotated });
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(issuer.jwksRequests).toBe(1);
    clock += 30_000;
    await expect(verifier.verify(token)).resolves.toMatchObject({ subject: 'alice' });
    expect(issuer.jwksRequests).toBe(2);
  });

  it('coalesces concurrent first fetches and caches the key set', async () => {
    const verifier = verifierFor();
    const tokens = await Promise.all(
      Array.from({ length: 10 }, (_, index) => issuer.sign({ sub: `user-${index}` })),
    );
    const principals = await Promise.all(tokens.map((token) => verifier.verify(token)));
    expect(principals.map((principal) => principal.subject)).toEqual(
      tokens.map((_, index) => `user-${index}`),
    );
    expect(issuer.jwksRequests).toBe(1);
  });

  it('lets several issuers be tried in turn without cross-fetching key sets', async () => {
    await using other = await startLocalIssuer();
    const first = verifierFor();
    const second = createJwtVerifier({
      issuer: other.issuer,
      audience: AUDIENCE,
      jwksUri: other.jwksUri,
    });
    const fromOther = await other.sign({ sub: 'dave' });
    const principal = await authenticateRequest(
      { headers: { authorization: `Bearer ${fromOther}` } },
      [first, second],
    );
    expect(principal).toMatchObject({ subject: 'dave', issuer: other.issuer });
    expect(issuer.jwksRequests).toBe(0);
    expect(other.jwksRequests).toBe(1);
    // When every verifier refuses, the refusal of the token's own issuer is the one reported.
    const expired = await other.sign({
      iat: Math.floor(clock / 1000) - 7200,
      exp: Math.floor(clock / 1000) - 3600,
    });
    await expect(
      authenticateRequest({ headers: { authorization: `Bearer ${expired}` } }, [first, second]),
    ).rejects.toMatchObject({
      data: { reason: 'the token has expired' },
    });
  });

  it('discovers the key set from the issuer metadata when no jwksUri is given', async () => {
    const verifier = createJwtVerifier({ issuer: issuer.issuer, audience: AUDIENCE });
    await expect(verifier.verify(await issuer.sign())).resolves.toMatchObject({ subject: 'alice' });
    await verifier.verify(await issuer.sign({ sub: 'again' }));
    expect(issuer.discoveryRequests).toBe(1);
    expect(issuer.jwksRequests).toBe(1);
  });

  it('fails discovery clearly, and rate-limits retries', async () => {
    const lookalike = `${issuer.issuer}tenant`; // its metadata names another issuer or is absent
    const verifier = createJwtVerifier({ issuer: lookalike, audience: AUDIENCE, now: () => clock });
    const token = await issuer.sign({ iss: lookalike });
    await expect(verifier.verify(token)).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      message: expect.stringContaining(`Cannot discover the key set of issuer ${lookalike}`),
    });
    // Both metadata locations were tried (OpenID Connect, then RFC 8414), once.
    expect(issuer.totalRequests).toBe(2);
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(issuer.totalRequests).toBe(2);
    clock += 30_000;
    await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(issuer.totalRequests).toBe(4);
    expect(() => createJwtVerifier({ issuer: 'not a url', audience: AUDIENCE })).toThrow(
      /cannot be discovered/,
    );
  });

  it('looks for issuer metadata where OpenID Connect and RFC 8414 put it', () => {
    expect(issuerMetadataUrls('https://kc.example.com/realms/REALM')).toEqual([
      'https://kc.example.com/realms/REALM/.well-known/openid-configuration',
      'https://kc.example.com/.well-known/oauth-authorization-server/realms/REALM',
    ]);
    expect(issuerMetadataUrls('https://YOUR_TENANT.auth0.com/')).toEqual([
      'https://your_tenant.auth0.com/.well-known/openid-configuration',
      'https://your_tenant.auth0.com/.well-known/oauth-authorization-server',
    ]);
  });

  it('verifies with static keys without any fetch', async () => {
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      keys: { keys: [issuer.keys[0]!.publicJwk] },
    });
    await expect(verifier.verify(await issuer.sign())).resolves.toMatchObject({ subject: 'alice' });
    expect(issuer.jwksRequests).toBe(0);
  });

  it('answers a missing token with 401 and a challenge without error', async () => {
    expect(await refusal(undefined, { requiredScopes: ['tools.read'] })).toEqual({
      code: 'UNAUTHENTICATED',
      status: 401,
      challenge: `Bearer resource_metadata="${METADATA_URL}"`,
      reason: undefined,
    });
  });

  it('answers a token without a required scope with 403 insufficient_scope', async () => {
    const token = await issuer.sign({ scope: 'tools.read' });
    expect(await refusal(token, { requiredScopes: ['tools.read', 'admin'] })).toEqual({
      code: 'POLICY_DENIED',
      status: 403,
      challenge: `Bearer resource_metadata="${METADATA_URL}", error="insufficient_scope", scope="tools.read admin"`,
      reason: 'insufficient scope',
    });
  });

  it('never reads a token from the query string', async () => {
    const token = await issuer.sign();
    const error = await authenticateRequest(
      new Request(`https://hub.example.com/mcp?access_token=${token}`),
      [verifierFor()],
    ).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', data: { httpStatus: 401 } });
  });

  it('answers 503-class errors when the issuer cannot be reached and no key is cached', async () => {
    const verifier = verifierFor({ jwksUri: 'http://127.0.0.1:9/jwks.json', jwksTimeoutMs: 2_000 });
    await expect(verifier.verify(await issuer.sign())).rejects.toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
    });
  });
});
