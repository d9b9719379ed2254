/**
 * Issue 21, `fedmcp auth login`: `loginUpstream` of `@fedmcp/server` authorizes the hub at an
 * upstream protected by a real authorization server (the operator's browser scripted over HTTP,
 * back to the loopback redirect it listens on) and stores the tokens encrypted; a hub connection
 * built on the same store then connects with them, asking nobody.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOAuthUpstreamConnector, UPSTREAM_CLIENT_CAPABILITIES } from '@fedmcp/federation';
import { connectNodeUpstream } from '@fedmcp/federation/node';
import {
  createEncryptedOAuthCredentialStore,
  createUpstreamOAuthProvider,
  oauthCredentialKey,
  upstreamOAuthConfigSchema,
} from '@fedmcp/proxy-auth';
import { loginUpstream, parseConfig } from '@fedmcp/server';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { expect, it } from 'vitest';
import { loginAndConsent, startAuthorizationServer } from './oidc-authorization-server.js';
import { startProtectedUpstream } from './protected-upstream.js';

const noop = () => {};
const silentLogger = { debug: noop, info: noop, warn: noop, error: noop };

it('fedmcp auth login stores tokens that the hub then connects with', async () => {
  await using authorizationServer = await startAuthorizationServer();
  await using upstream = await startProtectedUpstream(authorizationServer.issuer);
  const directory = await mkdtemp(join(tmpdir(), 'fedmcp-login-'));
  try {
    const values = new Map<string, string>();
    const kv = {
      get: async (key: string) => {
        const value = values.get(key);
        return value === undefined ? undefined : { key, value, version: 1 };
      },
      set: async (key: string, value: string) => {
        values.set(key, value);
        return { key, value, version: 1 };
      },
      delete: async (key: string) => values.delete(key),
    };
    const keyFile = join(directory, 'oauth-credentials.key');
    const config = parseConfig(
      { store: 'memory:', mcpServers: { docs: { url: upstream.url, oauth: {} } } },
      'fedmcp.config.json',
      { env: {} },
    );
    const browsing: Promise<unknown>[] = [];
    const printed: URL[] = [];
    await loginUpstream({
      config,
      upstreamId: 'docs',
      kv,
      keyFile,
      onAuthorizationUrl: (url) => {
        printed.push(url);
        // The operator's browser: log in, consent, land on the loopback redirect.
        const redirectUri = url.searchParams.get('redirect_uri') ?? '';
        browsing.push(
          loginAndConsent(url, 'operator', redirectUri).then((answer) =>
            fetch(`${redirectUri}?${new URLSearchParams({ ...answer })}`).then((page) =>
              page.text(),
            ),
          ),
        );
      },
    });
    expect(await Promise.all(browsing)).toEqual([
      'fedmcp is authorized. You can close this window.',
    ]);
    expect(printed[0]?.searchParams.get('redirect_uri')).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/oauth\/callback$/,
    );
    expect(authorizationServer.grants).toEqual(['authorization_code']);
    expect([...values.values()].join()).not.toContain(upstream.tokensSeen.at(-1));

    // The hub, on the same store and key file: connects with the stored token.
    const key = Uint8Array.from(Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64'));
    const provider = createUpstreamOAuthProvider({
      config: upstreamOAuthConfigSchema.parse({}),
      store: createEncryptedOAuthCredentialStore({ store: kv, key }),
      key: oauthCredentialKey('docs', 'hub'),
      redirectUrl: 'https://hub.example.com/oauth/callback',
    });
    const connect = createOAuthUpstreamConnector({
      base: connectNodeUpstream,
      oauthFor: () => ({
        provider,
        authorize: () => Promise.reject(new Error('the hub must not ask again')),
      }),
    });
    const client = await connect(
      { url: upstream.url },
      {
        clientInfo: { name: 'fedmcp', version: '0.0.0' },
        capabilities: UPSTREAM_CLIENT_CAPABILITIES,
        configure: noop,
        timeoutMs: 30_000,
        logger: silentLogger,
        verdictCache: new Map(),
      },
    );
    try {
      const result = (await client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
      expect(result.content).toEqual([{ type: 'text', text: 'subject=operator' }]);
    } finally {
      await client.close();
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
});
