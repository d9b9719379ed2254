import { describe, expect, it } from 'vitest';
import { isValidNamespacePrefix, toNamespaceId } from './namespace-prefix.js';

describe('toNamespaceId', () => {
  it('keeps a valid id and slugs anything else into one', () => {
    expect(toNamespaceId('github', 'x')).toBe('github');
    expect(toNamespaceId('GitHub Server', 'x')).toBe('github-server');
    expect(toNamespaceId('Team Notes (v2)', 'x')).toBe('team-notes-v2');
    expect(toNamespaceId('127.0.0.1-4000', 'x')).toBe('127-0-0-1-4000');
    const long = toNamespaceId(`${'a'.repeat(31)}--b${'c'.repeat(40)}`, 'x');
    expect(long.length).toBeLessThanOrEqual(32);
    expect(isValidNamespacePrefix(long)).toBe(true);
  });

  it('falls back when nothing of the name is left', () => {
    expect(toNamespaceId('!!!', 'upstream')).toBe('upstream');
    expect(toNamespaceId('', 'hub')).toBe('hub');
  });
});
