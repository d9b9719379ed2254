import { access, readFile, rename, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { type DiscoveredPeer, discoverPeer } from '@fedmcp/federation';
import { type FedmcpConfig, type PeerConfig, parseConfig, stripJsonComments } from '@fedmcp/server';
import type { CliIo } from '../cli-io.js';
import { defaultConfigFile, resolveConfig } from './resolve-config.js';

const usage =
  'Usage: fedmcp peers add URL [--id ID] [--yes] [--pin] [--allow-insecure] [--config FILE]\n' +
  '       fedmcp peers list [--config FILE] [--json]\n';

/** What {@link peersCommand} reads besides argv, injectable for tests. */
export interface PeersCommandOptions {
  /** The fetch for discovery documents and key sets. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Asks a yes/no question. @default one line from stdin */
  confirm?: (question: string) => Promise<boolean>;
  /** Abort each fetch after this long. @default 5000 */
  timeoutMs?: number;
}

async function askOnStdin(question: string): Promise<boolean> {
  const lines = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((done) => {
      lines.question(question, done);
      lines.once('close', () => done(''));
    });
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    lines.close();
  }
}

function viewPeer(
  url: string,
  fetchImplementation: typeof fetch,
  timeoutMs: number,
  jwksUri?: string,
): Promise<DiscoveredPeer> {
  return discoverPeer(url, {
    fetch: fetchImplementation,
    timeoutMs,
    ...(jwksUri === undefined ? {} : { jwksUri }),
  });
}

function describeTrust(peer: PeerConfig): string {
  if (peer.keys) return `pinned keys (${peer.keys.keys.length})`;
  const source = peer.jwksUri ? `jwksUri ${peer.jwksUri}` : 'keys from its discovery document';
  const pins = peer.fingerprint === undefined ? [] : [peer.fingerprint].flat();
  return pins.length > 0 ? `${source}, pinned to ${pins.join(', ')}` : source;
}

async function configFileFor(option: string | undefined): Promise<string> {
  return resolve(option ?? defaultConfigFile);
}

async function addPeer(
  url: string,
  values: { id?: string; yes: boolean; pin: boolean; 'allow-insecure': boolean; config?: string },
  io: CliIo,
  options: PeersCommandOptions,
): Promise<number> {
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const view = await viewPeer(url, fetchImplementation, options.timeoutMs ?? 5000);
  const id = values.id ?? view.document.hubId;
  const entry: PeerConfig = {
    url: view.document.endpoint,
    ...(values.pin ? { fingerprint: view.fingerprints } : {}),
    ...(values['allow-insecure'] ? { allowInsecure: true } : {}),
  };
  const file = await configFileFor(values.config);
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  const text = exists ? await readFile(file, 'utf8') : '{}\n';
  const stripped = stripJsonComments(text);
  const raw = JSON.parse(stripped) as Record<string, unknown>;
  const peers = { ...((raw.peers as Record<string, unknown> | undefined) ?? {}) };
  const replacing = Object.hasOwn(peers, id);
  peers[id] = entry;
  const next = { ...raw, peers };
  // Validate the whole file as `fedmcp serve` would (e.g. plain http to a remote peer).
  parseConfig(next, file);

  io.stdout(
    `Peer hub at ${url}:\n` +
      `  id:          ${id}${id === view.document.hubId ? '' : ` (it calls itself "${view.document.hubId}")`}\n` +
      `  name:        ${view.document.name} (version ${view.document.version})\n` +
      `  endpoint:    ${view.document.endpoint}\n` +
      `  keys:        ${view.fingerprints.join(', ')}\n` +
      `  trust:       ${describeTrust(entry)}\n`,
  );
  const confirmed =
    values.yes ||
    (await (options.confirm ?? askOnStdin)(
      `Compare the key fingerprint with the peer's operator (fedmcp keys show). ${replacing ? 'Replace' : 'Add'} peer "${id}" in ${file}? [y/N] `,
    ));
  if (!confirmed) {
    io.stderr('Nothing written.\n');
    return 1;
  }
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`);
  await rename(temporary, file);
  io.stdout(`${replacing ? 'Replaced' : 'Added'} peer "${id}" in ${file}.\n`);
  if (stripped !== text) {
    io.stdout('Note: the file had comments or trailing commas; they were not kept.\n');
  }
  return 0;
}

async function listPeers(
  config: FedmcpConfig,
  json: boolean,
  io: CliIo,
  options: PeersCommandOptions,
): Promise<number> {
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  const entries = Object.entries(config.peers ?? {});
  const rows = await Promise.all(
    entries.map(async ([id, peer]) => {
      try {
        const view = await viewPeer(
          peer.url,
          fetchImplementation,
          options.timeoutMs ?? 5000,
          peer.jwksUri,
        );
        const notes: string[] = [];
        if (view.document.hubId !== id) notes.push(`calls itself "${view.document.hubId}"`);
        const pins = peer.fingerprint === undefined ? [] : [peer.fingerprint].flat();
        if (
          pins.length > 0 &&
          !view.fingerprints.some((fingerprint) => pins.includes(fingerprint))
        ) {
          notes.push('none of its keys matches the pinned fingerprint: its tokens are refused');
        }
        const mismatch = notes.length > 0 ? ` (${notes.join('; ')})` : '';
        return {
          id,
          url: peer.url,
          trust: describeTrust(peer),
          state: `reachable${mismatch}`,
          keys: view.fingerprints,
        };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return {
          id,
          url: peer.url,
          trust: describeTrust(peer),
          state: `unreachable: ${reason}`,
          keys: [] as string[],
        };
      }
    }),
  );
  if (json) {
    io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    io.stdout('No peers configured. Add one with "fedmcp peers add URL".\n');
    return 0;
  }
  for (const row of rows) {
    io.stdout(
      `${row.id}  ${row.url}\n  trust: ${row.trust}\n  state: ${row.state}\n` +
        (row.keys.length > 0 ? `  keys:  ${row.keys.join(', ')}\n` : ''),
    );
  }
  return 0;
}

/**
 * `fedmcp peers add|list`: trust another hub. `add` fetches the peer's discovery document and key
 * set, shows its id and key fingerprint, and on confirmation (or `--yes`) writes it under `peers`
 * in the config; `list` shows each configured peer's URL, trust and — fetched live — its state
 * and key fingerprints.
 */
export async function peersCommand(
  argv: readonly string[],
  io: CliIo,
  options: PeersCommandOptions = {},
): Promise<number> {
  const [subcommand, ...rest] = argv;
  if (subcommand !== 'add' && subcommand !== 'list') {
    io.stderr(`fedmcp peers: unknown subcommand "${subcommand ?? ''}".\n${usage}`);
    return 2;
  }
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      id: { type: 'string' },
      yes: { type: 'boolean', short: 'y', default: false },
      pin: { type: 'boolean', default: false },
      'allow-insecure': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (subcommand === 'list') {
    const { config } = await resolveConfig(values.config);
    return listPeers(config, values.json, io, options);
  }
  const [url] = positionals;
  if (url === undefined || !URL.canParse(url)) {
    io.stderr(`fedmcp peers add: give the peer's URL.\n${usage}`);
    return 2;
  }
  return addPeer(url, values, io, options);
}
