import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const example = fileURLToPath(new URL('../../examples/peered-hubs.ts', import.meta.url));

describe('README example "A peered hub in code"', () => {
  it('is the file the test runs, and a client of hub A calls a tool of hub B', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const source = await readFile(example, 'utf8');
    expect(readme).toContain(source.trim());
    expect(source.trim().split('\n').length).toBeLessThanOrEqual(15);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@fedmcp/source', '--import', 'tsx', example],
      { cwd: root, env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 },
    );
    expect(stdout).toBe('[{"type":"text","text":"Echo: hi"}]\n');
  }, 90_000);
});
