import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oauthCredentialKey } from '@fedmcp/proxy-auth';
import { createMemoryStore } from '@fedmcp/store';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { openOAuthCredentialStore } from './hub-upstream-oauth.js';
import { logoutUpstream } from './upstream-logout.js';

const configWith = (entry: Record<string, unknown>) =>
  parseConfig(
    {
      store: 'memory:',
      mcpServers: { docs: { url: 'https://docs.example.com/mcp', ...entry } },
    },
    'fedmcp.config.json',
    { env: {} },
  );

const perUser = { isolation: 'per-principal', oauth: { mode: 'user' } };

describe('"oauth": { "mode": "user" }', () => {
  it('needs per-principal isolation, naming the key', () => {
    expect(() => configWith({ oauth: { mode: 'user' } })).toThrow(
      /mcpServers\.docs\.oauth\.mode.*"isolation": "per-principal"/s,
    );
    expect(() => configWith(perUser)).not.toThrow();
  });
});

describe('logoutUpstream', () => {
  it("deletes one user's tokens (not another's), audits it, and refuses a subject that does not fit the mode", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-logout-'));
    const store = createMemoryStore();
    try {
      const keyFile = join(directory, 'oauth-credentials.key');
      const credentials = await openOAuthCredentialStore(store.kv, keyFile);
      const tokens = { access_token: 'at', token_type: 'Bearer' };
      await credentials.save(oauthCredentialKey('docs', { subject: 'alice' }), { tokens });
      await credentials.save(oauthCredentialKey('docs', { subject: 'bob' }), { tokens });
      const audit: unknown[] = [];
      const options = {
        config: configWith(perUser),
        upstreamId: 'docs',
        kv: store.kv,
        keyFile,
        audit: { record: async (event: unknown) => void audit.push(event) },
      } as unknown as Parameters<typeof logoutUpstream>[0];

      expect(await logoutUpstream({ ...options, subject: 'alice' })).toBe(true);
      expect(await logoutUpstream({ ...options, subject: 'alice' })).toBe(false);
      expect(await credentials.load(oauthCredentialKey('docs', { subject: 'alice' }))).toBe(
        undefined,
      );
      expect(
        (await credentials.load(oauthCredentialKey('docs', { subject: 'bob' })))?.tokens,
      ).toEqual(tokens);
      expect(audit).toEqual([
        {
          type: 'auth',
          outcome: 'revoked',
          action: 'oauth.logout',
          upstream: 'docs',
          // The test's tokens name no authorization server: nothing to revoke there.
          details: { atAuthorizationServer: 'unsupported' },
          principal: { subject: 'alice', authMethod: 'oauth' },
        },
      ]);

      // An OAuth principal is named by issuer and subject: the same subject of another issuer
      // keeps its tokens.
      const ofIssuer = { subject: 'carol', issuer: 'https://a.example' };
      await credentials.save(oauthCredentialKey('docs', ofIssuer), { tokens });
      expect(
        await logoutUpstream({ ...options, subject: 'carol', issuer: 'https://b.example' }),
      ).toBe(false);
      expect(await logoutUpstream({ ...options, subject: 'carol' })).toBe(false);
      expect(await logoutUpstream({ ...options, ...ofIssuer })).toBe(true);
      expect(audit.at(-1)).toMatchObject({
        principal: { subject: 'carol', issuer: 'https://a.example', authMethod: 'oauth' },
      });
      await expect(logoutUpstream({ ...options, issuer: 'https://a.example' })).rejects.toThrow(
        /--issuer names the issuer of a --subject/,
      );

      await expect(logoutUpstream(options)).rejects.toThrow(/"mode": "user".*--subject/);
      await expect(
        logoutUpstream({
          ...options,
          config: configWith({ oauth: { mode: 'hub' } }),
          subject: 'a',
        }),
      ).rejects.toThrow(/"mode": "hub".*drop --subject/);
      await expect(
        logoutUpstream({ ...options, config: configWith({}), subject: 'alice' }),
      ).rejects.toThrow('mcpServers.docs has no "oauth" block');
    } finally {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    }
  });
});
