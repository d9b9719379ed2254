import { describe, expect, it } from 'vitest';
import { actorChain, PeerTokenClaimsSchema } from './peer-token-claims.js';

const valid = {
  iss: 'us',
  aud: 'eu',
  sub: 'alice@example.com',
  act: { sub: 'us', act: { sub: 'home' } },
  jti: 'b7c1f1d2-6a34-4f0e-9a2c-0d1e2f3a4b5c',
  iat: 1_800_000_000,
  exp: 1_800_000_300,
};

describe('peer token claims', () => {
  it('accepts valid claims with a nested actor chain', () => {
    const claims = PeerTokenClaimsSchema.parse(valid);
    expect(claims).toEqual(valid);
    expect(actorChain(claims.act)).toEqual(['us', 'home']);
    expect(actorChain(undefined)).toEqual([]);
  });

  it('rejects tokens living over 5 minutes, expired-before-issued, and foreign actors', () => {
    const tooLong = PeerTokenClaimsSchema.safeParse({ ...valid, exp: valid.iat + 301 });
    expect(tooLong.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['exp', 'must be at most 300 s after iat (peer tokens are short-lived)'],
    ]);
    const backwards = PeerTokenClaimsSchema.safeParse({ ...valid, exp: valid.iat });
    expect(backwards.error?.issues[0]?.message).toBe('must be after iat');
    const actor = PeerTokenClaimsSchema.safeParse({ ...valid, act: { sub: 'mallory' } });
    expect(actor.error?.issues[0]?.path).toEqual(['act', 'sub']);
    const missing = PeerTokenClaimsSchema.safeParse({ ...valid, act: undefined, jti: undefined });
    expect(missing.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual([
      'act',
      'jti',
    ]);
    expect(PeerTokenClaimsSchema.safeParse({ ...valid, aud: ['eu'] }).success).toBe(false);
  });
});
