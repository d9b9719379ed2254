import { fileURLToPath } from 'node:url';
import { describe, type ExpectStatic, expect, it } from 'vitest';
import type { ClientConnectorName } from './client-under-test.js';
import {
  CLIENT_SCENARIOS,
  formatConformanceSummary,
  runClientConformance,
} from './run-conformance.js';

const clientScript = fileURLToPath(new URL('./client-under-test.ts', import.meta.url));
// The runner splits --command on spaces and appends the test server's URL.
const commandFor = (connector: ClientConnectorName) => [
  process.execPath,
  '--conditions=@fedmcp/source',
  '--import',
  'tsx',
  clientScript,
  '--connector',
  connector,
];

/** Passing checks per scenario in 0.1.16. */
const EXPECTED_CHECKS: Record<(typeof CLIENT_SCENARIOS)[number], number> = {
  initialize: 1,
  tools_call: 1,
  'elicitation-sep1034-client-defaults': 5,
  'sse-retry': 3,
};

it('builds client commands the runner can split on spaces', () => {
  // The runner splits --command on spaces: a space in a path would break it into wrong words.
  const parts = commandFor('federation');
  expect(parts.join(' ').split(' ')).toEqual(parts);
});

async function expectScenarioPasses(
  expect: ExpectStatic,
  connector: ClientConnectorName,
  scenario: (typeof CLIENT_SCENARIOS)[number],
) {
  const result = await runClientConformance({ command: commandFor(connector).join(' '), scenario });
  const summary = formatConformanceSummary(result);
  console.info(`[conformance] client (${connector}) ${scenario}: ${summary}`);

  expect(result.scenarios.map((entry) => entry.scenario)).toEqual([scenario]);
  expect(result.failedScenarios, summary).toEqual([]);
  expect(result.totals.warnings, summary).toBe(0);
  expect(result.totals.passedChecks).toBe(EXPECTED_CHECKS[scenario]);
  expect(result.exitCode, result.stdout.slice(-4000) + result.stderr.slice(-4000)).toBe(0);
}

// federation: the connector createHub uses; transports: connectUpstream from @fedmcp/transports.
// (The plain SDK control, `--connector sdk`, passes the same; run it by hand to triage.)
describe.each(['federation', 'transports'] as const)(
  'official client suite, %s connector',
  (connector) => {
    // One runner each, side by side...
    for (const scenario of CLIENT_SCENARIOS.filter((name) => name !== 'sse-retry')) {
      it.concurrent(`passes ${scenario}`, ({ expect }) =>
        expectScenarioPasses(expect, connector, scenario));
    }
    // ...except sse-retry, which times the reconnect delay: it runs alone, after them.
    it('passes sse-retry', ({ expect }) => expectScenarioPasses(expect, connector, 'sse-retry'));
  },
);
