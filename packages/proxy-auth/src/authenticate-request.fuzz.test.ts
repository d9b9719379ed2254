import { FedmcpError } from '@fedmcp/protocol';
import fc from 'fast-check';
import { base64url } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, type LocalIssuer, startLocalIssuer } from '../test/local-issuer.js';
import { createApiKeyAuthenticator, generateApiKey, hashApiKey } from './api-keys.js';
import { type Authenticator, authenticateRequest } from './authenticate-request.js';
import { createJwtVerifier } from './create-jwt-verifier.js';

let issuer: LocalIssuer;
let authenticators: Authenticator[];
let validToken: string;

beforeAll(async () => {
  issuer = await startLocalIssuer();
  validToken = await issuer.sign();
  authenticators = [
    createJwtVerifier({ issuer: issuer.issuer, audience: AUDIENCE, jwksUri: issuer.jwksUri }),
    createApiKeyAuthenticator({
      keys: [{ hash: await hashApiKey(generateApiKey()), subject: 'ci' }],
    }),
  ];
});
afterAll(async () => {
  await issuer.close();
});

const segment = fc.uint8Array({ maxLength: 64 }).map((bytes) => base64url.encode(bytes));
const json = (value: unknown) => base64url.encode(JSON.stringify(value));
const algorithm = fc.constantFrom(
  'RS256',
  'ES256',
  'HS256',
  'none',
  'NONE',
  'PS256',
  'EdDSA',
  'RS1',
  '',
);
const kid = fc.oneof(fc.constant('rsa-1'), fc.string({ maxLength: 12 }));

const credential = fc.oneof(
  // Garbage of every kind, ASCII and not.
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  // Random base64url segments, two to five of them.
  fc.array(segment, { minLength: 2, maxLength: 5 }).map((parts) => parts.join('.')),
  // Plausible headers and payloads with random signatures.
  fc
    .tuple(algorithm, kid, fc.string({ maxLength: 12 }), segment)
    .map(([alg, keyId, subject, signature]) =>
      [
        json({ alg, kid: keyId, typ: 'at+jwt' }),
        json({ iss: issuer.issuer, aud: AUDIENCE, sub: subject, exp: 4_102_444_800 }),
        signature,
      ].join('.'),
    ),
  // A valid token truncated anywhere.
  fc.nat().map((cut) => validToken.slice(0, cut % validToken.length)),
  // A valid token with one character changed.
  fc.tuple(fc.nat(), fc.constantFrom('A', 'b', '-', '_', '.', '=')).map(([position, character]) => {
    const index = position % validToken.length;
    const changed = `${validToken.slice(0, index)}${character}${validToken.slice(index + 1)}`;
    return sameToken(changed, validToken) ? `${validToken}x` : changed;
  }),
  // Huge values.
  fc.integer({ min: 16_000, max: 70_000 }).map((length) => 'A'.repeat(length)),
  fc.constantFrom('fmk_', `fmk_${'A'.repeat(43)}`, 'fmk_../../etc/passwd'),
);

// The signature covers the encoded header and payload, but the signature segment itself is
// decoded: a change in its unused trailing bits yields the same bytes, hence the same token.
function sameToken(changed: string, original: string): boolean {
  if (changed === original) return true;
  const [a, b] = [changed.split('.'), original.split('.')];
  if (a.length !== 3 || a[0] !== b[0] || a[1] !== b[1]) return false;
  try {
    return Buffer.from(base64url.decode(a[2]!)).equals(Buffer.from(base64url.decode(b[2]!)));
  } catch {
    return false;
  }
}

const headers = fc.oneof(
  credential.map((value) => ({ authorization: `Bearer ${value}` })),
  fc
    .tuple(
      fc.constantFrom('Bearer', 'bearer', 'Basic', 'Bearer  ', '', 'Token', 'BEARER\t'),
      credential,
    )
    .map(([scheme, value]) => ({
      authorization: `${scheme} ${value}`,
    })),
  credential.map((value) => ({ authorization: value })),
  credential.map((value) => ({ 'x-api-key': value })),
  fc
    .tuple(credential, credential)
    .map(([first, second]) => ({ authorization: [`Bearer ${first}`, `Bearer ${second}`] })),
  fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 50 })),
);

describe('authenticateRequest under random input', () => {
  it('never crashes and never accepts 10,000 random tokens and headers', async () => {
    await fc.assert(
      fc.asyncProperty(headers, async (requestHeaders) => {
        const outcome = await authenticateRequest({ headers: requestHeaders }, authenticators).then(
          (principal) => ({ accepted: principal }),
          (error: unknown) => ({ error }),
        );
        expect(outcome).not.toHaveProperty('accepted');
        const { error } = outcome as { error: unknown };
        expect(FedmcpError.isInstance(error)).toBe(true);
        const refusal = error as FedmcpError;
        expect(['UNAUTHENTICATED', 'POLICY_DENIED']).toContain(refusal.code);
        expect([401, 403]).toContain(refusal.data?.httpStatus);
        expect(String(refusal.data?.wwwAuthenticate)).toMatch(/^Bearer/);
        // The same challenge where an HTTP host answering the thrown error reads its headers.
        expect(refusal.data?.headers).toMatchObject({
          'www-authenticate': refusal.data?.wwwAuthenticate,
        });
      }),
      { numRuns: 10_000 },
    );
    // Random kids never turned into a storm of key set fetches.
    expect(issuer.jwksRequests).toBeLessThanOrEqual(2);
  }, 120_000);
});
