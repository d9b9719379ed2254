/**
 * A file-backed hub identity checks its keys file for a change at most once per
 * `recheckIntervalMs` (a `stat` per peer request was ~0.2 ms of each hop, issue #18), and picks up
 * a rotation written to the file once the interval has passed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHubKeyring } from '@fedmcp/proxy-auth';
import { loadOrCreateHubKeys, writeHubKeys } from '@fedmcp/proxy-auth/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openHubIdentityFile } from './open-hub-identity-file.js';

describe('openHubIdentityFile', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-identity-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** Writes a rotated keys file as `fedmcp keys rotate` does; returns the new key's kid. */
  async function rotateFile(path: string): Promise<string> {
    const { keys } = await loadOrCreateHubKeys(path);
    const keyring = await createHubKeyring({ keys });
    const added = await keyring.rotate();
    await writeHubKeys(path, keyring.stored());
    return added.kid;
  }

  it('does not re-check the file within the interval', async () => {
    const path = join(directory, 'hub-keys.json');
    const identity = await openHubIdentityFile({ path, recheckIntervalMs: 3_600_000 });
    const first = await identity.keyring();
    const added = await rotateFile(path);
    const again = await identity.keyring();
    // The same keyring: the rewrite is not seen within the hour.
    expect(again).toBe(first);
    expect(again.published().map((key) => key.kid)).not.toContain(added);
  });

  it('picks up a rotation once the interval has passed (0: on every call)', async () => {
    const path = join(directory, 'hub-keys.json');
    const identity = await openHubIdentityFile({ path, recheckIntervalMs: 0 });
    const first = await identity.keyring();
    const added = await rotateFile(path);
    const next = await identity.keyring();
    expect(next).not.toBe(first);
    expect(next.published().map((key) => key.kid)).toContain(added);
  });

  it('checks a lazy identity on its first call', async () => {
    const path = join(directory, 'hub-keys.json');
    const identity = await openHubIdentityFile({ path, lazy: true, recheckIntervalMs: 3_600_000 });
    const keyring = await identity.keyring();
    expect(keyring.published()).toHaveLength(1);
    expect(await identity.keyring()).toBe(keyring);
  });
});
