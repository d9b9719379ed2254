import { describe, expect, it } from 'vitest';
import { stripJsonComments } from './strip-json-comments.js';

describe('stripJsonComments', () => {
  it('removes line and block comments and trailing commas, keeping strings intact', () => {
    const text = `{
  // the hub
  "hub": { "port": 3333, /* inline */ },
  "url": "http://x//not-a-comment/*nor-this*/",
  "quote": "a \\"// b,}",
}`;
    expect(JSON.parse(stripJsonComments(text))).toEqual({
      hub: { port: 3333 },
      url: 'http://x//not-a-comment/*nor-this*/',
      quote: 'a "// b,}',
    });
  });

  it('leaves plain JSON unchanged', () => {
    const text = '{"a":[1,2],"b":"c"}';
    expect(stripJsonComments(text)).toBe(text);
  });
});
