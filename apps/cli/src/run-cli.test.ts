import { execFileSync } from 'node:child_process';
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

describe('runCli help, suggestions and completions', () => {
  it('prints a subcommand its own usage, and a command the list of its subcommands', async () => {
    const sub = captureIo();
    expect(await runCli(['keys', 'show', '--help'], sub.io)).toBe(0);
    expect(sub.out.stdout).toContain('Usage: fedmcp keys show [--config FILE] [--json]');
    const parent = captureIo();
    expect(await runCli(['tools', '--help'], parent.io)).toBe(0);
    expect(parent.out.stdout).toMatch(/Subcommands:\n\s+list\s.*\n\s+diff\s.*\n\s+approve\s/);
  });

  it('has --help for every command and subcommand of the list', async () => {
    const { out, io } = captureIo();
    await runCli(['help'], io);
    const names = [...out.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((match) => match[1]);
    expect(names).toEqual(expect.arrayContaining(['serve', 'doctor', 'logs', 'completion']));
    for (const name of names.filter((entry) => entry !== 'help')) {
      const help = captureIo();
      expect(await runCli([name as string, '--help'], help.io)).toBe(0);
      expect(help.out.stdout).toContain(`Usage: fedmcp ${name}`);
      for (const [, sub] of help.out.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)) {
        const subHelp = captureIo();
        expect(await runCli([name as string, sub as string, '-h'], subHelp.io)).toBe(0);
        expect(subHelp.out.stdout).toContain(`Usage: fedmcp ${name} ${sub}`);
      }
    }
  });

  it('suggests the closest command and subcommand for a typo', async () => {
    const command = captureIo();
    expect(await runCli(['stauts'], command.io)).toBe(2);
    expect(command.out.stderr).toContain('Did you mean "fedmcp status"?');
    const sub = captureIo();
    expect(await runCli(['keys', 'shwo'], sub.io)).toBe(2);
    expect(sub.out.stderr).toContain('Did you mean "fedmcp keys show"?');
  });

  it('refuses an unknown --log-level with the list of levels', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['serve', '--log-level', 'verbose'], io)).toBe(2);
    expect(out.stderr).toContain('trace, debug, info, warn, error, fatal, silent');
    const typo = captureIo();
    expect(await runCli(['serve', '--log-level', 'dbug'], typo.io)).toBe(2);
    expect(typo.out.stderr).toContain('did you mean "debug"?');
  });

  it('writes a bash completion that completes commands, subcommands and options', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['completion', 'bash'], io)).toBe(0);
    const complete = (words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `${out.stdout}\nCOMP_WORDS=(${words.map((word) => `'${word}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _fedmcp; echo "\${COMPREPLY[@]}"`,
        ],
        { encoding: 'utf8' },
      ).trim();
    expect(complete(['fedmcp', 'sta'])).toBe('status');
    expect(complete(['fedmcp', 'keys', ''])).toBe('show rotate');
    expect(complete(['fedmcp', 'keys', 'show', '--j'])).toBe('--json');
    expect(complete(['fedmcp', 'call', 'x', '--off'])).toBe('--offline');
  });

  it('writes zsh and fish completions from the same table, and names the shells otherwise', async () => {
    const zsh = captureIo();
    expect(await runCli(['completion', 'zsh'], zsh.io)).toBe(0);
    expect(zsh.out.stdout).toContain('complete -o default -F _fedmcp fedmcp');
    const fish = captureIo();
    expect(await runCli(['completion', 'fish'], fish.io)).toBe(0);
    expect(fish.out.stdout).toContain(
      "complete -c fedmcp -n '__fish_seen_subcommand_from keys; and __fish_seen_subcommand_from show' -l 'json'",
    );
    const none = captureIo();
    expect(await runCli(['completion', 'tcsh'], none.io)).toBe(2);
    expect(none.out.stderr).toContain('bash, zsh, fish');
  });
});
