import { describe, expect, it } from 'vitest';
import { createPolicy } from './create-policy.js';
import { anonymousPrincipal } from './principal.js';
import { principalFromPatterns } from './principal-from-patterns.js';

describe('principalFromPatterns', () => {
  it('builds a principal from user:, group:, scope:, via:, issuer: and method: patterns', () => {
    expect(
      principalFromPatterns([
        'user:alice',
        'group:dev',
        'group:ops',
        'scope:tools.read',
        'via:eu',
        'issuer:https://id.example.com/',
        'method:peer',
      ]),
    ).toEqual({
      subject: 'alice',
      issuer: 'https://id.example.com/',
      groups: ['dev', 'ops'],
      scopes: ['tools.read'],
      authMethod: 'peer',
      via: ['eu'],
    });
    expect(principalFromPatterns(['bob'])).toEqual({
      subject: 'bob',
      groups: [],
      scopes: [],
      authMethod: 'oauth',
    });
  });

  it('makes a caller without a user: entry the anonymous principal only with method:anonymous', () => {
    expect(principalFromPatterns(['method:anonymous'])).toEqual(anonymousPrincipal());
    // The same principal the hub gives a caller without credentials: user:anonymous rules match it.
    const policy = createPolicy([
      { id: 'anon', effect: 'allow', subjects: ['user:anonymous'], actions: ['tools/call'] },
    ]);
    expect(
      policy.decide({
        principal: principalFromPatterns(['method:anonymous']),
        action: 'tools/call',
        target: 'docs__lookup',
      }),
    ).toMatchObject({ allowed: true, rule: 'anon' });
  });

  it('refuses a caller without a subject, naming what it got', () => {
    expect(() => principalFromPatterns(['group:dev'])).toThrow(
      /name the caller with "user:<subject>" \(or "method:anonymous".*got "group:dev"/,
    );
    expect(() => principalFromPatterns([])).toThrow(/got no subject patterns/);
    expect(() => principalFromPatterns(['method:api-key', 'scope:x'])).toThrow(/user:<subject>/);
  });

  it('refuses two different subjects, empty values and unknown prefixes or methods', () => {
    expect(() => principalFromPatterns(['user:alice', 'user:bob'])).toThrow(
      /one subject, not "user:alice" and "user:bob"/,
    );
    expect(principalFromPatterns(['user:alice', 'alice']).subject).toBe('alice');
    expect(() => principalFromPatterns(['user:'])).toThrow(/"user:" has no value/);
    expect(() => principalFromPatterns(['user:a', 'role:x'])).toThrow(/"role:x" is not one of/);
    expect(() => principalFromPatterns(['user:a', 'method:magic'])).toThrow(/is not one of/);
  });
});
