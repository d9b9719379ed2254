/**
 * Upstream OAuth credentials at rest: each record is AES-256-GCM encrypted (Web Crypto) under a
 * key the hub keeps with its secrets, with the record's store key as additional data (a
 * ciphertext moved to another holder's key does not decrypt), in any `@fedmcp/store` key/value
 * store — so tokens are shared by replicas but readable only with the key.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { KeyValueStore } from '@fedmcp/store';
import type { OAuthCredentialStore, OAuthCredentials } from './oauth-credential-store.js';

/** Options of {@link createEncryptedOAuthCredentialStore}. */
export interface EncryptedOAuthCredentialStoreOptions {
  /** Where the ciphertexts live (the hub's store). */
  store: Pick<KeyValueStore, 'get' | 'set' | 'delete'>;
  /** 32 random bytes (see {@link generateOAuthCredentialKey}); keep them with the hub's secrets. */
  key: Uint8Array;
}

const VERSION = 'v1';
const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(text), (character) => character.charCodeAt(0));
}

/** 32 random bytes for {@link EncryptedOAuthCredentialStoreOptions.key}. */
export function generateOAuthCredentialKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

/**
 * Creates an {@link OAuthCredentialStore} that encrypts each record with AES-256-GCM.
 *
 * @throws FedmcpError INVALID_CONFIG when the key is not 32 bytes; (from `load`) when a record
 * does not decrypt (another key, or tampered with).
 */
export function createEncryptedOAuthCredentialStore(
  options: EncryptedOAuthCredentialStoreOptions,
): OAuthCredentialStore {
  if (options.key.byteLength !== 32) {
    throw new FedmcpError('INVALID_CONFIG', 'The OAuth credential key must be 32 bytes.');
  }
  const keyPromise = crypto.subtle.importKey('raw', new Uint8Array(options.key), 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
  const { store } = options;
  return {
    async load(key) {
      const entry = await store.get(key);
      if (!entry) return undefined;
      const [version, iv, data] = entry.value.split('.');
      if (version !== VERSION || iv === undefined || data === undefined) {
        throw new FedmcpError('INTERNAL', `The stored OAuth credentials "${key}" are unreadable.`);
      }
      try {
        const plain = await crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: fromBase64(iv), additionalData: encoder.encode(key) },
          await keyPromise,
          fromBase64(data),
        );
        return JSON.parse(new TextDecoder().decode(plain)) as OAuthCredentials;
      } catch (error) {
        throw new FedmcpError(
          'INTERNAL',
          `The stored OAuth credentials "${key}" do not decrypt with this hub's key: log in again.`,
          { cause: error },
        );
      }
    },
    async save(key, credentials, saveOptions) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: encoder.encode(key) },
        await keyPromise,
        encoder.encode(JSON.stringify(credentials)),
      );
      const sealedValue = `${VERSION}.${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
      if (saveOptions?.ttlMs === undefined) await store.set(key, sealedValue);
      else await store.set(key, sealedValue, { ttlMs: saveOptions.ttlMs });
    },
    async delete(key) {
      return store.delete(key);
    },
  };
}
