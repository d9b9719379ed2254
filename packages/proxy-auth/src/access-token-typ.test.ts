/**
 * `typ: "at+jwt"` (RFC 9068 §2.1, §4): with it set, only JWT access tokens are accepted, so an ID
 * token or another JWT of the same issuer and audience is refused with a reason.
 */
import { FedmcpError } from '@fedmcp/protocol';
import { describe, expect, it } from 'vitest';
import { AUDIENCE, startLocalIssuer } from '../test/local-issuer.js';
import { createJwtVerifier } from './create-jwt-verifier.js';

describe('auth.oauth.typ', () => {
  it('accepts at+jwt and application/at+jwt, refuses a plain JWT with a reason', async () => {
    await using issuer = await startLocalIssuer();
    const verifier = createJwtVerifier({
      issuer: issuer.issuer,
      audience: AUDIENCE,
      jwksUri: issuer.jwksUri,
      typ: 'at+jwt',
    });
    expect((await verifier.verify(await issuer.sign())).subject).toBe('alice');
    const long = await issuer.sign({}, { header: { typ: 'application/at+jwt' } });
    expect((await verifier.verify(long)).subject).toBe('alice');
    const idToken = await issuer.sign({}, { header: { typ: 'JWT' } });
    const error = await verifier.verify(idToken).catch((caught: unknown) => caught);
    expect(FedmcpError.isInstance(error) && error.data?.reason).toBe(
      'the token has the wrong type',
    );
  });
});
