// `deno test` of the federation web root's unit tests (deno/web-root.deno.ts), run from the
// vitest suite so that `pnpm test` and CI run them: Deno from the `deno` npm package, offline
// (npm packages from the repository's node_modules, an unreachable registry).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { denoBinary } from './fixtures/deno.js';

const file = fileURLToPath(new URL('./deno/web-root.deno.ts', import.meta.url));

describe('the web root under deno test', () => {
  it('passes its Deno unit tests', async () => {
    const child = spawn(
      denoBinary,
      [
        'test',
        '--node-modules-dir=manual',
        '--conditions=@fedmcp/source',
        '--unstable-sloppy-imports',
        '--no-check',
        '--allow-env',
        '--allow-read',
        '--allow-sys',
        file,
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          NPM_CONFIG_REGISTRY: 'http://127.0.0.1:9/',
          NO_COLOR: '1',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(output, output).toMatch(/ok \| 6 passed \| 0 failed/);
    expect(code, output).toBe(0);
  }, 120_000);
});
