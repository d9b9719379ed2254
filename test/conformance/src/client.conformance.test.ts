import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CLIENT_SCENARIOS,
  formatConformanceSummary,
  runClientConformance,
} from './run-conformance.js';

const clientScript = fileURLToPath(new URL('./client-under-test.ts', import.meta.url));
// The runner splits --command on spaces and appends the test server's URL.
const commandParts = [
  process.execPath,
  '--conditions=@fedmcp/source',
  '--import',
  'tsx',
  clientScript,
];
const command = commandParts.join(' ');

/** Passing checks per scenario in 0.1.16. */
const EXPECTED_CHECKS: Record<(typeof CLIENT_SCENARIOS)[number], number> = {
  initialize: 1,
  tools_call: 1,
  'elicitation-sep1034-client-defaults': 5,
  'sse-retry': 3,
};

describe('official client suite against the client under test', () => {
  it('has a command the runner can split on spaces', () => {
    // A space in a path (node binary, checkout) would break the command into the wrong words.
    expect(command.split(' ')).toEqual(commandParts);
  });

  // One runner per scenario, in sequence: sse-retry times the reconnect delay, so keep the
  // machine quiet rather than running the four at once.
  for (const scenario of CLIENT_SCENARIOS) {
    it(`passes ${scenario}`, async () => {
      const result = await runClientConformance({ command, scenario });
      const summary = formatConformanceSummary(result);
      console.info(`[conformance] client ${scenario}: ${summary}`);

      expect(result.scenarios.map((entry) => entry.scenario)).toEqual([scenario]);
      expect(result.failedScenarios, summary).toEqual([]);
      expect(result.totals.warnings, summary).toBe(0);
      expect(result.totals.passedChecks).toBe(EXPECTED_CHECKS[scenario]);
      expect(result.exitCode, result.stdout.slice(-4000) + result.stderr.slice(-4000)).toBe(0);
    });
  }
});
