import { createHash } from 'node:crypto';
import { FedmcpError } from '@fedmcp/protocol';
import {
  createMemoryOAuthCredentialStore,
  oauthCredentialKey,
  upstreamOAuthConfigSchema,
} from '@fedmcp/proxy-auth';
import { createMemoryStore } from '@fedmcp/store';
import { describe, expect, it } from 'vitest';
import { createUserUpstreamOAuth, USER_LOGIN_TTL_MS } from './user-upstream-oauth.js';

const upstream = {
  id: 'docs',
  url: 'http://127.0.0.1:9/mcp',
  oauth: upstreamOAuthConfigSchema.parse({ mode: 'user' }),
};

function setup() {
  let now = 1_000_000;
  const credentials = createMemoryOAuthCredentialStore();
  const store = createMemoryStore();
  const audited: Record<string, unknown>[] = [];
  const users = createUserUpstreamOAuth({
    upstreams: () => [upstream],
    store: async () => credentials,
    kv: store.kv,
    pubsub: store.pubsub,
    redirectUrl: () => 'http://127.0.0.1:8787/oauth/callback',
    audit: {
      record: async (event) => {
        audited.push(event as Record<string, unknown>);
        return { ...event, time: new Date(0).toISOString() };
      },
    },
    now: () => now,
  });
  /** Starts a sign-in for `holder`: the -32042 error its `authorize` throws, and its state. */
  const startSignIn = async (holder: { subject: string; issuer?: string }) => {
    const binding = users.bindingFor('docs', holder);
    if (!binding) throw new Error('no binding');
    binding.provider.saveCodeVerifier('v'.repeat(43));
    const state = `state-${holder.subject}-${now}`;
    const url = new URL(`http://127.0.0.1:9/auth?state=${state}`);
    const error = await binding.authorize(url).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(FedmcpError.isInstance(error)).toBe(true);
    return { error: error as FedmcpError, state };
  };
  return {
    users,
    credentials,
    audited,
    startSignIn,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('createUserUpstreamOAuth', () => {
  it('binds a pending sign-in to the principal (issuer and subject), under a digest of its state', async () => {
    const { credentials, startSignIn } = setup();
    const { error, state } = await startSignIn({ subject: 'alice', issuer: 'https://a.example' });
    expect(error.jsonRpcCode).toBe(-32042);
    const elicitationId = createHash('sha256').update(state).digest('base64url');
    expect(error.data).toMatchObject({
      elicitations: [{ mode: 'url', elicitationId, url: expect.stringContaining(state) }],
    });
    const pending = (await credentials.load(`oauth-login:${elicitationId}`))?.pendingLogin;
    expect(pending).toMatchObject({
      upstreamId: 'docs',
      subject: 'alice',
      issuer: 'https://a.example',
    });
    // The state itself is not what the record is stored under.
    expect(await credentials.load(`oauth-login:${state}`)).toBeUndefined();
  });

  it('refuses an expired sign-in, and a used one', async () => {
    const { users, startSignIn, advance } = setup();
    const { state } = await startSignIn({ subject: 'alice' });
    advance(USER_LOGIN_TTL_MS + 1);
    const expired = await users.callback(new URLSearchParams({ state, code: 'c' }));
    expect(expired.status).toBe(400);
    expect(expired.page).toContain('unknown or has expired');

    const second = await startSignIn({ subject: 'alice' });
    const failed = await users.callback(
      new URLSearchParams({ state: second.state, error: 'access_denied' }),
    );
    expect(failed.status).toBe(400);
    expect(failed.page).toContain('The sign-in failed: access_denied');
    const again = await users.callback(new URLSearchParams({ state: second.state, code: 'c' }));
    expect(again.page).toContain('unknown or has expired');
  });

  it('tells a call waiting on the sign-in how it ended, also when it ended before the wait', async () => {
    const { users, startSignIn, audited } = setup();
    const first = await startSignIn({ subject: 'alice', issuer: 'https://a.example' });
    const id = (first.error.data as { elicitations: { elicitationId: string }[] }).elicitations[0]
      ?.elicitationId as string;
    const waiting = users.waitForSignIn(id, new AbortController().signal);
    await users.callback(new URLSearchParams({ state: first.state, error: 'access_denied' }));
    expect(await waiting).toBe('failed');
    // Settled already: a later wait (another replica's) reads the outcome from the store.
    expect(await users.waitForSignIn(id, new AbortController().signal)).toBe('failed');
    // A wait is abortable.
    const controller = new AbortController();
    const aborted = users.waitForSignIn('never-settled', controller.signal);
    controller.abort(new Error('gone'));
    await expect(aborted).rejects.toThrow('gone');
    // The failure is audited with the principal, never a token or code.
    expect(audited).toContainEqual(
      expect.objectContaining({
        action: 'oauth.grant',
        outcome: 'failure',
        upstream: 'docs',
        principal: { subject: 'alice', issuer: 'https://a.example', authMethod: 'oauth' },
      }),
    );
  });

  it('keeps two issuers’ same subject apart, and logs one out only', async () => {
    const { users, credentials, audited } = setup();
    const tokens = { access_token: 'at', token_type: 'Bearer' };
    const a = { subject: 'alice', issuer: 'https://a.example' };
    const b = { subject: 'alice', issuer: 'https://b.example' };
    await credentials.save(oauthCredentialKey('docs', a), { tokens });
    await credentials.save(oauthCredentialKey('docs', b), { tokens });
    expect(await users.bindingFor('docs', a)?.provider.tokens()).toEqual(tokens);
    expect(await users.bindingFor('docs', { subject: 'alice' })?.provider.tokens()).toBeUndefined();
    expect(await users.logout('docs', a)).toBe(true);
    expect(await users.bindingFor('docs', a)?.provider.tokens()).toBeUndefined();
    expect(await users.bindingFor('docs', b)?.provider.tokens()).toEqual(tokens);
    expect(audited.at(-1)).toMatchObject({
      action: 'oauth.logout',
      outcome: 'revoked',
      principal: { subject: 'alice', issuer: 'https://a.example' },
    });
    expect(JSON.stringify(audited)).not.toContain('"at"');
  });
});
