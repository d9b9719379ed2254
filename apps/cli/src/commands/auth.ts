import { parseArgs } from 'node:util';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import type { CliIo } from '../cli-io.js';

const usage =
  'Usage: fedmcp auth new-key [--subject NAME] [--group G…] [--scope S…]  (prints a new API key and the config entry with its hash)\n';

/**
 * `fedmcp auth new-key [--subject NAME] [--group G] [--scope S]`: makes a new API key and prints
 * it once, with the `auth.apiKeys` entry (its SHA-256 hash, never the key) to paste into the config.
 */
export async function authCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'new-key') {
    io.stderr(`fedmcp auth: unknown subcommand "${subcommand ?? ''}". ${usage}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      subject: { type: 'string', default: 'api-client' },
      group: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
  });
  const key = generateApiKey();
  const entry = {
    hash: await hashApiKey(key),
    subject: values.subject,
    ...(values.group?.length ? { groups: values.group } : {}),
    ...(values.scope?.length ? { scopes: values.scope } : {}),
  };
  if (values.json) {
    io.stdout(`${JSON.stringify({ key, entry })}\n`);
    return 0;
  }
  io.stdout(
    `API key (shown once; give it to the client, which sends "Authorization: Bearer <key>" or "X-API-Key: <key>"):\n` +
      `  ${key}\n\n` +
      `Add this entry to "auth": { "apiKeys": [ … ] } in fedmcp.config.json (it holds only the hash):\n` +
      `${JSON.stringify(entry, null, 2)
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n')}\n`,
  );
  return 0;
}
