/**
 * The server's side of upstream OAuth (issue 21, hub-wide tokens): each `mcpServers` entry with an
 * `oauth` block gets one provider whose credentials live encrypted in the hub's store (AES-256-GCM
 * under a key file in the data directory, mode 0600), and the OAuth binding the upstream
 * connector uses. `client_credentials` upstreams get and renew their tokens on their own; an
 * `authorization_code` upstream without a token fails its connect with what the operator must do.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { RemoteUpstreamSpec, UpstreamOAuthBinding } from '@fedmcp/federation';
import { FedmcpError } from '@fedmcp/protocol';
import {
  type AuditLog,
  createEncryptedOAuthCredentialStore,
  createUpstreamOAuthProvider,
  generateOAuthCredentialKey,
  type OAuthCredentialStore,
  oauthCredentialKey,
  type UpstreamOAuthConfig,
  type UpstreamOAuthEvent,
  type UpstreamOAuthProvider,
} from '@fedmcp/proxy-auth';
import type { KeyValueStore } from '@fedmcp/store';

/** An upstream with an `oauth` block, as the server knows it. */
export interface OAuthUpstream {
  id: string;
  url: string;
  oauth: UpstreamOAuthConfig;
}

/** Options of {@link createHubUpstreamOAuth}. */
export interface HubUpstreamOAuthOptions {
  /** The configured OAuth upstreams (read on each connect, so a reload takes effect). */
  upstreams: () => readonly OAuthUpstream[];
  /** The hub's key/value store. */
  kv: Pick<KeyValueStore, 'get' | 'set' | 'delete'>;
  /** The key file (32 random bytes, base64), created 0600 on first use. */
  keyFile: string;
  /** The hub's OAuth redirect URI (`<hub.url origin>/oauth/callback`), read when first needed. */
  redirectUrl: () => string;
  /** Where grants, refreshes, registrations and invalidations are recorded (never a token). */
  audit?: Pick<AuditLog, 'record'>;
}

/** One OAuth event of an upstream as an `auth` audit record (hub-wide: the hub is the principal). */
function recordOAuthEvent(
  audit: Pick<AuditLog, 'record'> | undefined,
  upstream: string,
  event: UpstreamOAuthEvent,
): void {
  void audit?.record({
    type: 'auth',
    outcome: event.type === 'oauth.invalidated' ? 'revoked' : 'granted',
    action: event.type,
    upstream,
    ...('scope' in event && event.scope !== undefined && { details: { scope: event.scope } }),
    ...('method' in event && { details: { registration: event.method } }),
    ...('what' in event && { details: { invalidated: event.what } }),
  });
}

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

/** The configured upstreams that have an `oauth` block (remote ones only: the schema allows no other). */
export function oauthUpstreamsOf(
  configured: ReadonlyMap<string, { id: string; spec: unknown; oauth?: UpstreamOAuthConfig }>,
): OAuthUpstream[] {
  const upstreams: OAuthUpstream[] = [];
  for (const { id, spec, oauth } of configured.values()) {
    const url = (spec as { url?: unknown }).url;
    if (oauth && typeof url === 'string') upstreams.push({ id, url, oauth });
  }
  return upstreams;
}

/** The hub-wide OAuth bindings of the configured upstreams. */
export interface HubUpstreamOAuth {
  /** The connector's `oauthFor`: the binding of an upstream URL with a hub-wide `oauth` block. */
  oauthFor(spec: RemoteUpstreamSpec): UpstreamOAuthBinding | undefined;
  /** The credential store (for `fedmcp auth login` and `logout`). */
  store(): Promise<OAuthCredentialStore>;
}

/**
 * Creates the hub-wide OAuth bindings.
 *
 * @example
 * ```ts
 * const oauth = createHubUpstreamOAuth({ upstreams, kv: store.kv, keyFile, redirectUrl });
 * const connect = createOAuthUpstreamConnector({ base: connectNodeUpstream, oauthFor: oauth.oauthFor });
 * ```
 */
export function createHubUpstreamOAuth(options: HubUpstreamOAuthOptions): HubUpstreamOAuth {
  let store: Promise<OAuthCredentialStore> | undefined;
  const openStore = () => {
    store ??= openOAuthCredentialStore(options.kv, options.keyFile);
    return store;
  };
  // The store is opened lazily; the provider reads it through this forwarding store.
  const lazyStore: OAuthCredentialStore = {
    load: async (key) => (await openStore()).load(key),
    save: async (key, credentials) => (await openStore()).save(key, credentials),
    delete: async (key) => (await openStore()).delete(key),
  };
  const providers = new Map<
    string,
    { config: UpstreamOAuthConfig; provider: UpstreamOAuthProvider }
  >();

  return {
    oauthFor(spec) {
      const upstream = options.upstreams().find((candidate) => candidate.url === spec.url);
      if (upstream?.oauth.mode === 'user') {
        // The bindings exist (`createUserUpstreamOAuth`); the hub's connections do not carry the
        // caller to the connector yet, and the catalog needs a connection with some user's token.
        throw new FedmcpError(
          'INVALID_CONFIG',
          `mcpServers.${upstream.id}.oauth "mode": "user" is not served by the hub yet; use "mode": "hub" (\`fedmcp auth login ${upstream.id}\`).`,
        );
      }
      if (!upstream || upstream.oauth.mode !== 'hub') return undefined;
      let entry = providers.get(upstream.id);
      if (!entry || entry.config !== upstream.oauth) {
        entry = {
          config: upstream.oauth,
          provider: createUpstreamOAuthProvider({
            config: upstream.oauth,
            store: lazyStore,
            key: oauthCredentialKey(upstream.id, 'hub'),
            redirectUrl: options.redirectUrl(),
            onEvent: (event) => recordOAuthEvent(options.audit, upstream.id, event),
          }),
        };
        providers.set(upstream.id, entry);
      }
      return {
        provider: entry.provider,
        ...(upstream.oauth.maxStepUps !== undefined && { maxStepUps: upstream.oauth.maxStepUps }),
        authorize: async () => {
          throw new FedmcpError(
            'UNAUTHENTICATED',
            `Upstream "${upstream.id}" needs an OAuth authorization: an operator runs \`fedmcp auth login ${upstream.id}\` once.`,
          );
        },
      };
    },
    store: openStore,
  };
}
