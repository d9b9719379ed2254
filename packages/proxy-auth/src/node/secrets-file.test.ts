// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${…} references are what these tests are about.
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveSecretReferences } from '../resolve-secret-references.js';
import {
  generateSecretKey,
  loadOrCreateKeyFile,
  openSecretsFile,
  parseSecretKey,
} from './secrets-file.js';

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-secrets-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('openSecretsFile', () => {
  it('round-trips secrets through an encrypted 0600 file', async () => {
    const key = parseSecretKey(generateSecretKey());
    const path = join(directory, 'nested', 'secrets.enc.json');
    const secrets = openSecretsFile({ path, key });
    expect(await secrets.list()).toEqual([]);
    await secrets.set('GITHUB_TOKEN', 'ghp_abcdef123456');
    await secrets.set('SLACK_TOKEN', 'xoxb-987');
    await Promise.all([
      secrets.set('A', '1'),
      secrets.set('B', '2'),
      secrets.remove('SLACK_TOKEN'),
    ]);

    const reopened = openSecretsFile({ path, key });
    expect(await reopened.list()).toEqual(['A', 'B', 'GITHUB_TOKEN']);
    expect(await reopened.list({ values: true })).toEqual({
      A: '1',
      B: '2',
      GITHUB_TOKEN: 'ghp_abcdef123456',
    });
    expect(await reopened.get('GITHUB_TOKEN')).toBe('ghp_abcdef123456');
    expect(await reopened.get('SLACK_TOKEN')).toBeUndefined();
    expect(await reopened.remove('nope')).toBe(false);

    const text = await readFile(path, 'utf8');
    expect(text).not.toContain('ghp_abcdef123456');
    expect(text).not.toContain('GITHUB_TOKEN');
    expect(JSON.parse(text)).toMatchObject({
      format: 'fedmcp-secrets',
      version: 1,
      algorithm: 'AES-256-GCM',
    });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    // No temporary files are left behind.
    expect(await readdir(join(directory, 'nested'))).toEqual(['secrets.enc.json']);
    await expect(
      resolveSecretReferences('Bearer ${secret:GITHUB_TOKEN}', { secrets: reopened }),
    ).resolves.toBe('Bearer ghp_abcdef123456');
  });

  it('uses a fresh IV on every write', async () => {
    const path = join(directory, 'secrets.enc.json');
    const secrets = openSecretsFile({ path, key: parseSecretKey(generateSecretKey()) });
    await secrets.set('A', '1');
    const first = JSON.parse(await readFile(path, 'utf8')) as { iv: string };
    await secrets.set('A', '1');
    const second = JSON.parse(await readFile(path, 'utf8')) as { iv: string };
    expect(Buffer.from(first.iv, 'base64url')).toHaveLength(12);
    expect(second.iv).not.toBe(first.iv);
  });

  it('detects a flipped byte and a wrong key with a clear error', async () => {
    const path = join(directory, 'secrets.enc.json');
    const key = parseSecretKey(generateSecretKey());
    await openSecretsFile({ path, key }).set('A', 'value');
    const document = JSON.parse(await readFile(path, 'utf8')) as { ciphertext: string };
    const bytes = Buffer.from(document.ciphertext, 'base64url');
    bytes[0] = bytes[0]! ^ 0x01;
    await writeFile(path, JSON.stringify({ ...document, ciphertext: bytes.toString('base64url') }));
    const message =
      /^Cannot decrypt the secrets file .*secrets\.enc\.json: it was modified or damaged, or the key/;
    await expect(openSecretsFile({ path, key }).get('A')).rejects.toThrow(message);

    await openSecretsFile({ path: join(directory, 'other.json'), key }).set('A', 'value');
    await expect(
      openSecretsFile({
        path: join(directory, 'other.json'),
        key: parseSecretKey(generateSecretKey()),
      }).list(),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    await writeFile(path, 'not json');
    await expect(openSecretsFile({ path, key }).list()).rejects.toThrow(message);
  });

  it('refuses bad keys and names', async () => {
    expect(() => openSecretsFile({ path: join(directory, 'x'), key: new Uint8Array(16) })).toThrow(
      /32 bytes/,
    );
    expect(() => parseSecretKey('too-short')).toThrow(/32 bytes/);
    expect(parseSecretKey('ab'.repeat(32))).toHaveLength(32);
    expect(parseSecretKey(Buffer.alloc(32, 7).toString('base64'))).toEqual(
      new Uint8Array(32).fill(7),
    );
    const secrets = openSecretsFile({ path: join(directory, 'x'), key: new Uint8Array(32) });
    await expect(secrets.set('../escape', 'x')).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
  });
});

describe('loadOrCreateKeyFile', () => {
  it('creates a 0600 key file once and reads it back', async () => {
    const path = join(directory, 'keys', 'secret.key');
    const created = await loadOrCreateKeyFile(path);
    expect(created).toHaveLength(32);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateKeyFile(path)).toEqual(created);
  });

  it('refuses a key file readable by others', async () => {
    const path = join(directory, 'secret.key');
    await writeFile(path, generateSecretKey());
    await chmod(path, 0o644);
    await expect(loadOrCreateKeyFile(path)).rejects.toThrow(
      /accessible by other users \(mode 644\); run "chmod 600/,
    );
  });
});
