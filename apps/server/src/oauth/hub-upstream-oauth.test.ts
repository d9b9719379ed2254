import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oauthCredentialKey } from '@fedmcp/proxy-auth';
import { createMemoryStore } from '@fedmcp/store';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { upstreamsFromConfig } from '../upstreams-from-config.js';
import {
  createHubUpstreamOAuth,
  oauthUpstreamsOf,
  openOAuthKeyFile,
} from './hub-upstream-oauth.js';

const configWith = (oauth: unknown) =>
  parseConfig(
    { store: 'memory:', mcpServers: { docs: { url: 'https://docs.example.com/mcp', oauth } } },
    'fedmcp.config.json',
    { env: {} },
  );

describe('mcpServers.<name>.oauth', () => {
  it('is kept out of the upstream spec and given to the OAuth connector, with defaults', () => {
    const configured = upstreamsFromConfig(configWith({ scopes: ['docs:read'] }));
    expect(configured.get('docs')?.spec).toEqual({ url: 'https://docs.example.com/mcp' });
    expect(oauthUpstreamsOf(configured)).toEqual([
      {
        id: 'docs',
        url: 'https://docs.example.com/mcp',
        oauth: { mode: 'hub', grant: 'authorization_code', scopes: ['docs:read'] },
      },
    ]);
  });

  it('names the bad key of an invalid block', () => {
    expect(() => configWith({ clientSecret: 'x' })).toThrow(/mcpServers\.docs\.oauth\.clientId/);
    expect(() => configWith({ mode: 'everyone' })).toThrow(/mcpServers\.docs\.oauth\.mode/);
    expect(() => configWith({ clientMetadataUrl: 'http://hub.example.com/c.json' })).toThrow(
      /clientMetadataUrl/,
    );
  });
});

describe('createHubUpstreamOAuth', () => {
  it('fails an authorization-code upstream without a token with what the operator must do, and creates its key file 0600', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-oauth-'));
    try {
      const keyFile = join(directory, 'oauth-credentials.key');
      const { kv } = createMemoryStore();
      const recorded: unknown[] = [];
      const oauth = createHubUpstreamOAuth({
        audit: {
          record: async (event) => {
            recorded.push(event);
            return { ...event, time: '' } as never;
          },
        },
        upstreams: () => oauthUpstreamsOf(upstreamsFromConfig(configWith({}))),
        kv,
        keyFile,
        redirectUrl: () => 'https://hub.example.com/oauth/callback',
      });
      expect(oauth.oauthFor({ url: 'https://other.example.com/mcp' })).toBeUndefined();
      const binding = oauth.oauthFor({ url: 'https://docs.example.com/mcp' });
      await expect(binding?.authorize(new URL('https://as.example.com/authorize'))).rejects.toThrow(
        'Upstream "docs" needs an OAuth authorization: an operator runs `fedmcp auth login docs` once.',
      );

      await binding?.provider.saveTokens({ access_token: 'secret-at', token_type: 'Bearer' });
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      // Audited without the token (saved with no authorization under way: a refresh).
      expect(recorded).toEqual([
        { type: 'auth', outcome: 'granted', action: 'oauth.refresh', upstream: 'docs' },
      ]);
      const stored = (await kv.get(oauthCredentialKey('docs', 'hub')))?.value ?? '';
      expect(stored).not.toContain('secret-at');
      // A restart reads the same key and the same tokens.
      expect(await openOAuthKeyFile(keyFile)).toEqual(
        Uint8Array.from(Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64')),
      );
      expect(
        (await (await oauth.store()).load(oauthCredentialKey('docs', 'hub')))?.tokens,
      ).toMatchObject({
        access_token: 'secret-at',
      });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('binds a "mode": "user" upstream per caller: the shared connection lists only, an anonymous caller is refused', async () => {
    const config = parseConfig(
      {
        store: 'memory:',
        mcpServers: {
          docs: {
            url: 'https://docs.example.com/mcp',
            isolation: 'per-principal',
            oauth: { mode: 'user' },
          },
        },
      },
      'fedmcp.config.json',
      { env: {} },
    );
    const oauth = createHubUpstreamOAuth({
      upstreams: () => oauthUpstreamsOf(upstreamsFromConfig(config)),
      kv: createMemoryStore().kv,
      keyFile: join(tmpdir(), 'never-opened.key'),
      redirectUrl: () => 'https://hub.example.com/oauth/callback',
    });
    const url = 'https://docs.example.com/mcp';
    // The shared connection: the hub's own (catalog) token, listing requests only.
    const catalog = oauth.oauthFor({ url });
    expect(catalog?.allowedMethods?.has('tools/list')).toBe(true);
    expect(catalog?.allowedMethods?.has('tools/call')).toBe(false);
    expect(catalog?.allowedMethods?.has('resources/read')).toBe(false);
    await expect(catalog?.authorize(new URL('https://as.example.com/authorize'))).rejects.toThrow(
      'an operator runs `fedmcp auth login docs` once so the hub can list its catalog',
    );
    // A caller's own connection: that caller's binding, with every method.
    const alice = oauth.oauthFor({ url }, { caller: { principal: { subject: 'alice' } } });
    expect(alice).toBeDefined();
    expect(alice?.allowedMethods).toBeUndefined();
    expect(alice?.provider).not.toBe(catalog?.provider);
    expect(() =>
      oauth.oauthFor(
        { url },
        { caller: { principal: { subject: 'anonymous', authMethod: 'anonymous' } } },
      ),
    ).toThrow('authenticate to the hub (an API key or an OAuth token) to use it');
  });

  it("keeps a caller's tokens under its issuer and subject: another issuer's same sub has none", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-oauth-'));
    try {
      const config = parseConfig(
        {
          store: 'memory:',
          mcpServers: {
            docs: {
              url: 'https://docs.example.com/mcp',
              isolation: 'per-principal',
              oauth: { mode: 'user' },
            },
          },
        },
        'fedmcp.config.json',
        { env: {} },
      );
      const oauth = createHubUpstreamOAuth({
        upstreams: () => oauthUpstreamsOf(upstreamsFromConfig(config)),
        kv: createMemoryStore().kv,
        keyFile: join(directory, 'oauth-credentials.key'),
        redirectUrl: () => 'https://hub.example.com/oauth/callback',
      });
      const tokens = { access_token: 'token-of-a', token_type: 'Bearer' };
      const ofA = { subject: 'alice', issuer: 'https://a.example', authMethod: 'oauth' };
      const ofB = { subject: 'alice', issuer: 'https://b.example', authMethod: 'oauth' };
      await (await oauth.store()).save(oauthCredentialKey('docs', ofA), { tokens });
      const url = 'https://docs.example.com/mcp';
      const bindingOf = (principal: unknown) => oauth.oauthFor({ url }, { caller: { principal } });
      expect(await bindingOf(ofA)?.provider.tokens()).toEqual(tokens);
      expect(await bindingOf(ofB)?.provider.tokens()).toBeUndefined();
      expect(await bindingOf({ subject: 'alice', authMethod: 'api-key' })?.provider.tokens()).toBe(
        undefined,
      );
      // The admin API's logout: one holder's tokens, and only in the mode that fits.
      await expect(oauth.logout('docs')).rejects.toThrow(/name whose with subject/);
      await expect(oauth.logout('other', ofA)).rejects.toThrow(/has no "oauth" block/);
      expect(await oauth.logout('docs', ofB)).toBe(false);
      expect(await oauth.logout('docs', ofA)).toBe(true);
      expect(await bindingOf(ofA)?.provider.tokens()).toBeUndefined();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
