import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from './closest-name.js';

describe('closestName', () => {
  it('finds typos, swapped letters and missing prefixes', () => {
    expect(closestName('sevre', ['serve', 'status', 'init'])).toBe('serve');
    expect(closestName('stauts', ['serve', 'status'])).toBe('status');
    expect(closestName('mcpServer', ['hub', 'mcpServers', 'store'])).toBe('mcpServers');
    expect(closestName('echo', ['everything__echo', 'everything__add'])).toBe('everything__echo');
  });

  it('suggests nothing for unrelated words or an exact match', () => {
    expect(closestName('frobnicate', ['serve', 'status', 'init'])).toBeUndefined();
    expect(closestName('serve', ['serve', 'server'])).toBeUndefined();
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
