import { FEDMCP_VERSION } from '@fedmcp/protocol';
import { type CliIo, processIo } from './cli-io.js';
import { auditCommand } from './commands/audit.js';
import { authCommand } from './commands/auth.js';
import { callCommand } from './commands/call.js';
import { consentCommand } from './commands/consent.js';
import { initCommand } from './commands/init.js';
import { keysCommand } from './commands/keys.js';
import { peersCommand } from './commands/peers.js';
import { policyCommand } from './commands/policy.js';
import { secretsCommand } from './commands/secrets.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { toolsCommand } from './commands/tools.js';
import { toolsPinningCommand } from './commands/tools-pinning.js';

type Command = (argv: readonly string[], io: CliIo) => Promise<number>;

/** A command: what runs, one line for `fedmcp help`, and its synopsis for `fedmcp <command> --help`. */
interface CommandEntry {
  run: Command;
  summary: string;
  usage: string;
}

const connectOptions = '[--config FILE | --url URL [--header "Name: value"]... [--token T]]';

const commands: Record<string, CommandEntry> = {
  serve: {
    run: (argv, io) => serveCommand(argv, io),
    summary: 'run the hub (HTTP: /mcp, /sse, /ws; or --stdio)',
    usage: `serve [--config FILE] [--host HOST] [--port N] [--stdio] [--log-level LEVEL]

  -c, --config FILE    the config file (default: ./fedmcp.config.json when present)
      --host HOST      the address to listen on (overrides hub.host)
  -p, --port N         the port to listen on, 0 for any free port (overrides hub.port)
      --stdio          serve MCP on stdin/stdout instead of HTTP; logs go to stderr
      --log-level L    trace | debug | info | warn | error | silent (default: info)`,
  },
  init: {
    run: initCommand,
    summary: 'write a commented starter fedmcp.config.json',
    usage: 'init [--config FILE] [--force]',
  },
  tools: {
    run: (argv, io) =>
      argv[0] === 'diff' || argv[0] === 'approve'
        ? toolsPinningCommand(argv, io)
        : toolsCommand(argv, io),
    summary:
      'tools list [--config | --url]; tools diff | approve <upstream> <tool> (pinned definitions)',
    usage: `tools list ${connectOptions} [--json]
       fedmcp tools diff | approve <upstream> <tool> [--config FILE] [--prompt] [--digest D] [--json]`,
  },
  call: {
    run: callCommand,
    summary: 'call one tool: call <tool> --args JSON',
    usage: `call <tool> [--args JSON] ${connectOptions} [--timeout-ms N]`,
  },
  policy: {
    run: policyCommand,
    summary: 'explain a policy decision: policy check --subject S --action A --target T',
    usage: 'policy check --subject S --action A --target T [--config FILE]',
  },
  secrets: {
    run: (argv, io) => secretsCommand(argv, io),
    summary: 'the encrypted secrets file: secrets set NAME | list | rm NAME',
    usage: 'secrets set NAME [--value V] | list | rm NAME [--config FILE]',
  },
  consent: {
    run: (argv, io) => consentCommand(argv, io),
    summary: 'the consent ledger: consent list | grant --subject S --target T | revoke',
    usage:
      'consent list | grant --subject S --target T (--for 1h | --always) | revoke --id ID [--config FILE]',
  },
  audit: {
    run: (argv, io) => auditCommand(argv, io),
    summary: 'audit events from the store: audit tail [--follow]',
    usage: 'audit tail [--follow] [--lines N] [--json] [--config FILE]',
  },
  keys: {
    run: (argv, io) => keysCommand(argv, io),
    summary: 'the hub signing keys: keys show | rotate',
    usage: 'keys show | rotate [--config FILE] [--json]',
  },
  peers: {
    run: (argv, io) => peersCommand(argv, io),
    summary: 'peer hubs: peers add URL [--id ID] [--yes] | list',
    usage:
      'peers add URL [--id ID] [--yes] [--pin] [--allow-insecure] | list [--config FILE] [--json]',
  },
  status: {
    run: (argv, io) => statusCommand(argv, io),
    summary: 'upstreams and peers with their states: status [--config | --url] [--json]',
    usage: `status ${connectOptions} [--depth N] [--json]`,
  },
  auth: {
    run: authCommand,
    summary: 'auth new-key: a new API key and its config entry (hash)',
    usage: 'auth new-key [--subject NAME] [--group G]... [--scope S]... [--json]',
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length), 4) + 2;
  const lines = Object.entries(commands).map(
    ([name, command]) => `  ${name.padEnd(width)}${command.summary}`,
  );
  return `fedmcp — a federation hub for the Model Context Protocol

Usage: fedmcp <command> [options]

Commands:
${lines.join('\n')}
  ${'help'.padEnd(width)}show this help (also: fedmcp <command> --help)

Options:
  --version, -v  print the version
`;
}

/** `--help` or `-h` among a command's arguments (before a `--` that ends the options). */
function asksForHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).some((arg) => arg === '--help' || arg === '-h');
}

/**
 * Runs the `fedmcp` command line with the given arguments.
 * @returns the process exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(usage());
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout(`${FEDMCP_VERSION}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    io.stderr(`fedmcp: unknown command "${name}". Run "fedmcp help" for the list of commands.\n`);
    return 2;
  }
  if (asksForHelp(rest)) {
    io.stdout(`fedmcp ${name}: ${command.summary}\n\nUsage: fedmcp ${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`fedmcp ${name}: ${message}\n`);
    return 1;
  }
}
