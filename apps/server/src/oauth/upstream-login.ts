/**
 * `fedmcp auth login <upstream>`: an operator authorizes the hub at an OAuth-protected upstream
 * once. The authorization code comes back to a loopback redirect (RFC 8252 §7.3) that this
 * process listens on; the tokens go, encrypted, to the hub's store, where the running hub reads
 * them on its next connect and refreshes them from then on.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorizeUpstream } from '@fedmcp/federation';
import { FedmcpError } from '@fedmcp/protocol';
import {
  type AuthorizationResponse,
  createUpstreamOAuthProvider,
  oauthCredentialKey,
} from '@fedmcp/proxy-auth';
import type { KeyValueStore } from '@fedmcp/store';
import type { FedmcpConfig } from '../config/config-schema.js';
import { upstreamsFromConfig } from '../upstreams-from-config.js';
import { oauthUpstreamsOf, openOAuthCredentialStore } from './hub-upstream-oauth.js';

/** Options of {@link loginUpstream}. */
export interface LoginUpstreamOptions {
  /** The hub's config, secrets resolved. */
  config: FedmcpConfig;
  /** The upstream id (its `mcpServers` key). */
  upstreamId: string;
  /** The hub's key/value store (the one `fedmcp serve` uses). */
  kv: Pick<KeyValueStore, 'get' | 'set' | 'delete'>;
  /** The credential key file (`<dataDir>/oauth-credentials.key`). */
  keyFile: string;
  /** Called with the authorization URL: print it, open a browser. */
  onAuthorizationUrl: (url: URL) => void;
  /** The loopback redirect's port. @default 0 (any free port) */
  port?: number;
  /** Gives up waiting for the browser. */
  signal?: AbortSignal;
}

/** Listens on 127.0.0.1 for the one authorization response. */
async function listenForCallback(port: number, signal: AbortSignal | undefined) {
  let settle:
    | { resolve(value: AuthorizationResponse): void; reject(error: Error): void }
    | undefined;
  const received = new Promise<AuthorizationResponse>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const server = createServer((request, response) => {
    const query = new URL(request.url ?? '/', 'http://127.0.0.1').searchParams;
    if (!request.url?.startsWith('/oauth/callback')) {
      response.writeHead(404).end();
      return;
    }
    const code = query.get('code');
    const ok = code !== null;
    response.writeHead(ok ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8' });
    response.end(ok ? 'fedmcp is authorized. You can close this window.' : 'Authorization failed.');
    if (!ok) {
      const reason = query.get('error_description') ?? query.get('error') ?? 'no code';
      settle?.reject(new FedmcpError('UNAUTHENTICATED', `The authorization failed: ${reason}`));
      return;
    }
    const state = query.get('state');
    const iss = query.get('iss');
    settle?.resolve({ code, ...(state !== null && { state }), ...(iss !== null && { iss }) });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  signal?.addEventListener('abort', () => settle?.reject(new Error('Login canceled.')), {
    once: true,
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    redirectUrl: `http://127.0.0.1:${bound}/oauth/callback`,
    received,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Authorizes the hub at one upstream and stores its tokens.
 *
 * @throws FedmcpError INVALID_CONFIG when the upstream has no hub-wide `oauth` block; what the
 * authorization server or the browser step fails with.
 */
export async function loginUpstream(
  options: LoginUpstreamOptions,
): Promise<{ scope?: string; mode: 'hub' | 'user' }> {
  const upstream = oauthUpstreamsOf(upstreamsFromConfig(options.config)).find(
    (candidate) => candidate.id === options.upstreamId,
  );
  // "mode": "user" upstreams take a hub login too: its token only lists their catalog.
  if (upstream?.oauth.grant !== 'authorization_code') {
    throw new FedmcpError(
      'INVALID_CONFIG',
      `mcpServers.${options.upstreamId} has no "oauth" block with the "authorization_code" grant; add one to log in.`,
    );
  }
  const callback = await listenForCallback(options.port ?? 0, options.signal);
  try {
    const store = await openOAuthCredentialStore(options.kv, options.keyFile);
    const key = oauthCredentialKey(upstream.id, 'hub');
    const provider = createUpstreamOAuthProvider({
      config: upstream.oauth,
      store,
      key,
      redirectUrl: callback.redirectUrl,
    });
    // A login is a new authorization; a registered (DCR) client is bound to its redirect URI,
    // which changes with the loopback port: register again unless the client is pre-registered.
    await provider.invalidateCredentials?.(upstream.oauth.clientId ? 'tokens' : 'all');
    await authorizeUpstream(
      {
        provider,
        authorize: (url) => {
          options.onAuthorizationUrl(url);
          return callback.received;
        },
      },
      upstream.url,
    );
    const scope = (await provider.tokens())?.scope;
    const mode = upstream.oauth.mode;
    return scope === undefined ? { mode } : { scope, mode };
  } finally {
    await callback.close();
  }
}
