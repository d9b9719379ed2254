import { describe, expect, it } from 'vitest';
import { stripDownstreamMeta, withoutQuestionProgressToken } from './meta.js';

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

describe('withoutQuestionProgressToken', () => {
  it("drops the upstream's progress token from a question, keeping its other _meta keys", () => {
    expect(
      withoutQuestionProgressToken({
        mode: 'form',
        _meta: { progressToken: 0, 'io.example/trace': 't' },
        message: 'Who?',
      }),
    ).toEqual({ mode: 'form', _meta: { 'io.example/trace': 't' }, message: 'Who?' });
    expect(withoutQuestionProgressToken({ maxTokens: 10, _meta: { progressToken: 'p' } })).toEqual({
      maxTokens: 10,
    });
  });

  it('gives the same params back when there is no token to drop', () => {
    for (const params of [{}, { _meta: { a: 1 } }, { _meta: null }, { _meta: 'text' }]) {
      expect(withoutQuestionProgressToken(params)).toBe(params);
    }
  });
});
