import { describe, expect, it } from 'vitest';
import { stripDownstreamMeta } from './meta.js';

describe('stripDownstreamMeta', () => {
  it('takes out the progress token and the era envelope keys, keeping the rest in order', () => {
    expect(
      stripDownstreamMeta({
        b: 2,
        progressToken: 'p1',
        'io.modelcontextprotocol/clientCapabilities': {},
        a: 1,
        'io.fedmcp/hops': ['hub-a'],
      }),
    ).toEqual({ meta: { b: 2, a: 1, 'io.fedmcp/hops': ['hub-a'] }, progressToken: 'p1' });
    const { meta } = stripDownstreamMeta({ z: 0, y: undefined, x: null });
    expect(Object.keys(meta ?? {})).toEqual(['z', 'y', 'x']);
  });

  it('gives no meta when nothing of the client is left, and nothing for a non-object', () => {
    expect(stripDownstreamMeta({})).toEqual({ meta: undefined, progressToken: undefined });
    expect(stripDownstreamMeta({ progressToken: 0 })).toEqual({
      meta: undefined,
      progressToken: 0,
    });
    expect(stripDownstreamMeta({ 'io.modelcontextprotocol/logLevel': 'info' })).toEqual({
      meta: undefined,
      progressToken: undefined,
    });
    for (const value of [undefined, null, 'text', 7]) {
      expect(stripDownstreamMeta(value)).toEqual({ meta: undefined, progressToken: undefined });
    }
  });
});
