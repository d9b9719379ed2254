/**
 * Issue 21: the official client suite's `auth/*` scenarios (0.1.16) against the hub's upstream
 * OAuth client — `createOAuthUpstreamConnector` over the connector `createHub` uses, with the
 * provider and fetch wrapper of `@fedmcp/proxy-auth` — as the client under test: the 14 core
 * (2025-11-25) scenarios, the 2025-03-26 back-compat ones and the client-credentials extension,
 * one by one. None is listed in `expected-failures.yml`.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AUTH_CLIENT_SCENARIOS } from './oauth-client-under-test.js';
import { formatConformanceSummary, runClientConformance } from './run-conformance.js';

const clientScript = fileURLToPath(new URL('./client-under-test.ts', import.meta.url));
const command = [
  process.execPath,
  '--conditions=@fedmcp/source',
  '--import',
  'tsx',
  clientScript,
  '--connector',
  'federation',
].join(' ');

/** Passing checks per scenario in 0.1.16 (`checks.json` SUCCESS entries of a complete flow). */
const MINIMUM_CHECKS: Record<(typeof AUTH_CLIENT_SCENARIOS)[number], number> = {
  'auth/metadata-default': 14,
  'auth/metadata-var1': 14,
  'auth/metadata-var2': 14,
  'auth/metadata-var3': 14,
  'auth/basic-cimd': 14,
  'auth/scope-from-www-authenticate': 15,
  'auth/scope-from-scopes-supported': 15,
  'auth/scope-omitted-when-undefined': 15,
  'auth/scope-step-up': 21,
  'auth/scope-retry-limit': 22,
  'auth/token-endpoint-auth-basic': 19,
  'auth/token-endpoint-auth-post': 19,
  'auth/token-endpoint-auth-none': 19,
  'auth/pre-registration': 14,
  'auth/2025-03-26-oauth-metadata-backcompat': 14,
  'auth/2025-03-26-oauth-endpoint-fallback': 8,
  'auth/client-credentials-jwt': 9,
  'auth/client-credentials-basic': 9,
};

/**
 * Runs one scenario alone: the runner's `--suite auth` runs all 14 at once, and 14 clients
 * authorizing side by side on a loaded two-core machine miss the runner's client timeout.
 */
async function expectScenarioPasses(scenario: (typeof AUTH_CLIENT_SCENARIOS)[number]) {
  const result = await runClientConformance({ command, scenario, clientTimeoutMs: 90_000 });
  const summary = formatConformanceSummary(result);
  console.info(`[conformance] client (federation) ${scenario}: ${summary}`);

  expect(result.scenarios.map((entry) => entry.scenario)).toEqual([scenario]);
  expect(result.failedScenarios, summary).toEqual([]);
  expect(result.totals.warnings, summary).toBe(0);
  // At least the checks the reference client passes: an unfinished flow passes fewer.
  expect(result.totals.passedChecks, summary).toBeGreaterThanOrEqual(MINIMUM_CHECKS[scenario]);
  expect(result.exitCode, result.stdout.slice(-4000) + result.stderr.slice(-4000)).toBe(0);
}

describe('official client suite, auth scenarios, federation connector with OAuth', () => {
  for (const scenario of Object.keys(MINIMUM_CHECKS) as (typeof AUTH_CLIENT_SCENARIOS)[number][]) {
    it(`passes ${scenario}`, () => expectScenarioPasses(scenario));
  }
});
