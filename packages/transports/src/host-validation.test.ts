import { afterEach, describe, expect, it } from 'vitest';
import { createHostValidator } from './host-validation.js';

const OriginalUrl = globalThis.URL;
/** URLs constructed since {@link countUrlParses} (the SDK's Host check parses one per check). */
let urlParses = 0;

/** Counts the `new URL()` calls made while validating (the parses the validator can spare). */
function countUrlParses(): void {
  urlParses = 0;
  globalThis.URL = class extends OriginalUrl {
    constructor(url: string | URL, base?: string | URL) {
      super(url, base);
      urlParses += 1;
    }
  };
}

afterEach(() => {
  globalThis.URL = OriginalUrl;
});

describe('createHostValidator', () => {
  it('accepts the allowed hosts with any port, and refuses others with 403', () => {
    const validate = createHostValidator();
    for (const host of ['localhost', 'localhost:3000', '127.0.0.1:8080', '[::1]:1']) {
      expect(validate(host, undefined)).toBeUndefined();
      expect(validate(host, undefined)).toBeUndefined();
    }
    for (const host of ['evil.example', 'evil.example:80', 'localhost.evil.example', 'a b']) {
      // Refused every time: a refusal is never remembered.
      for (let round = 0; round < 2; round += 1) {
        expect(validate(host, undefined)).toMatchObject({ status: 403 });
      }
    }
    expect(validate(undefined, undefined)?.message).toContain('Missing Host header');
    expect(validate('', undefined)?.message).toContain('Missing Host header');
    expect(validate('evil.example', undefined)?.message).toBe(
      'Forbidden: Invalid Host: evil.example (allowed hosts: localhost, 127.0.0.1, [::1])',
    );
  });

  it('checks the Origin of a remembered Host every time', () => {
    const validate = createHostValidator();
    expect(validate('localhost:3000', 'http://localhost:5173')).toBeUndefined();
    expect(validate('localhost:3000', 'https://evil.example')).toMatchObject({ status: 403 });
    expect(validate('localhost:3000', undefined)).toBeUndefined();
  });

  it('parses a Host value once it was found allowed, for at most 64 distinct values', () => {
    const validate = createHostValidator();
    countUrlParses();
    expect(validate('localhost:3000', undefined)).toBeUndefined();
    expect(urlParses).toBe(1);
    for (let round = 0; round < 5; round += 1) {
      expect(validate('localhost:3000', undefined)).toBeUndefined();
    }
    expect(urlParses).toBe(1);
    // Refused values are parsed each time (nothing of theirs is kept).
    validate('evil.example', undefined);
    validate('evil.example', undefined);
    expect(urlParses).toBe(3);
    // 63 more allowed values fill the memory (64 in all); the 65th is checked in full each time.
    for (let port = 1; port <= 63; port += 1) validate(`localhost:${port}`, undefined);
    countUrlParses();
    for (let port = 1; port <= 63; port += 1) validate(`localhost:${port}`, undefined);
    expect(urlParses).toBe(0);
    expect(validate('localhost:4000', undefined)).toBeUndefined();
    expect(validate('localhost:4000', undefined)).toBeUndefined();
    expect(urlParses).toBe(2);
    // The values remembered first stay remembered.
    expect(validate('localhost:3000', undefined)).toBeUndefined();
    expect(urlParses).toBe(2);
  });

  it('checks no Host when told not to (allowedHosts: false)', () => {
    const validate = createHostValidator({ allowedHosts: false });
    expect(validate('anything.example', undefined)).toBeUndefined();
    expect(validate(undefined, undefined)).toBeUndefined();
  });
});
