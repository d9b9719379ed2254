import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

function capture() {
  const out = { stdout: '', stderr: '' };
  return {
    out,
    io: {
      stdout: (text: string) => {
        out.stdout += text;
      },
      stderr: (text: string) => {
        out.stderr += text;
      },
    },
  };
}

describe('runCli', () => {
  it('prints the usage for help and exits 0', async () => {
    const { out, io } = capture();
    expect(await runCli(['help'], io)).toBe(0);
    expect(out.stdout).toContain('Usage: fedmcp <command>');
  });

  it('names an unknown command and exits 2', async () => {
    const { out, io } = capture();
    expect(await runCli(['frobnicate'], io)).toBe(2);
    expect(out.stderr).toContain('unknown command "frobnicate"');
  });
});
