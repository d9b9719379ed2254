import { chmod, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHubKeyring } from '../hub-identity.js';
import { hubKeysPath, loadOrCreateHubKeys, readHubKeys, writeHubKeys } from './hub-key-file.js';

describe('hub keys file', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-hub-keys-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('is created once with mode 0600 and read back unchanged', async () => {
    const path = hubKeysPath(join(directory, 'data'));
    const first = await loadOrCreateHubKeys(path);
    expect(first.created).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateHubKeys(path);
    expect(second).toEqual({ keys: first.keys, created: false });
  });

  it('persists a rotation atomically (no temporary file left) with mode 0600', async () => {
    const path = hubKeysPath(directory);
    const keyring = await createHubKeyring({ keys: (await loadOrCreateHubKeys(path)).keys });
    await keyring.rotate();
    await writeHubKeys(path, keyring.stored());
    expect((await readHubKeys(path))?.map((key) => key.kid)).toEqual(
      keyring.stored().map((key) => key.kid),
    );
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(directory)).toEqual(['hub-keys.json']);
  });

  it.runIf(process.platform !== 'win32')('refuses a file readable by group or others', async () => {
    const path = hubKeysPath(directory);
    await loadOrCreateHubKeys(path);
    await chmod(path, 0o644);
    await expect(readHubKeys(path)).rejects.toThrow(/chmod 600/);
    await expect(loadOrCreateHubKeys(path)).rejects.toThrow(/accessible by other users/);
  });
});
