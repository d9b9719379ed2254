import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningFixtureServer, startFixtureServer } from './fixture-server.js';
import { formatConformanceSummary, runServerConformance } from './run-conformance.js';

/** Every scenario of `conformance list --server` in 0.1.16 (`--suite all`). */
const SERVER_SCENARIOS = [
  'completion-complete',
  'dns-rebinding-protection',
  'elicitation-sep1034-defaults',
  'elicitation-sep1330-enums',
  'json-schema-2020-12',
  'logging-set-level',
  'ping',
  'prompts-get-embedded-resource',
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-with-image',
  'prompts-list',
  'resources-list',
  'resources-read-binary',
  'resources-read-text',
  'resources-subscribe',
  'resources-templates-read',
  'resources-unsubscribe',
  'server-initialize',
  'server-sse-multiple-streams',
  'server-sse-polling',
  'tools-call-audio',
  'tools-call-elicitation',
  'tools-call-embedded-resource',
  'tools-call-error',
  'tools-call-image',
  'tools-call-mixed-content',
  'tools-call-sampling',
  'tools-call-simple-text',
  'tools-call-with-logging',
  'tools-call-with-progress',
  'tools-list',
];

describe('official server suite against the fixture, directly', () => {
  let fixture: RunningFixtureServer;

  beforeAll(async () => {
    fixture = await startFixtureServer();
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('passes every scenario of --suite all', async () => {
    const result = await runServerConformance({ url: fixture.url, suite: 'all' });
    const summary = formatConformanceSummary(result);
    console.info(`[conformance] fixture, server --suite all: ${summary}`);

    expect(result.scenarios.map((scenario) => scenario.scenario)).toEqual(SERVER_SCENARIOS);
    expect(result.failedScenarios, summary).toEqual([]);
    // Exit 0 against expected-failures.yml: no unexpected failure, no stale entry.
    expect(result.exitCode, result.stdout.slice(-4000)).toBe(0);
    // 0.1.16 counts 44 passing checks on the reference fixture, and the same two SHOULD warnings.
    expect(result.totals.passedChecks).toBe(44);
    const warnings = result.scenarios.flatMap((scenario) =>
      scenario.checks
        .filter((check) => check.status === 'WARNING')
        .map((check) => `${scenario.scenario}/${check.id}`),
    );
    expect(warnings).toEqual([
      'server-sse-polling/server-sse-priming-event',
      'server-sse-polling/server-sse-retry-field',
    ]);
  });
});
