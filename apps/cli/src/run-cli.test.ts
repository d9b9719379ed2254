import { describe, expect, it } from 'vitest';
import { captureIo } from '../test/capture-io.js';
import { runCli } from './run-cli.js';

describe('runCli', () => {
  it('prints the usage for help and exits 0', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['help'], io)).toBe(0);
    expect(out.stdout).toContain('Usage: fedmcp <command>');
  });

  it('names an unknown command and exits 2', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['frobnicate'], io)).toBe(2);
    expect(out.stderr).toContain('unknown command "frobnicate"');
  });
});
