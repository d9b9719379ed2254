import { defineProject } from 'vitest/config';
import { sourceConditions } from '../../vitest.shared.ts';

// The suite runs on its own (`pnpm test:reliability`, after the main tests in CI), not as part of
// `pnpm test`: it starts real hubs, kills processes and loads the machine for a few minutes.
const selected =
  process.env.npm_lifecycle_event === 'test:reliability' || process.env.FEDMCP_RELIABILITY === '1';

export default defineProject({
  ...sourceConditions,
  test: {
    name: '@fedmcp/reliability-tests',
    include: selected ? ['src/**/*.reliability.ts'] : [],
    // Phases share one hub and run in order; each is bounded in count and time.
    sequence: { concurrent: false },
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
