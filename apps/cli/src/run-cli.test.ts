import { readFileSync } from 'node:fs';
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

  it('prints the package.json version for --version and -v', async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    );
    for (const flag of ['--version', '-v']) {
      const { out, io } = captureIo();
      expect(await runCli([flag], io)).toBe(0);
      expect(out.stdout).toBe(`${version}\n`);
    }
  });

  it('prints a command its options for --help instead of refusing the option', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['serve', '--help'], io)).toBe(0);
    expect(out.stdout).toContain('Usage: fedmcp serve [--config FILE]');
    expect(out.stdout).toContain('--port N');
    expect(out.stderr).toBe('');
  });

  it('answers -h after other arguments for every command, without running it', async () => {
    for (const name of ['init', 'tools', 'call', 'status', 'peers', 'keys', 'consent', 'audit']) {
      const { out, io } = captureIo();
      expect(await runCli([name, 'list', '-h'], io)).toBe(0);
      expect(out.stdout).toContain(`Usage: fedmcp ${name}`);
    }
  });
});
