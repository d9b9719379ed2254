/**
 * Runs the official conformance runner (`@modelcontextprotocol/conformance`, pinned 0.1.16) on
 * Node 22 and reads its `checks.json` files back into a summary: the server suite against a URL,
 * or client scenarios against a client command.
 */
import { spawn } from 'node:child_process';
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode22 } from './ensure-node22.js';

const packageDirectory = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Where runs write their results unless told otherwise (gitignored). */
export const RESULTS_DIRECTORY = join(packageDirectory, 'results');

/** The committed expected-failures baseline (YAML: `server:` / `client:` lists of scenarios). */
export const EXPECTED_FAILURES_FILE = join(packageDirectory, 'expected-failures.yml');

/** The client scenarios the hub's upstream client must pass. */
export const CLIENT_SCENARIOS = [
  'initialize',
  'tools_call',
  'elicitation-sep1034-client-defaults',
  'sse-retry',
] as const;

/** One check from a scenario's `checks.json`. */
export interface ConformanceCheck {
  id: string;
  name: string;
  description: string;
  /** `SUCCESS`, `FAILURE`, `WARNING`, `INFO` (trace entries) or `SKIPPED`. */
  status: string;
  errorMessage?: string;
  details?: unknown;
}

/** One scenario's outcome. */
export interface ConformanceScenarioResult {
  scenario: string;
  /** The folder holding its `checks.json`. */
  directory: string;
  checks: ConformanceCheck[];
  passed: number;
  failed: number;
  warnings: number;
}

/** The outcome of one runner invocation. */
export interface ConformanceRunResult {
  /** The runner's exit code (0: everything passed or failed as expected). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  outputDirectory: string;
  scenarios: ConformanceScenarioResult[];
  /** Scenarios with at least one `FAILURE` check. */
  failedScenarios: string[];
  totals: { scenarios: number; passedChecks: number; failedChecks: number; warnings: number };
}

/** Options shared by {@link runServerConformance} and {@link runClientConformance}. */
export interface ConformanceRunOptions {
  /**
   * Expected-failures YAML passed as `--expected-failures`; `null` passes none.
   * @default EXPECTED_FAILURES_FILE
   */
  expectedFailuresFile?: string | null;
  /**
   * Folder for this run's results.
   * @default `results/<mode>-<label>-<timestamp>`
   */
  outputDirectory?: string;
  /** `--spec-version` filter. */
  specVersion?: string;
  /** The Node 22 binary. @default ensureNode22() */
  node22Path?: string;
  /**
   * Kill the runner after this long.
   * @default 600_000
   */
  runnerTimeoutMs?: number;
  /** Extra environment for the runner (and, in client mode, the client under test). */
  env?: Record<string, string>;
}

/** Options for {@link runServerConformance}. */
export interface ServerConformanceOptions extends ConformanceRunOptions {
  /** The MCP endpoint under test, already listening. */
  url: string;
  /**
   * `active` (30 scenarios), `all` (active + pending, 32) or `pending`.
   * @default 'all'
   */
  suite?: 'active' | 'all' | 'pending' | 'core';
  /** Run one scenario instead of a suite. */
  scenario?: string;
}

/** Options for {@link runClientConformance}. */
export interface ClientConformanceOptions extends ConformanceRunOptions {
  /**
   * Command starting the client under test; the runner splits it on spaces (no quoting), appends
   * the test server URL and sets `MCP_CONFORMANCE_SCENARIO`.
   */
  command: string;
  /** One scenario (`initialize`, `tools_call`, …). */
  scenario?: string;
  /** Or a suite (`core`, `auth`, …). */
  suite?: string;
  /**
   * Per-scenario client timeout.
   * @default 30_000
   */
  clientTimeoutMs?: number;
}

/** The runner's entry file, from its package's `bin`. */
export function conformanceCliPath(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('@modelcontextprotocol/conformance/package.json');
  const manifest = require(manifestPath) as { bin: Record<string, string> };
  const bin = manifest.bin.conformance;
  if (!bin) throw new Error('@modelcontextprotocol/conformance has no "conformance" bin');
  return join(dirname(manifestPath), bin);
}

function timestamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

function safeLabel(label: string): string {
  return label.replace(/[^a-zA-Z0-9_-]+/g, '_');
}

/**
 * Runs the server suite (or one scenario) against a listening server.
 *
 * @example
 * ```ts
 * const result = await runServerConformance({ url: fixture.url, suite: 'all' });
 * expect(result.failedScenarios).toEqual([]);
 * ```
 */
export async function runServerConformance(
  options: ServerConformanceOptions,
): Promise<ConformanceRunResult> {
  const label = options.scenario ?? options.suite ?? 'all';
  const args = ['server', '--url', options.url];
  if (options.scenario) args.push('--scenario', options.scenario);
  else args.push('--suite', options.suite ?? 'all');
  return runConformance('server', label, args, options);
}

/**
 * Runs client scenarios against a client command.
 *
 * @example
 * ```ts
 * const result = await runClientConformance({ command: 'node client.js', scenario: 'initialize' });
 * ```
 */
export async function runClientConformance(
  options: ClientConformanceOptions,
): Promise<ConformanceRunResult> {
  const label = options.scenario ?? options.suite ?? 'core';
  const args = ['client', '--command', options.command];
  if (options.scenario) args.push('--scenario', options.scenario);
  else args.push('--suite', options.suite ?? 'core');
  args.push('--timeout', String(options.clientTimeoutMs ?? 30_000));
  return runConformance('client', label, args, options);
}

async function runConformance(
  mode: 'server' | 'client',
  label: string,
  args: string[],
  options: ConformanceRunOptions,
): Promise<ConformanceRunResult> {
  const node22 = options.node22Path ?? (await ensureNode22());
  const outputDirectory =
    options.outputDirectory ??
    join(RESULTS_DIRECTORY, `${mode}-${safeLabel(label)}-${timestamp()}`);
  const expectedFailures =
    options.expectedFailuresFile === undefined
      ? EXPECTED_FAILURES_FILE
      : options.expectedFailuresFile;
  const fullArgs = [conformanceCliPath(), ...args, '-o', outputDirectory];
  if (expectedFailures !== null) fullArgs.push('--expected-failures', expectedFailures);
  if (options.specVersion) fullArgs.push('--spec-version', options.specVersion);

  const started = performance.now();
  const { exitCode, stdout, stderr } = await spawnCollect(node22, fullArgs, {
    env: { ...process.env, ...options.env, NO_COLOR: '1' },
    timeoutMs: options.runnerTimeoutMs ?? 600_000,
  });
  const durationMs = performance.now() - started;
  const scenarios = await readConformanceResults(outputDirectory, mode);
  return { exitCode, stdout, stderr, durationMs, outputDirectory, ...summarize(scenarios) };
}

function summarize(scenarios: ConformanceScenarioResult[]) {
  return {
    scenarios,
    failedScenarios: scenarios
      .filter((result) => result.failed > 0)
      .map((result) => result.scenario),
    totals: {
      scenarios: scenarios.length,
      passedChecks: scenarios.reduce((sum, result) => sum + result.passed, 0),
      failedChecks: scenarios.reduce((sum, result) => sum + result.failed, 0),
      warnings: scenarios.reduce((sum, result) => sum + result.warnings, 0),
    },
  };
}

function spawnCollect(
  command: string,
  args: string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: packageDirectory,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (exitCode) => {
      clearTimeout(timer);
      resolvePromise({ exitCode, stdout, stderr });
    });
  });
}

const TIMESTAMP_SUFFIX = /-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

async function findChecksFiles(directory: string): Promise<string[]> {
  const found: string[] = [];
  let entries: Dirent[];
  try {
    entries = await readdir(directory, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) found.push(...(await findChecksFiles(path)));
    else if (entry.name === 'checks.json') found.push(path);
  }
  return found;
}

/**
 * Reads every `checks.json` under a results folder. Scenario names come from the folder names
 * the runner writes: `server-<scenario>-<timestamp>` and `<scenario>-<timestamp>`.
 */
export async function readConformanceResults(
  outputDirectory: string,
  mode: 'server' | 'client',
): Promise<ConformanceScenarioResult[]> {
  if (!(await stat(outputDirectory).catch(() => undefined))) return [];
  const results: ConformanceScenarioResult[] = [];
  for (const file of await findChecksFiles(outputDirectory)) {
    const directory = dirname(file);
    let scenario = relative(outputDirectory, directory)
      .replace(/\\/g, '/')
      .replace(TIMESTAMP_SUFFIX, '');
    if (mode === 'server') scenario = scenario.replace(/^server-/, '');
    const checks = JSON.parse(await readFile(file, 'utf8')) as ConformanceCheck[];
    results.push({
      scenario,
      directory,
      checks,
      passed: checks.filter((check) => check.status === 'SUCCESS').length,
      failed: checks.filter((check) => check.status === 'FAILURE').length,
      warnings: checks.filter((check) => check.status === 'WARNING').length,
    });
  }
  return results.sort((left, right) => left.scenario.localeCompare(right.scenario));
}

/** A short human-readable report: totals, then each failed check with its message. */
export function formatConformanceSummary(result: ConformanceRunResult): string {
  const { totals } = result;
  const lines = [
    `${totals.scenarios - result.failedScenarios.length}/${totals.scenarios} scenarios passed; checks: ${totals.passedChecks} passed, ${totals.failedChecks} failed, ${totals.warnings} warnings; exit ${result.exitCode}; ${(result.durationMs / 1000).toFixed(1)} s; results in ${result.outputDirectory}`,
  ];
  for (const scenario of result.scenarios) {
    for (const check of scenario.checks) {
      if (check.status === 'FAILURE' || check.status === 'WARNING') {
        lines.push(
          `  ${check.status} ${scenario.scenario} ${check.id}: ${check.errorMessage ?? check.description}`,
        );
      }
    }
  }
  return lines.join('\n');
}
