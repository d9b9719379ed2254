import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceConditions,
  test: {
    name: '@fedmcp/repo-tests',
    include: ['src/**/*.test.ts'],
  },
});
