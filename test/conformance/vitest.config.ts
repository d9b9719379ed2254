import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceConditions,
  test: {
    name: '@fedmcp/conformance-tests',
    include: ['src/**/*.test.ts'],
    // The official suite runs ~30 scenarios in a child process; spawns are slow on a shared machine.
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
