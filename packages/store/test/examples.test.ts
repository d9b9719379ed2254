import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropSchema, postgresAvailable } from '@fedmcp/test-support/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { redisAvailable } from './redis-test-server.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const example = (name: string): string =>
  readFileSync(new URL(`../examples/${name}.ts`, import.meta.url), 'utf8').trim();
const directory = mkdtempSync(join(tmpdir(), 'fedmcp-store-examples-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('README examples', () => {
  it.each(['memory', 'sqlite', 'redis', 'postgres'])('shows examples/%s.ts verbatim', (name) => {
    expect(readme).toContain(example(name));
  });

  it('runs the memory example', async () => {
    const { outcome } = await import('../examples/memory.js');
    expect(outcome).toEqual({ updated: true, hits: 1 });
  });

  it('runs the sqlite example against ./.fedmcp/state.db', async () => {
    const cwd = process.cwd();
    process.chdir(directory);
    try {
      const { outcome } = await import('../examples/sqlite.js');
      expect(outcome).toEqual({ handled: '{"event":"push"}', claimed: 0 });
    } finally {
      process.chdir(cwd);
    }
  });

  it.runIf(redisAvailable)('runs the redis example', async () => {
    const { outcome } = await import('../examples/redis.js');
    expect(outcome).toEqual({ leader: 'replica-1', message: 'changed' });
  });

  it.runIf(postgresAvailable)('runs the postgres example', async () => {
    try {
      const { outcome } = await import('../examples/postgres.js');
      expect(outcome).toEqual({ received: '{"event":"transcript.ready"}', pending: 0 });
    } finally {
      await dropSchema('fedmcp_example');
    }
  });
});
