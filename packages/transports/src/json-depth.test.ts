import { describe, expect, it } from 'vitest';
import { checkJsonDepth, jsonDepth, jsonTextDepthExceeds } from './json-depth.js';

const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

describe('jsonDepth', () => {
  it('counts objects and arrays, without recursion, and stops past the limit', () => {
    expect(jsonDepth(1, 64)).toBe(0);
    expect(jsonDepth({ a: [{}] }, 64)).toBe(3);
    expect(jsonDepth(nested(100_000), 64)).toBe(65);
  });
});

describe('checkJsonDepth', () => {
  it('answers a deep id with -32600 and id null, deep params with -32602 and the id', () => {
    expect(checkJsonDepth({ jsonrpc: '2.0', id: nested(100), method: 'x' }, 64)).toMatchObject({
      id: null,
      error: { code: -32600 },
    });
    expect(
      checkJsonDepth({ jsonrpc: '2.0', id: 4, method: 'x', params: { a: nested(100) } }, 64),
    ).toMatchObject({ id: 4, error: { code: -32602 } });
    expect(checkJsonDepth([{ jsonrpc: '2.0', id: 1, method: 'x' }], 2)).toBeUndefined();
    expect(checkJsonDepth({ jsonrpc: '2.0', id: 1, method: 'x', params: {} }, 2)).toBeUndefined();
  });
});

describe('jsonTextDepthExceeds', () => {
  it('reads the depth from the text, ignoring brackets inside strings', () => {
    const bytes = (text: string) => Buffer.from(text);
    expect(jsonTextDepthExceeds(bytes('[[["[[[[[[\\"[["]]]'), 3)).toBe(false);
    expect(jsonTextDepthExceeds(bytes('[[[[]]]]'), 3)).toBe(true);
    expect(jsonTextDepthExceeds(bytes('{"a":{"b":{}}}'), 3)).toBe(false);
  });
});
