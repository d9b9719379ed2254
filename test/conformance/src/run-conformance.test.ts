import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ConformanceCheck,
  conformanceCliPath,
  readConformanceResults,
} from './run-conformance.js';

const check = (id: string, status: string): ConformanceCheck => ({
  id,
  name: id,
  description: `${id} description`,
  status,
});

describe('readConformanceResults', () => {
  let directory: string | undefined;
  afterEach(async () => {
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  async function writeChecks(relativeDirectory: string, checks: ConformanceCheck[]) {
    const path = join(directory!, relativeDirectory);
    await mkdir(path, { recursive: true });
    await writeFile(join(path, 'checks.json'), JSON.stringify(checks));
  }

  it('names server scenarios from the runner folders and counts statuses', async () => {
    directory = await mkdtemp(join(tmpdir(), 'conformance-results-'));
    await writeChecks('server-tools-list-2026-11-23T20-35-05-047Z', [
      check('tools-list', 'SUCCESS'),
    ]);
    await writeChecks('server-server-sse-polling-2026-11-23T20-35-05-802Z', [
      check('trace', 'INFO'),
      check('server-sse-priming-event', 'WARNING'),
      check('server-sse-retry-field', 'WARNING'),
    ]);
    await writeChecks('server-ping-2026-11-23T20-35-06-000Z', [check('ping', 'FAILURE')]);

    const results = await readConformanceResults(directory, 'server');
    expect(
      results.map(({ scenario, passed, failed, warnings }) => ({
        scenario,
        passed,
        failed,
        warnings,
      })),
    ).toEqual([
      { scenario: 'ping', passed: 0, failed: 1, warnings: 0 },
      { scenario: 'server-sse-polling', passed: 0, failed: 0, warnings: 2 },
      { scenario: 'tools-list', passed: 1, failed: 0, warnings: 0 },
    ]);
  });

  it('keeps client scenario names, including nested auth/* ones', async () => {
    directory = await mkdtemp(join(tmpdir(), 'conformance-results-'));
    await writeChecks('sse-retry-2026-11-23T20-38-54-683Z', [check('a', 'SUCCESS')]);
    await writeChecks('auth/metadata-default-2026-11-23T20-38-54-683Z', [check('b', 'SUCCESS')]);
    const results = await readConformanceResults(directory, 'client');
    expect(results.map((result) => result.scenario)).toEqual([
      'auth/metadata-default',
      'sse-retry',
    ]);
  });

  it('returns nothing for a missing folder (the runner crashed before writing)', async () => {
    expect(
      await readConformanceResults(join(tmpdir(), 'no-such-results-folder'), 'server'),
    ).toEqual([]);
  });
});

describe('conformanceCliPath', () => {
  it('points at the pinned runner package bin', () => {
    expect(conformanceCliPath()).toMatch(
      /@modelcontextprotocol[/\\]conformance[/\\]dist[/\\]index\.js$/,
    );
  });
});
