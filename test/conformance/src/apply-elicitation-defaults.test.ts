import { describe, expect, it } from 'vitest';
import { applyElicitationDefaults } from './apply-elicitation-defaults.js';
import { SEP1034_DEFAULTS_SCHEMA } from './fixture-content.js';

describe('applyElicitationDefaults', () => {
  it('fills every omitted field from its schema default, one per primitive type', () => {
    expect(applyElicitationDefaults(SEP1034_DEFAULTS_SCHEMA, {})).toEqual({
      name: 'John Doe',
      age: 30,
      score: 95.5,
      status: 'active',
      verified: true,
    });
  });

  it('keeps values the user gave, falsy ones included', () => {
    expect(
      applyElicitationDefaults(SEP1034_DEFAULTS_SCHEMA, { name: '', age: 0, verified: false }),
    ).toEqual({ name: '', age: 0, score: 95.5, status: 'active', verified: false });
  });

  it('leaves fields without a default omitted', () => {
    const schema = {
      properties: { nickname: { type: 'string' }, team: { type: 'string', default: 'core' } },
    };
    expect(applyElicitationDefaults(schema, undefined)).toEqual({ team: 'core' });
  });
});
