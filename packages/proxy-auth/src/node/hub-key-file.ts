/**
 * The hub keys file (`<dataDir>/hub-keys.json`): the hub's signing keys, private parts included,
 * as JSON with mode 0600, written atomically (temporary file, fsync, rename). A file readable by
 * group or others is refused. Created with one Ed25519 key on first use.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { FedmcpError } from '@fedmcp/protocol';
import { generateHubKey, type HubKeyAlgorithm, type StoredHubKey } from '../hub-identity.js';

const FORMAT = 'fedmcp-hub-keys';

/** The keys file's name inside the data directory. */
export const HUB_KEYS_FILE_NAME = 'hub-keys.json';

/** The keys file path for a data directory. */
export function hubKeysPath(dataDirectory: string): string {
  return join(dataDirectory, HUB_KEYS_FILE_NAME);
}

interface HubKeysDocument {
  format: typeof FORMAT;
  version: 1;
  keys: StoredHubKey[];
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/**
 * Reads the keys file.
 *
 * @returns the stored keys, or `undefined` when the file does not exist.
 * @throws {FedmcpError} `INVALID_CONFIG` when the file is accessible by group or others (fix with
 * `chmod 600`) or is not a hub keys file.
 */
export async function readHubKeys(path: string): Promise<StoredHubKey[] | undefined> {
  let text: string;
  try {
    const info = await stat(path);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new FedmcpError(
        'INVALID_CONFIG',
        `The hub keys file ${path} is accessible by other users (mode ${(info.mode & 0o777).toString(8)}); run "chmod 600 ${path}".`,
      );
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  let document: HubKeysDocument;
  try {
    document = JSON.parse(text) as HubKeysDocument;
  } catch (cause) {
    throw new FedmcpError('INVALID_CONFIG', `The hub keys file ${path} is not valid JSON.`, {
      cause,
    });
  }
  if (document?.format !== FORMAT || document.version !== 1 || !Array.isArray(document.keys)) {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `The file ${path} is not a fedmcp hub keys file (expected format "${FORMAT}", version 1).`,
    );
  }
  return document.keys;
}

/** Writes the keys file atomically with mode 0600 (its directory is created with mode 0700). */
export async function writeHubKeys(path: string, keys: readonly StoredHubKey[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const document: HubKeysDocument = { format: FORMAT, version: 1, keys: [...keys] };
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(document, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    // The umask cannot widen 0600, but make sure anyway before the file takes its place.
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Options of {@link loadOrCreateHubKeys}. */
export interface LoadOrCreateHubKeysOptions {
  /** The algorithm of a newly created key. @default 'EdDSA' */
  algorithm?: HubKeyAlgorithm;
  /** The clock. @default Date.now */
  now?: () => number;
}

/**
 * Reads the keys file, or creates it with one new key when it does not exist.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` as {@link readHubKeys}.
 * @example
 * ```ts
 * const { keys } = await loadOrCreateHubKeys(hubKeysPath('.fedmcp'));
 * const keyring = await createHubKeyring({ keys });
 * ```
 */
export async function loadOrCreateHubKeys(
  path: string,
  options: LoadOrCreateHubKeysOptions = {},
): Promise<{ keys: StoredHubKey[]; created: boolean }> {
  const existing = await readHubKeys(path);
  if (existing) return { keys: existing, created: false };
  const key = await generateHubKey({
    ...(options.algorithm ? { algorithm: options.algorithm } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  // Create exclusively, so two processes starting at once end up with the same key.
  const document: HubKeysDocument = { format: FORMAT, version: 1, keys: [key] };
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(document, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') {
      return { keys: (await readHubKeys(path)) ?? [key], created: false };
    }
    throw error;
  }
  return { keys: [key], created: true };
}
