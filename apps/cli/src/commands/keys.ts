import { parseArgs } from 'node:util';
import { createHubKeyring, type HubKeyring } from '@fedmcp/proxy-auth';
import { loadOrCreateHubKeys, writeHubKeys } from '@fedmcp/proxy-auth/node';
import { hubKeysFile, keyGracePeriodMs } from '@fedmcp/server';
import type { CliIo } from '../cli-io.js';
import { resolveConfig } from './resolve-config.js';

const usage =
  'Usage: fedmcp keys show [--config FILE] [--json]   (the hub key fingerprint and published keys)\n' +
  '       fedmcp keys rotate [--config FILE]          (a new signing key; the old one stays published for the grace period)\n';

/** What {@link keysCommand} reads besides argv, injectable for tests. */
export interface KeysCommandOptions {
  /** Where relative paths of the config start. @default process.cwd() */
  baseDirectory?: string;
  /** The clock. @default Date.now */
  now?: () => number;
}

function describeKeys(keyring: HubKeyring, path: string): string {
  const current = keyring.current.kid;
  const lines = keyring.published().map((key) => {
    const state =
      key.kid === current
        ? 'current'
        : `published until ${new Date(key.retiresAt ?? 0).toISOString()}`;
    return `  ${key.fingerprint}  ${key.alg}  created ${new Date(key.createdAt).toISOString()}  ${state}`;
  });
  return `Hub key fingerprint: SHA256:${current}\nKeys file: ${path}\nPublished keys:\n${lines.join('\n')}\n`;
}

/**
 * `fedmcp keys show|rotate`: the hub's signing keys (`<dataDir>/hub-keys.json`, created on first
 * use). `show` prints the current key's fingerprint — what a peer pins — and every published key;
 * `rotate` adds a new current key and keeps the old one published until the grace period ends
 * (`hub.keys.gracePeriodHours`, default 24), so a running hub serves both in its JWKS.
 */
export async function keysCommand(
  argv: readonly string[],
  io: CliIo,
  options: KeysCommandOptions = {},
): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'show' && subcommand !== 'rotate') {
    io.stderr(`fedmcp keys: unknown subcommand "${subcommand ?? ''}".\n${usage}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean', default: false },
    },
  });
  const { config } = await resolveConfig(values.config);
  const path = hubKeysFile(config, options.baseDirectory ?? process.cwd());
  const { keys, created } = await loadOrCreateHubKeys(path, {
    ...(config.hub.keys?.algorithm ? { algorithm: config.hub.keys.algorithm } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const keyring = await createHubKeyring({
    keys,
    gracePeriodMs: keyGracePeriodMs(config),
    ...(options.now ? { now: options.now } : {}),
  });
  if (subcommand === 'rotate') {
    const previous = keyring.current.kid;
    const added = await keyring.rotate();
    await writeHubKeys(path, keyring.stored());
    const retiring = keyring.published().find((key) => key.kid === previous);
    io.stdout(
      `New hub key: ${added.fingerprint}\n` +
        `It is published now (a running hub serves it at /.well-known/jwks.json) and signs from ${new Date(added.activatesAt ?? added.createdAt).toISOString()}, once peers can have fetched it.\n` +
        `The previous key SHA256:${previous} signs until then and stays published until ${new Date(retiring?.retiresAt ?? 0).toISOString()}.\n`,
    );
    return 0;
  }
  if (values.json) {
    io.stdout(
      `${JSON.stringify({ path, fingerprint: `SHA256:${keyring.current.kid}`, keys: keyring.published() }, null, 2)}\n`,
    );
    return 0;
  }
  if (created) io.stdout(`Created a new hub key in ${path}.\n`);
  io.stdout(describeKeys(keyring, path));
  return 0;
}
