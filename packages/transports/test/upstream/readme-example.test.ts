// Runs the README's connectUpstream example: the code block is taken from the README as is, with
// the one change a test needs (server-everything from node_modules instead of `npx -y`, which
// would download at run time).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const packageRoot = fileURLToPath(new URL('../../', import.meta.url));
const everything = createRequire(import.meta.url).resolve(
  '@modelcontextprotocol/server-everything/dist/index.js',
  { paths: [fileURLToPath(new URL('../../../../', import.meta.url))] },
);

function readmeExample(): string {
  const readme = readFileSync(`${packageRoot}README.md`, 'utf8');
  const section = readme.slice(
    readme.indexOf('## Connect to upstream MCP servers: `connectUpstream`'),
  );
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error('README: connectUpstream example not found');
  return match[1];
}

describe('README connectUpstream example', () => {
  it('is at most 15 lines and runs as written', async () => {
    const example = readmeExample();
    expect(example.trimEnd().split('\n').length).toBeLessThanOrEqual(15);
    const npx = "{ command: 'npx', args: ['-y', '@modelcontextprotocol/server-everything'] }";
    expect(example).toContain(npx);
    const runnable = example.replace(
      npx,
      `{ command: process.execPath, args: [${JSON.stringify(everything)}, 'stdio'] }`,
    );
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@fedmcp/source', '--import', 'tsx', '--input-type=module', '-e', runnable],
      { cwd: packageRoot, timeout: 60_000 },
    );
    expect(stdout).toContain("text: 'Echo: hi'");
    expect(stdout).toMatch(/^\d+ \[/);
  }, 60_000);
});
