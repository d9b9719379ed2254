/**
 * The shape of the `fedmcp` command table (in run-cli.ts): every command and subcommand with one
 * summary line and its usage. `--help`, `fedmcp help`, "did you mean" and the shell completions
 * are all generated from it, so a command added there is documented everywhere.
 */
import type { CliIo } from './cli-io.js';

/** Runs a command with the arguments after its name. @returns the exit code. */
export type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/** A subcommand of a command (`fedmcp keys show`): what `--help` and the completions say about it. */
export interface SubcommandEntry {
  /** One line for the command's `--help`. */
  summary: string;
  /** Its synopsis after `fedmcp <command> `, then option lines, as `--help` prints them. */
  usage: string;
}

/** A command: what runs, one line for `fedmcp help`, and its synopsis for `fedmcp <command> --help`. */
export interface CommandEntry {
  /** Gets the arguments after the command's name (the subcommand first, when it has some). */
  run: Command;
  summary: string;
  /** Its synopsis after `fedmcp `, then option lines. */
  usage: string;
  /** Its subcommands, when it has some (`fedmcp keys show|rotate`). */
  subcommands?: Record<string, SubcommandEntry>;
}

/** The command table: command name → entry. */
export type CommandTable = Record<string, CommandEntry>;

/** `--help` or `-h` among a command's arguments (before a `--` that ends the options). */
export function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/** The list of commands, `fedmcp help`. */
export function programHelp(commands: CommandTable): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length), 10) + 2;
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}${command.summary}`,
  );
  return `fedmcp — a federation hub for the Model Context Protocol

Usage: fedmcp <command> [options]

Commands:
${lines.join('\n')}
  ${'help'.padEnd(width)}show this help (also: fedmcp <command> --help, fedmcp <command> <subcommand> --help)

Options:
  --version, -v  print the version
  --help, -h     print the help of a command
`;
}

/** `fedmcp <command> --help`, or `fedmcp <command> <subcommand> --help` when `subcommand` is known. */
export function commandHelp(name: string, command: CommandEntry, subcommand?: string): string {
  const sub = subcommand === undefined ? undefined : command.subcommands?.[subcommand];
  if (sub) {
    return `fedmcp ${name} ${subcommand}: ${sub.summary}\n\nUsage: fedmcp ${name} ${sub.usage}\n`;
  }
  const subcommands = Object.entries(command.subcommands ?? {});
  if (subcommands.length === 0) {
    return `fedmcp ${name}: ${command.summary}\n\nUsage: fedmcp ${command.usage}\n`;
  }
  const width = Math.max(...subcommands.map(([subName]) => subName.length)) + 2;
  return `fedmcp ${name}: ${command.summary}

Usage: fedmcp ${command.usage}

Subcommands:
${subcommands.map(([subName, entry]) => `  ${subName.padEnd(width)}${entry.summary}`).join('\n')}

Run "fedmcp ${name} <subcommand> --help" for its options.
`;
}

/** The `--long` options a usage text mentions, for the completions. */
export function optionsOf(usage: string): string[] {
  return [...new Set(usage.match(/--[a-z][a-z0-9-]*/g) ?? [])].filter(
    (option) => option !== '--help',
  );
}
