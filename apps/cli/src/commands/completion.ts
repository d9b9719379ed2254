import type { CliIo } from '../cli-io.js';
import { type CommandTable, optionsOf } from '../command-table.js';

const shells = ['bash', 'zsh', 'fish'] as const;
type Shell = (typeof shells)[number];

/** Words completed after each command: its subcommands, else its options. */
function wordsAfter(table: CommandTable): Array<{ name: string; words: string[] }> {
  return Object.entries(table).map(([name, command]) => {
    const subcommands = Object.keys(command.subcommands ?? {});
    return { name, words: subcommands.length > 0 ? subcommands : optionsOf(command.usage) };
  });
}

/** Options after `<command> <subcommand>`. */
function subcommandOptions(table: CommandTable): Array<{ path: string; options: string[] }> {
  return Object.entries(table).flatMap(([name, command]) =>
    Object.entries(command.subcommands ?? {}).map(([sub, entry]) => ({
      path: `${name} ${sub}`,
      options: optionsOf(entry.usage),
    })),
  );
}

function bash(table: CommandTable): string {
  const names = Object.keys(table).join(' ');
  const second = wordsAfter(table)
    .map(({ name, words }) => `    ${name}) words="${words.join(' ')}" ;;`)
    .join('\n');
  const third = subcommandOptions(table)
    .map(({ path, options }) => `    "${path}") words="${options.join(' ')}" ;;`)
    .join('\n');
  return `# fedmcp completion for bash: source <(fedmcp completion bash)
_fedmcp() {
  local current="\${COMP_WORDS[COMP_CWORD]}" words=""
  if [ "$COMP_CWORD" -eq 1 ]; then
    words="${names} help --version --help"
  elif [ "$COMP_CWORD" -eq 2 ]; then
    case "\${COMP_WORDS[1]}" in
${second}
    esac
  else
    case "\${COMP_WORDS[1]} \${COMP_WORDS[2]}" in
${third}
    esac
    case "\${COMP_WORDS[1]}" in
${wordsAfter(table)
  .filter(({ name }) => !table[name]?.subcommands)
  .map(({ name, words }) => `    ${name}) words="${words.join(' ')}" ;;`)
  .join('\n')}
    esac
  fi
  COMPREPLY=( $(compgen -W "$words" -- "$current") )
}
complete -o default -F _fedmcp fedmcp
`;
}

function zsh(table: CommandTable): string {
  // zsh runs bash completion functions through bashcompinit.
  return `#compdef fedmcp
# fedmcp completion for zsh: source <(fedmcp completion zsh)
autoload -U +X bashcompinit && bashcompinit
${bash(table).replace(/^# .*\n/, '')}`;
}

function fish(table: CommandTable): string {
  const quote = (text: string) => text.replace(/'/g, "\\'");
  const lines = [
    '# fedmcp completion for fish: fedmcp completion fish > ~/.config/fish/completions/fedmcp.fish',
    'complete -c fedmcp -f',
    ...Object.entries(table).map(
      ([name, command]) =>
        `complete -c fedmcp -n '__fish_use_subcommand' -a '${name}' -d '${quote(command.summary)}'`,
    ),
  ];
  for (const [name, command] of Object.entries(table)) {
    const subcommands = Object.entries(command.subcommands ?? {});
    for (const [sub, entry] of subcommands) {
      lines.push(
        `complete -c fedmcp -n '__fish_seen_subcommand_from ${name}; and not __fish_seen_subcommand_from ${subcommands.map(([other]) => other).join(' ')}' -a '${sub}' -d '${quote(entry.summary)}'`,
      );
      for (const option of optionsOf(entry.usage)) {
        lines.push(
          `complete -c fedmcp -n '__fish_seen_subcommand_from ${name}; and __fish_seen_subcommand_from ${sub}' -l '${option.slice(2)}'`,
        );
      }
    }
    if (subcommands.length === 0) {
      for (const option of optionsOf(command.usage)) {
        lines.push(
          `complete -c fedmcp -n '__fish_seen_subcommand_from ${name}' -l '${option.slice(2)}'`,
        );
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `fedmcp completion bash|zsh|fish`: a completion script for the shell, generated from the
 * command table (commands, subcommands and their options).
 */
export async function completionCommand(
  argv: readonly string[],
  io: CliIo,
  table: CommandTable,
): Promise<number> {
  const [shell] = argv;
  if (!shells.includes(shell as Shell)) {
    io.stderr(
      `fedmcp completion: name a shell: ${shells.join(', ')} (got "${shell ?? ''}").\nUsage: fedmcp completion bash | zsh | fish\n`,
    );
    return 2;
  }
  const generate = { bash, zsh, fish }[shell as Shell];
  io.stdout(generate(table));
  return 0;
}
