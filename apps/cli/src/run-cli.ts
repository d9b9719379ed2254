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

const commands: Record<string, { run: Command; summary: string }> = {
  serve: {
    run: (argv, io) => serveCommand(argv, io),
    summary: 'run the hub (HTTP: /mcp, /sse, /ws; or --stdio)',
  },
  init: { run: initCommand, summary: 'write a commented starter fedmcp.config.json' },
  tools: {
    run: (argv, io) =>
      argv[0] === 'diff' || argv[0] === 'approve'
        ? toolsPinningCommand(argv, io)
        : toolsCommand(argv, io),
    summary:
      'tools list [--config | --url]; tools diff | approve <upstream> <tool> (pinned definitions)',
  },
  call: { run: callCommand, summary: 'call one tool: call <tool> --args JSON' },
  policy: {
    run: policyCommand,
    summary: 'explain a policy decision: policy check --subject S --action A --target T',
  },
  secrets: {
    run: (argv, io) => secretsCommand(argv, io),
    summary: 'the encrypted secrets file: secrets set NAME | list | rm NAME',
  },
  consent: {
    run: (argv, io) => consentCommand(argv, io),
    summary: 'the consent ledger: consent list | grant --subject S --target T | revoke',
  },
  audit: {
    run: (argv, io) => auditCommand(argv, io),
    summary: 'audit events from the store: audit tail [--follow]',
  },
  keys: {
    run: (argv, io) => keysCommand(argv, io),
    summary: 'the hub signing keys: keys show | rotate',
  },
  peers: {
    run: (argv, io) => peersCommand(argv, io),
    summary: 'peer hubs: peers add URL [--id ID] [--yes] | list',
  },
  status: {
    run: (argv, io) => statusCommand(argv, io),
    summary: 'upstreams and peers with their states: status [--config | --url] [--json]',
  },
  auth: { run: authCommand, summary: 'auth new-key: a new API key and its config entry (hash)' },
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
  ${'help'.padEnd(width)}show this help
`;
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
  const command = commands[name];
  if (!command) {
    io.stderr(`fedmcp: unknown command "${name}". Run "fedmcp help" for the list of commands.\n`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`fedmcp ${name}: ${message}\n`);
    return 1;
  }
}
