import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDirectory = fileURLToPath(new URL('..', import.meta.url));

describe('README example', () => {
  it('is examples/webhook-inbox.ts verbatim, and prints what its comments promise', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = await readFile(
      new URL('../examples/webhook-inbox.ts', import.meta.url),
      'utf8',
    );
    const block = /## Example\n\n```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);
    expect(example.trimEnd().split('\n').length).toBeLessThanOrEqual(15);

    const result = spawnSync(
      process.execPath,
      ['--conditions=@fedmcp/source', '--import', 'tsx', 'examples/webhook-inbox.ts'],
      { cwd: packageDirectory, encoding: 'utf8', timeout: 60_000 },
    );
    expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
    expect(result.stdout).toBe(
      "202 200\nbuild.finished { type: 'build.finished', status: 'green' }\n",
    );
  }, 90_000);
});
