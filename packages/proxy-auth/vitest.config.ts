import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceConditions,
  test: {
    name: '@fedmcp/proxy-auth',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
