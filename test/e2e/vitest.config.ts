import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceConditions,
  test: {
    name: '@fedmcp/e2e-tests',
    include: ['src/**/*.test.ts'],
    // Real processes (server-everything, the fedmcp CLI) start slowly on a loaded machine.
    testTimeout: 30_000,
    hookTimeout: 90_000,
  },
});
