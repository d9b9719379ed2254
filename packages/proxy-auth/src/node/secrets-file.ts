/**
 * The encrypted secrets file: a JSON map name → value, encrypted as a whole with AES-256-GCM (a
 * fresh random 12-byte IV on every write, authenticated so any change to the file is detected),
 * written atomically (temporary file + rename) with mode 0600. The key comes from the app:
 * `FEDMCP_SECRET_KEY`, or a 0600 key file ({@link loadOrCreateKeyFile}).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FedmcpError } from '@fedmcp/protocol';

const FORMAT = 'fedmcp-secrets';
const ALGORITHM = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Binds the ciphertext to this format and version: a blob from elsewhere does not decrypt here.
const ASSOCIATED_DATA = Buffer.from('fedmcp-secrets-v1');
const NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;

/** The file as stored. */
interface SecretsDocument {
  format: typeof FORMAT;
  version: 1;
  algorithm: typeof ALGORITHM;
  iv: string;
  /** base64url of ciphertext followed by the 16-byte GCM tag. */
  ciphertext: string;
}

/** Options of {@link openSecretsFile}. */
export interface SecretsFileOptions {
  /** The file path (e.g. `.fedmcp/secrets.enc.json`); created on the first `set`. */
  path: string;
  /** The 32-byte key (see {@link parseSecretKey} and {@link loadOrCreateKeyFile}). */
  key: Uint8Array;
}

/** An encrypted secrets file. Every call reads the file afresh, so other processes' changes are seen. */
export interface SecretsFile {
  readonly path: string;
  /** The value of a secret, or `undefined`. */
  get(name: string): Promise<string | undefined>;
  /** Adds or replaces a secret. */
  set(name: string, value: string): Promise<void>;
  /** Removes a secret; resolves `true` when it existed. */
  remove(name: string): Promise<boolean>;
  /** The secret names, sorted; values only when asked for with `{ values: true }`. */
  list(): Promise<string[]>;
  list(options: { values: true }): Promise<Record<string, string>>;
}

function invalidKey(): FedmcpError {
  return new FedmcpError(
    'INVALID_CONFIG',
    'The secrets key must be 32 bytes, written as 64 hex characters or base64/base64url (generate one with "fedmcp secrets keygen").',
  );
}

/**
 * Parses a key as written in `FEDMCP_SECRET_KEY` or a key file: 64 hex characters, or base64 /
 * base64url of 32 bytes.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when it is not a 32-byte key.
 */
export function parseSecretKey(text: string): Uint8Array {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return new Uint8Array(Buffer.from(trimmed, 'hex'));
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed)) throw invalidKey();
  const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== 32) throw invalidKey();
  return new Uint8Array(bytes);
}

/** A new random key, base64url-encoded (for `FEDMCP_SECRET_KEY` or a key file). */
export function generateSecretKey(): string {
  return randomBytes(32).toString('base64url');
}

function isMissing(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'ENOENT';
}

/**
 * Reads the key file at `path`, or creates it (and its directory) with a new random key and mode
 * 0600 when it does not exist.
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when the file is readable by group or others (fix with
 * `chmod 600`), or does not hold a valid key.
 */
export async function loadOrCreateKeyFile(path: string): Promise<Uint8Array> {
  try {
    const info = await stat(path);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new FedmcpError(
        'INVALID_CONFIG',
        `The key file ${path} is accessible by other users (mode ${(info.mode & 0o777).toString(8)}); run "chmod 600 ${path}".`,
      );
    }
    return parseSecretKey(await readFile(path, 'utf8'));
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = generateSecretKey();
  try {
    const handle = await open(path, 'wx', 0o600);
    try {
      await handle.writeFile(`${key}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as { code?: unknown }).code === 'EEXIST') return loadOrCreateKeyFile(path);
    throw error;
  }
  return parseSecretKey(key);
}

function encrypt(secrets: Record<string, string>, key: Uint8Array): SecretsDocument {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(ASSOCIATED_DATA);
  const ciphertext = Buffer.concat([
    cipher.update(JSON.stringify(secrets), 'utf8'),
    cipher.final(),
    cipher.getAuthTag(),
  ]);
  return {
    format: FORMAT,
    version: 1,
    algorithm: ALGORITHM,
    iv: iv.toString('base64url'),
    ciphertext: ciphertext.toString('base64url'),
  };
}

function decrypt(text: string, key: Uint8Array, path: string): Record<string, string> {
  const unreadable = (cause?: unknown) =>
    new FedmcpError(
      'INVALID_CONFIG',
      `Cannot decrypt the secrets file ${path}: it was modified or damaged, or the key (FEDMCP_SECRET_KEY or the key file) is not the one it was written with.`,
      { cause },
    );
  let document: Partial<SecretsDocument>;
  try {
    document = JSON.parse(text) as Partial<SecretsDocument>;
  } catch (cause) {
    throw unreadable(cause);
  }
  if (document.format !== FORMAT || document.version !== 1 || document.algorithm !== ALGORITHM) {
    throw unreadable();
  }
  const iv = Buffer.from(String(document.iv), 'base64url');
  const sealed = Buffer.from(String(document.ciphertext), 'base64url');
  if (iv.length !== IV_BYTES || sealed.length < TAG_BYTES) throw unreadable();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(ASSOCIATED_DATA);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)),
      decipher.final(),
    ]);
    const parsed = JSON.parse(plain.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new FedmcpError('INVALID_CONFIG', 'not a map');
    return parsed as Record<string, string>;
  } catch (cause) {
    throw unreadable(cause);
  }
}

/**
 * Opens an encrypted secrets file (it need not exist yet).
 *
 * @throws {FedmcpError} `INVALID_CONFIG` when the key is not 32 bytes; the methods throw it when
 * the file cannot be decrypted (tampered, damaged, or another key).
 * @example
 * ```ts
 * const secrets = openSecretsFile({ path: '.fedmcp/secrets.enc.json', key: await loadOrCreateKeyFile('.fedmcp/secret.key') });
 * await secrets.set('GITHUB_TOKEN', 'ghp_…');
 * await secrets.list(); // ['GITHUB_TOKEN']
 * ```
 */
export function openSecretsFile(options: SecretsFileOptions): SecretsFile {
  const { path } = options;
  const key = options.key;
  if (key.byteLength !== 32) throw invalidKey();
  let queue: Promise<unknown> = Promise.resolve();

  async function load(): Promise<Record<string, string>> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (isMissing(error)) return {};
      throw error;
    }
    return decrypt(text, key, path);
  }

  async function save(secrets: Record<string, string>): Promise<void> {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(`${JSON.stringify(encrypt(secrets, key), null, 2)}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await chmod(temporary, 0o600);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  // Writes are read-modify-write: serialise them within the process.
  function update<T>(change: (secrets: Record<string, string>) => T): Promise<T> {
    const next = queue.then(async () => {
      const secrets = await load();
      const result = change(secrets);
      await save(secrets);
      return result;
    });
    queue = next.catch(() => undefined);
    return next;
  }

  function checkName(name: string): void {
    if (!NAME_PATTERN.test(name)) {
      throw new FedmcpError(
        'INVALID_PARAMS',
        `A secret name uses letters, digits, "_", "." or "-" (1–128 characters); got "${name.slice(0, 40)}".`,
      );
    }
  }

  async function list(): Promise<string[]>;
  async function list(listOptions: { values: true }): Promise<Record<string, string>>;
  async function list(listOptions?: { values: true }): Promise<string[] | Record<string, string>> {
    const secrets = await load();
    if (listOptions?.values === true) return { ...secrets };
    return Object.keys(secrets).sort();
  }

  return {
    path,
    async get(name) {
      const secrets = await load();
      return Object.hasOwn(secrets, name) ? secrets[name] : undefined;
    },
    async set(name, value) {
      checkName(name);
      await update((secrets) => {
        secrets[name] = value;
      });
    },
    async remove(name) {
      return update((secrets) => {
        if (!Object.hasOwn(secrets, name)) return false;
        delete secrets[name];
        return true;
      });
    },
    list,
  };
}
