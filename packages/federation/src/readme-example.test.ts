import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const example = fileURLToPath(
  new URL('../examples/hub-in-front-of-everything.ts', import.meta.url),
);

describe('README example', () => {
  it('is the file the test runs, and it lists and calls namespaced tools', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const source = await readFile(example, 'utf8');
    expect(readme).toContain(source.trim());
    expect(source.trim().split('\n').length).toBeLessThanOrEqual(15);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@fedmcp/source', '--import', 'tsx', example],
      { cwd: root, env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 },
    );
    expect(stdout).toMatch(/^\d+ tools; \[\{"type":"text","text":"Echo: hi"\}\]/);
  }, 90_000);
});
