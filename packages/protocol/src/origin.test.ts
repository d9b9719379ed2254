import { describe, expect, it } from 'vitest';
import { ON_BEHALF_OF_META_KEY, readOnBehalfOf, withOnBehalfOf } from './on-behalf-of.js';
import { extendOrigin, ORIGIN_META_KEY, readOrigin, withOrigin } from './origin.js';

describe('origin', () => {
  it('starts at the aggregating hub and grows through peers', () => {
    const atEu = extendOrigin({ icon: 'x' }, { selfId: 'eu', upstreamId: 'github' });
    expect(atEu).toMatchInlineSnapshot(`
      {
        "icon": "x",
        "io.fedmcp/origin": {
          "hubs": [
            "eu",
          ],
          "upstreamId": "github",
        },
      }
    `);
    const atHome = extendOrigin(atEu, { selfId: 'home', upstreamId: 'eu' });
    expect(readOrigin(atHome)).toEqual({ hubs: ['home', 'eu'], upstreamId: 'github' });
    expect(readOrigin(atEu)).toEqual({ hubs: ['eu'], upstreamId: 'github' });
  });

  it('sets, reads and validates', () => {
    const meta = withOrigin(undefined, { hubs: ['a'], upstreamId: 'b' });
    expect(meta[ORIGIN_META_KEY]).toEqual({ hubs: ['a'], upstreamId: 'b' });
    expect(readOrigin({})).toBeUndefined();
    expect(() => withOrigin(undefined, { hubs: [], upstreamId: 'b' })).toThrow(/hubs/);
    expect(() => readOrigin({ [ORIGIN_META_KEY]: { hubs: ['a'] } })).toThrow(/upstreamId/);
  });
});

describe('on behalf of', () => {
  it('sets and reads the subject without mutating', () => {
    const meta = {};
    const next = withOnBehalfOf(meta, { subject: 'alice', issuer: 'https://idp.example' });
    expect(meta).toEqual({});
    expect(next).toEqual({
      [ON_BEHALF_OF_META_KEY]: { subject: 'alice', issuer: 'https://idp.example' },
    });
    expect(readOnBehalfOf(next)).toEqual({ subject: 'alice', issuer: 'https://idp.example' });
    expect(readOnBehalfOf(undefined)).toBeUndefined();
    expect(() => readOnBehalfOf({ [ON_BEHALF_OF_META_KEY]: { subject: '' } })).toThrow(/subject/);
  });
});
