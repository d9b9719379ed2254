import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FEDMCP_VERSION } from './version.js';

describe('FEDMCP_VERSION', () => {
  it('is the version in package.json, injected by vitest define as tsup does for dist/', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(FEDMCP_VERSION).toBe(manifest.version);
    expect(FEDMCP_VERSION).not.toBe('0.0.0-dev');
  });
});
