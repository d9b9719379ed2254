/**
 * The server's side of upstream OAuth (issue 21): the hub's bindings (`createUpstreamOAuth` of
 * `@fedmcp/federation`, shared with the edge hub) over credentials kept encrypted in the hub's
 * store (AES-256-GCM) under a key file in the data directory, mode 0600.
 */
import { readFile, writeFile } from 'node:fs/promises';
import {
  createUpstreamOAuth,
  type UpstreamOAuth,
  type UpstreamOAuthOptions,
} from '@fedmcp/federation';
import {
  createEncryptedOAuthCredentialStore,
  generateOAuthCredentialKey,
  type OAuthCredentialStore,
} from '@fedmcp/proxy-auth';
import type { KeyValueStore } from '@fedmcp/store';

export {
  callerHolder,
  type OAuthUpstream,
  oauthUpstreamsOf,
  USER_MODE_CATALOG_METHODS,
} from '@fedmcp/federation';

/** Options of {@link createHubUpstreamOAuth}. */
export interface HubUpstreamOAuthOptions extends Omit<UpstreamOAuthOptions, 'openStore'> {
  /** The key file (32 random bytes, base64), created 0600 on first use. */
  keyFile: string;
}

/** The hub-wide OAuth bindings of the configured upstreams. */
export type HubUpstreamOAuth = UpstreamOAuth;

/** Reads the credential key file, or creates it (mode 0600, never overwritten). */
export async function openOAuthKeyFile(path: string): Promise<Uint8Array> {
  const read = async () =>
    Uint8Array.from(Buffer.from((await readFile(path, 'utf8')).trim(), 'base64'));
  try {
    return await read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const key = generateOAuthCredentialKey();
  try {
    await writeFile(path, `${Buffer.from(key).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return key;
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return read();
    throw error;
  }
}

/** The encrypted credential store of the hub: the store's key/value part, the key file's key. */
export async function openOAuthCredentialStore(
  kv: Pick<KeyValueStore, 'get' | 'set' | 'delete'>,
  keyFile: string,
): Promise<OAuthCredentialStore> {
  return createEncryptedOAuthCredentialStore({ store: kv, key: await openOAuthKeyFile(keyFile) });
}

/**
 * Creates the hub-wide OAuth bindings, their credentials sealed with the key file's key.
 *
 * @example
 * ```ts
 * const oauth = createHubUpstreamOAuth({ upstreams, kv: store.kv, keyFile, redirectUrl });
 * const connect = createOAuthUpstreamConnector({ base: connectNodeUpstream, oauthFor: oauth.oauthFor });
 * ```
 */
export function createHubUpstreamOAuth(options: HubUpstreamOAuthOptions): HubUpstreamOAuth {
  const { keyFile, ...rest } = options;
  return createUpstreamOAuth({
    ...rest,
    openStore: () => openOAuthCredentialStore(options.kv, keyFile),
  });
}
