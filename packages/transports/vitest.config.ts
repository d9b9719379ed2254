import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

export default defineProject({
  ...sourceConditions,
  test: {
    name: '@fedmcp/transports',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Tests wait for events (a process started, a message answered), never for a fixed time; on a
    // loaded shared CI machine (load 8 on 2 cores) starting a child process alone can take
    // seconds, so the 5 s default is a wall-clock guess that fails there. These are bounds on a
    // hang, not on speed.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
