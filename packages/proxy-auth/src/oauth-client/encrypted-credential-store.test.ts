import { createMemoryStore } from '@fedmcp/store';
import { describe, expect, it } from 'vitest';
import {
  createEncryptedOAuthCredentialStore,
  generateOAuthCredentialKey,
} from './encrypted-credential-store.js';
import { oauthCredentialKey } from './oauth-credential-store.js';

const credentials = {
  tokens: { access_token: 'at-secret-value', token_type: 'Bearer', refresh_token: 'rt-secret' },
};

describe('createEncryptedOAuthCredentialStore', () => {
  it('keeps tokens encrypted in the store and reads them back', async () => {
    const kv = createMemoryStore().kv;
    const store = createEncryptedOAuthCredentialStore({
      store: kv,
      key: generateOAuthCredentialKey(),
    });
    const key = oauthCredentialKey('github', 'hub');
    await store.save(key, credentials);

    const raw = (await kv.get(key))?.value ?? '';
    expect(raw).toMatch(/^v1\./);
    expect(raw).not.toContain('at-secret-value');
    expect(raw).not.toContain('rt-secret');
    expect(await store.load(key)).toEqual(credentials);
    expect(await store.delete(key)).toBe(true);
    expect(await store.load(key)).toBeUndefined();
  });

  it('refuses a record moved to another holder, or read with another key', async () => {
    const kv = createMemoryStore().kv;
    const store = createEncryptedOAuthCredentialStore({
      store: kv,
      key: generateOAuthCredentialKey(),
    });
    const alice = oauthCredentialKey('github', { subject: 'alice' });
    const bob = oauthCredentialKey('github', { subject: 'bob' });
    await store.save(alice, credentials);
    await kv.set(bob, (await kv.get(alice))?.value ?? '');

    await expect(store.load(bob)).rejects.toThrow(/do not decrypt/);
    const other = createEncryptedOAuthCredentialStore({
      store: kv,
      key: generateOAuthCredentialKey(),
    });
    await expect(other.load(alice)).rejects.toThrow(/do not decrypt/);
  });

  it('rejects a key that is not 32 bytes', () => {
    expect(() =>
      createEncryptedOAuthCredentialStore({
        store: createMemoryStore().kv,
        key: new Uint8Array(16),
      }),
    ).toThrow(/32 bytes/);
  });

  it('gives each subject its own key, so no subject names another', () => {
    expect(oauthCredentialKey('github', { subject: 'a:user:b' })).not.toBe(
      oauthCredentialKey('github:user:b', { subject: 'a' }),
    );
    expect(oauthCredentialKey('github', { subject: 'hub' })).not.toBe(
      oauthCredentialKey('github', 'hub'),
    );
  });
});
