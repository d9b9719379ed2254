import { parseArgs } from 'node:util';
import { openConfigSecrets, secretsLocation } from '@fedmcp/server';
import type { CliIo } from '../cli-io.js';
import { resolveConfig } from './resolve-config.js';

const usage =
  'Usage: fedmcp secrets set NAME [--value V]   (reads the value from stdin without --value)\n' +
  '       fedmcp secrets list | rm NAME          [--config FILE]\n';

/** What {@link secretsCommand} reads besides argv, injectable for tests. */
export interface SecretsCommandOptions {
  /** The environment (`FEDMCP_SECRET_KEY`). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** Reads the value of `set` when `--value` is absent. @default all of stdin */
  readStdin?: () => Promise<string>;
  /** Where relative paths of the config start. @default process.cwd() */
  baseDirectory?: string;
}

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

const secretName = /^[A-Za-z0-9_.-]+$/;

/**
 * `fedmcp secrets set|list|rm`: the encrypted secrets file that `${secret:NAME}` references in
 * the config read from (AES-256-GCM; key from `FEDMCP_SECRET_KEY` or `<dataDir>/secret.key`).
 * Values are never printed.
 */
export async function secretsCommand(
  argv: readonly string[],
  io: CliIo,
  options: SecretsCommandOptions = {},
): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'set' && subcommand !== 'list' && subcommand !== 'rm') {
    io.stderr(`fedmcp secrets: unknown subcommand "${subcommand ?? ''}".\n${usage}`);
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      value: { type: 'string' },
    },
  });
  const { config } = await resolveConfig(values.config);
  const baseDirectory = options.baseDirectory ?? process.cwd();
  const env = options.env ?? process.env;
  const secrets = await openConfigSecrets(config, { baseDirectory, env });
  if (subcommand === 'list') {
    const names = await secrets.list();
    if (names.length === 0) io.stdout(`No secrets in ${secrets.path}.\n`);
    else io.stdout(`${names.join('\n')}\n`);
    return 0;
  }
  const name = positionals[0];
  if (name === undefined || !secretName.test(name)) {
    io.stderr(
      `fedmcp secrets ${subcommand}: give a secret NAME (letters, digits, "_", "." and "-").\n${usage}`,
    );
    return 2;
  }
  if (subcommand === 'rm') {
    if (await secrets.remove(name)) {
      io.stdout(`Removed ${name} from ${secrets.path}.\n`);
      return 0;
    }
    io.stderr(`fedmcp secrets rm: no secret named ${name} in ${secrets.path}.\n`);
    return 1;
  }
  const value = values.value ?? (await (options.readStdin ?? readAllStdin)()).replace(/\r?\n$/, '');
  if (value === '') {
    io.stderr('fedmcp secrets set: the value is empty; pass --value or pipe it on stdin.\n');
    return 2;
  }
  await secrets.set(name, value);
  const key = env.FEDMCP_SECRET_KEY
    ? 'FEDMCP_SECRET_KEY'
    : secretsLocation(config, baseDirectory).keyFile;
  io.stdout(
    `Stored ${name} in ${secrets.path} (key: ${key}). Refer to it as "\${secret:${name}}" in mcpServers headers or env.\n`,
  );
  return 0;
}
