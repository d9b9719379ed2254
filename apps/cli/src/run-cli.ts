import { FEDMCP_VERSION } from '@fedmcp/protocol';
import { closestName, logLevels } from '@fedmcp/server';
import { type CliIo, processIo } from './cli-io.js';
import { asksForHelp, type CommandTable, commandHelp, programHelp } from './command-table.js';
import { auditCommand } from './commands/audit.js';
import { authCommand } from './commands/auth.js';
import { callCommand } from './commands/call.js';
import { completionCommand } from './commands/completion.js';
import { consentCommand } from './commands/consent.js';
import { deployCommand } from './commands/deploy.js';
import { destroyCommand } from './commands/destroy.js';
import { devCommand } from './commands/dev.js';
import { doctorCommand } from './commands/doctor.js';
import { initCommand } from './commands/init.js';
import { keysCommand } from './commands/keys.js';
import { logsCommand } from './commands/logs.js';
import { peersCommand } from './commands/peers.js';
import { policyCommand } from './commands/policy.js';
import { wantsProvider } from './commands/provider-setup.js';
import { providerLogsCommand, providerStatusCommand } from './commands/provider-status-logs.js';
import { scaleCommand } from './commands/scale.js';
import { secretsCommand } from './commands/secrets.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { tasksCommand } from './commands/tasks.js';
import { toolsCommand } from './commands/tools.js';
import { toolsPinningCommand } from './commands/tools-pinning.js';

const connectOptions =
  '[--config FILE | --url URL [--header "Name: value"]... [--token T]] [--offline]';

const configOption =
  '  -c, --config FILE    the config file (default: ./fedmcp.config.json when present)';
const connectLines = `${configOption}
      --url URL        a hub or MCP server to ask (default: the hub running on the config's port)
  -H, --header "N: v"  a request header for the hub (repeatable)
      --token T        sent to the hub as "Authorization: Bearer T"
      --offline        do not ask a running hub: start the config's upstreams in this process`;

/**
 * Every command and subcommand. `fedmcp help`, `--help`, "did you mean" and `fedmcp completion`
 * are generated from this table: add a command (and its subcommands) here.
 */
const commands: CommandTable = {
  serve: {
    run: (argv, io) => serveCommand(argv, io),
    summary: 'run the hub (HTTP: /mcp, /sse, /ws; or --stdio)',
    usage: `serve [--config FILE] [--host HOST] [--port N] [--stdio] [--log-level LEVEL]

${configOption}
      --host HOST      the address to listen on (overrides hub.host)
  -p, --port N         the port to listen on, 0 for any free port (overrides hub.port)
      --stdio          serve MCP on stdin/stdout instead of HTTP; logs go to stderr
      --log-level L    ${logLevels.join(' | ')} (default: info)`,
  },
  dev: {
    run: (argv, io) => devCommand(argv, io),
    summary: 'run the hub fedmcp deploy builds locally in an edge runtime (workerd or deno)',
    usage: `dev --runtime workerd|deno [--config FILE] [--port N]

${configOption}
      --runtime R      workerd (the Worker in Miniflare, state in Durable Objects) or deno
                       (the Supabase function, state in the config's PostgreSQL store or memory)
  -p, --port N         the port on 127.0.0.1, 0 for any free port (default: 8787)`,
  },
  init: {
    run: initCommand,
    summary: 'write a commented starter fedmcp.config.json',
    usage: `init [--config FILE] [--force]

${configOption}
      --force          overwrite an existing file`,
  },
  tools: {
    run: (argv, io) =>
      argv[0] === 'diff' || argv[0] === 'approve'
        ? toolsPinningCommand(argv, io)
        : toolsCommand(argv, io),
    summary: "the hub's tools: tools list; pinned definitions: tools diff | approve",
    usage: 'tools list | diff | approve [options]',
    subcommands: {
      list: {
        summary: "the hub's namespaced tools (asks the running hub; --offline: in process)",
        usage: `list ${connectOptions} [--json]\n\n${connectLines}\n      --json           JSON output`,
      },
      diff: {
        summary: "what changed in a quarantined tool's definition",
        usage: `diff <upstream> <tool> [--config FILE] [--json]\n\n${configOption}`,
      },
      approve: {
        summary: 'trust a changed tool definition again',
        usage: `approve <upstream> <tool> [--config FILE] [--prompt] [--digest D]\n\n${configOption}\n      --prompt         the item is a prompt, not a tool\n      --digest D       approve only this definition digest`,
      },
    },
  },
  call: {
    run: callCommand,
    summary: 'call one tool: call <tool> --args JSON (progress shown as it comes)',
    usage: `call <tool> [--args JSON] ${connectOptions} [--timeout-ms N]

  -a, --args JSON      the tool's arguments, a JSON object (default: {})
${connectLines}
      --timeout-ms N   give up after N ms without progress (default: 60000)`,
  },
  status: {
    run: (argv, io) =>
      wantsProvider(argv) ? providerStatusCommand(argv, io) : statusCommand(argv, io),
    summary: 'upstreams and peers with their states (asks the running hub; --offline: in process)',
    usage: `status ${connectOptions} [--depth N] [--json]

${connectLines}
      --depth N        how many levels of peers to ask (default: 1)
      --json           JSON output
      --provider P     a hub deployed with \`fedmcp deploy P\` instead (cloudflare | supabase | fly; --name N)`,
  },
  doctor: {
    run: (argv, io) => doctorCommand(argv, io),
    summary: 'check the config, state, ports, upstreams, stores, TLS, clock and peers',
    usage: `doctor [--config FILE] [--json]

${configOption}
      --json           JSON output
Exits 1 when a check fails (warnings do not).`,
  },
  logs: {
    run: (argv, io) =>
      wantsProvider(argv) ? providerLogsCommand(argv, io) : logsCommand(argv, io),
    summary:
      "the hub's call log (its store, or --url: its admin API): logs [--follow] [--upstream X]",
    usage: `logs [--follow] [--upstream ID] [--lines N] [--json] [--config FILE | --url URL --token ADMIN_KEY]

${configOption}
      --url URL        ask the running hub's admin API instead of reading its store
      --token T        an API key or token with the "admin" scope (or -H "Name: value")
  -f, --follow         keep printing new calls
      --upstream ID    only calls to this upstream
  -n, --lines N        how many past calls to print (default: 20)
      --json           one JSON event per line
      --provider P     a hub deployed with \`fedmcp deploy P\` instead (cloudflare | supabase | fly; --name N)`,
  },
  policy: {
    run: policyCommand,
    summary: 'explain a policy decision: policy check --subject S --action A --target T',
    usage: 'policy check [options]',
    subcommands: {
      check: {
        summary: 'which rule decides, and the decision (exit 0 allowed, 1 denied)',
        usage: `check --subject S [--subject S]... --action A --target T [--config FILE]\n\n  S: alice | user:alice | group:dev | scope:tools.read | via:eu | method:api-key | issuer:URL\n${configOption}`,
      },
    },
  },
  secrets: {
    run: (argv, io) => secretsCommand(argv, io),
    summary: 'the encrypted secrets file: secrets set NAME | list | rm NAME',
    usage: 'secrets set | list | rm [options]',
    subcommands: {
      set: {
        summary: 'store a secret (read from stdin without --value)',
        usage: `set NAME [--value V] [--config FILE]\n\n${configOption}`,
      },
      list: {
        summary: 'the names of the stored secrets',
        usage: `list [--config FILE]\n\n${configOption}`,
      },
      rm: { summary: 'remove a secret', usage: `rm NAME [--config FILE]\n\n${configOption}` },
    },
  },
  consent: {
    run: (argv, io) => consentCommand(argv, io),
    summary: 'the consent ledger: consent list | grant --subject S --target T | revoke',
    usage: 'consent list | grant | revoke [options]',
    subcommands: {
      list: {
        summary: 'the grants in force',
        usage: `list [--subject S] [--target T] [--json] [--config FILE]\n\n${configOption}`,
      },
      grant: {
        summary: 'grant a subject a target, for a period or always',
        usage: `grant --subject S --target T (--for 1h | --always) [--deny] [--upstream U] [--config FILE]\n\n  S may be "*" for everyone, T a glob such as "github__*"\n${configOption}`,
      },
      revoke: {
        summary: 'revoke grants',
        usage: `revoke (--id ID | --subject S [--target T] | --target T) [--config FILE]\n\n${configOption}`,
      },
    },
  },
  audit: {
    run: (argv, io) => auditCommand(argv, io),
    summary: 'audit events from the store: audit tail [--follow]',
    usage: 'audit tail [options]',
    subcommands: {
      tail: {
        summary: 'the last audit events, then new ones with --follow',
        usage: `tail [--follow] [--lines N] [--json] [--config FILE]\n\n${configOption}\n  -f, --follow         keep printing new events\n  -n, --lines N        how many past events (default: 20)\n      --json           one JSON event per line`,
      },
    },
  },
  tasks: {
    run: (argv, io) => tasksCommand(argv, io),
    summary: "the hub's durable tasks (from its store): tasks list | get <id> | cancel <id>",
    usage: 'tasks list | get <id> | cancel <id> [options]',
    subcommands: {
      list: {
        summary: 'every task, oldest first',
        usage: `list [--json] [--config FILE]\n\n${configOption}`,
      },
      get: { summary: 'one task', usage: `get <id> [--json] [--config FILE]\n\n${configOption}` },
      cancel: {
        summary: 'cancel a running task (its hub stops the call)',
        usage: `cancel <id> [--json] [--config FILE]\n\n${configOption}`,
      },
    },
  },
  keys: {
    run: (argv, io) => keysCommand(argv, io),
    summary: 'the hub signing keys: keys show | rotate',
    usage: 'keys show | rotate [options]',
    subcommands: {
      show: {
        summary: 'the key fingerprint peers pin, and the published keys',
        usage: `show [--config FILE] [--json]\n\n${configOption}\n      --json           JSON output`,
      },
      rotate: {
        summary: 'a new signing key; the old one stays published for the grace period',
        usage: `rotate [--config FILE]\n\n${configOption}`,
      },
    },
  },
  peers: {
    run: (argv, io) => peersCommand(argv, io),
    summary: 'peer hubs: peers add URL [--id ID] [--yes] | list',
    usage: 'peers add | list [options]',
    subcommands: {
      add: {
        summary: 'discover a hub and trust it as a peer',
        usage: `add URL [--id ID] [--yes] [--pin] [--allow-insecure] [--config FILE]\n\n${configOption}\n      --id ID          the peer's id (default: its hub id)\n      --yes            do not ask for confirmation\n      --pin            pin its current key fingerprints\n      --allow-insecure accept an http:// peer that is not on this machine`,
      },
      list: {
        summary: 'the trusted peers',
        usage: `list [--config FILE] [--json]\n\n${configOption}\n      --json           JSON output`,
      },
    },
  },
  auth: {
    run: authCommand,
    summary: 'auth new-key | login | logout UPSTREAM: API keys; OAuth tokens at an upstream',
    usage: 'auth new-key | login | logout [options]',
    subcommands: {
      'new-key': {
        summary: 'a new API key, printed once, and the hashed entry for auth.apiKeys',
        usage: 'new-key [--subject NAME] [--group G]... [--scope S]... [--json]',
      },
      login: {
        summary: 'authorize the hub at an OAuth-protected upstream (its "oauth" block)',
        usage: `login UPSTREAM [--config FILE] [--port N] [--no-browser]\n\n${configOption}\n      --port N         the loopback redirect's port (default: any free one)\n      --no-browser     only print the authorization URL`,
      },
      logout: {
        summary: "forget the hub's (or, with --subject, one user's) tokens at an OAuth upstream",
        usage: `logout UPSTREAM [--subject S] [--config FILE]\n\n${configOption}\n      --subject S      the user whose tokens go ("oauth": { "mode": "user" })`,
      },
    },
  },
  deploy: {
    run: (argv, io) => deployCommand(argv, io),
    summary: 'deploy the hub to cloudflare | supabase | fly (says what it creates first)',
    usage: `deploy <cloudflare|supabase|fly> [--config FILE] [--bundle DIR] [--dry-run] [options]

${configOption}
      --name N         the Worker, function or app name (default: fedmcp-hub)
      --bundle DIR     the worker or function files to upload (cloudflare, supabase)
      --entry FILE     the entry module inside --bundle (default: index.js, index.mjs, index.ts)
      --var NAME=V     a plain variable (repeatable)
      --secret NAME    a secret, its value from the environment or the secrets file (repeatable)
      --dry-run        send nothing; print the exact requests as JSON (credentials redacted)
      --allow-literal-secrets  bundle credentials written literally in the config (refused otherwise)
      --region R, --org O, --image I, --count N   fly: placement, image, first machine count
Credentials from the environment or the secrets file: CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID,
SUPABASE_ACCESS_TOKEN, SUPABASE_PROJECT_REF, FLY_API_TOKEN.`,
  },
  scale: {
    run: (argv, io) => scaleCommand(argv, io),
    summary: 'set the number of Fly machines: scale fly --count N',
    usage: `scale fly --count N [--auto-stop off|stop|suspend] [--min-running N] [--name N]`,
  },
  destroy: {
    run: (argv, io) => destroyCommand(argv, io),
    summary: 'delete a hub deployed with fedmcp deploy',
    usage: `destroy <cloudflare|supabase|fly> [--name N] [--config FILE]`,
  },
  completion: {
    run: (argv, io) => completionCommand(argv, io, commands),
    summary: 'shell completions: completion bash | zsh | fish',
    usage: 'completion bash | zsh | fish',
    subcommands: {
      bash: {
        summary: 'for bash: source <(fedmcp completion bash)',
        usage: 'bash   (add `source <(fedmcp completion bash)` to ~/.bashrc)',
      },
      zsh: {
        summary: 'for zsh: source <(fedmcp completion zsh)',
        usage: 'zsh    (add `source <(fedmcp completion zsh)` to ~/.zshrc)',
      },
      fish: {
        summary: 'for fish: fedmcp completion fish > ~/.config/fish/completions/fedmcp.fish',
        usage: 'fish   (fedmcp completion fish > ~/.config/fish/completions/fedmcp.fish)',
      },
    },
  },
};

/**
 * Runs the `fedmcp` command line with the given arguments.
 * @returns the process exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout(programHelp(commands));
    return 0;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    io.stdout(`${FEDMCP_VERSION}\n`);
    return 0;
  }
  const command = commands[name];
  if (!command) {
    const near = closestName(name, Object.keys(commands));
    io.stderr(
      `fedmcp: unknown command "${name}".${near ? ` Did you mean "fedmcp ${near}"?` : ''} Run "fedmcp help" for the list of commands.\n`,
    );
    return 2;
  }
  if (asksForHelp(rest)) {
    io.stdout(commandHelp(name, command, rest[0]));
    return 0;
  }
  try {
    const code = await command.run(rest, io);
    // The command refused an unknown subcommand: name the closest one.
    const subcommands = Object.keys(command.subcommands ?? {});
    const [word] = rest;
    if (code === 2 && word !== undefined && !subcommands.includes(word)) {
      const near = closestName(word, subcommands);
      if (near) io.stderr(`Did you mean "fedmcp ${name} ${near}"?\n`);
    }
    return code;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`fedmcp ${name}: ${message}\n`);
    return 1;
  }
}
