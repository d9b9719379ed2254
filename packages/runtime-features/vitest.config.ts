import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceConditions,
  test: {
    name: '@fedmcp/runtime-features',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // No code yet (its issue has not landed): an empty test run is not a failure.
    passWithNoTests: true,
  },
});
