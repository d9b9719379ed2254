const usage = `fedmcp — a federation hub for the Model Context Protocol

Usage: fedmcp <command> [options]

Commands:
  help        show this help

The hub's commands (serve, init, tools, call, …) arrive with the hub.
`;

/** The output streams the CLI writes to; injectable so tests can capture them. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Runs the `fedmcp` command line with the given arguments.
 * @returns the process exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [command] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    io.stdout(usage);
    return 0;
  }
  io.stderr(`fedmcp: unknown command "${command}". Run "fedmcp help" for the list of commands.\n`);
  return 2;
}
