/**
 * Issue 21, per-user tokens (`"oauth": { "mode": "user" }`): the hub's upstream connector with
 * the per-user bindings of `@fedmcp/server` against an MCP server protected by a real
 * authorization server (`oidc-provider` on loopback). Each user's login is scripted over plain
 * HTTP against oidc-provider's interaction pages; the redirect's query goes to the hub's callback.
 */
import { createOAuthUpstreamConnector } from '@fedmcp/federation';
import { connectNodeUpstream } from '@fedmcp/federation/node';
import {
  type AuditEvent,
  createEncryptedOAuthCredentialStore,
  generateOAuthCredentialKey,
  oauthCredentialKey,
  upstreamOAuthConfigSchema,
} from '@fedmcp/proxy-auth';
import { createUserUpstreamOAuth, USER_LOGIN_TTL_MS } from '@fedmcp/server';
import { describe, expect, it } from 'vitest';
import { hubConnectOptions, mapStore, textOf } from './oauth-test-kit.js';
import { loginAndConsent, startAuthorizationServer } from './oidc-authorization-server.js';
import { startProtectedUpstream } from './protected-upstream.js';

const REDIRECT_URL = 'http://127.0.0.1:8787/oauth/callback';

/** The URL elicitation a rejected connect carries (`-32042`, `data.url`, `data.elicitations`). */
function elicitationOf(error: unknown) {
  const fedmcp = error as { jsonRpcCode: number; message: string; data: unknown };
  expect(fedmcp.jsonRpcCode).toBe(-32042);
  const data = fedmcp.data as {
    url: string;
    elicitations: { mode: string; elicitationId: string; url: string; message: string }[];
  };
  expect(fedmcp.message).toContain(data.url);
  expect(data.elicitations).toEqual([
    { mode: 'url', elicitationId: expect.any(String), url: data.url, message: fedmcp.message },
  ]);
  return new URL(data.url);
}

describe('per-user OAuth to a protected upstream', () => {
  it('asks each user to sign in through a URL elicitation, keeps their tokens apart, and asks again after a logout', async () => {
    await using authorizationServer = await startAuthorizationServer();
    await using upstream = await startProtectedUpstream(authorizationServer.issuer);
    const kv = mapStore();
    const store = createEncryptedOAuthCredentialStore({
      store: kv,
      key: generateOAuthCredentialKey(),
    });
    const audit: Omit<AuditEvent, 'time'>[] = [];
    let skew = 0;
    const users = createUserUpstreamOAuth({
      upstreams: () => [
        { id: 'docs', url: upstream.url, oauth: upstreamOAuthConfigSchema.parse({ mode: 'user' }) },
      ],
      store: async () => store,
      redirectUrl: () => REDIRECT_URL,
      now: () => Date.now() + skew,
      audit: {
        record: async (event) => {
          audit.push(event);
          return { ...event, time: '' } as AuditEvent;
        },
      },
    });
    const connectAs = (subject: string) =>
      createOAuthUpstreamConnector({
        base: connectNodeUpstream,
        oauthFor: () => users.bindingFor('docs', subject),
      })({ url: upstream.url }, hubConnectOptions());
    const whoami = async (subject: string) => {
      const client = await connectAs(subject);
      try {
        return textOf(await client.callTool({ name: 'whoami', arguments: {} }));
      } finally {
        await client.close();
      }
    };
    const elicited = async (subject: string) =>
      elicitationOf(
        await connectAs(subject).then(
          () => undefined,
          (error: unknown) => error,
        ),
      );
    const pages: string[] = [];
    const signIn = async (url: URL, login: string) => {
      const response = await loginAndConsent(url, login, REDIRECT_URL);
      const answer = await users.callback(new URLSearchParams({ ...response }));
      pages.push(answer.page);
      return { response, answer };
    };

    // Alice's first call: a URL elicitation with PKCE S256 and the upstream as the resource.
    const aliceUrl = await elicited('alice');
    expect(aliceUrl.searchParams.get('code_challenge_method')).toBe('S256');
    expect(aliceUrl.searchParams.get('resource')).toBe(upstream.url);
    expect(aliceUrl.searchParams.get('redirect_uri')).toBe(REDIRECT_URL);
    const alice = await signIn(aliceUrl, 'alice');
    expect(alice.answer.status).toBe(200);
    expect(alice.answer.page).toContain('You can close this tab');
    expect(alice.answer.headers).toMatchObject({
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    expect(await whoami('alice')).toBe('subject=alice');

    // The callback's state is single-use: the same redirect again is refused.
    const replay = await users.callback(new URLSearchParams({ ...alice.response }));
    expect(replay.status).toBe(400);

    // Bob gets his own elicitation (another state) and never Alice's token.
    const bobUrl = await elicited('bob');
    expect(bobUrl.searchParams.get('state')).not.toBe(aliceUrl.searchParams.get('state'));
    expect((await signIn(bobUrl, 'bob')).answer.status).toBe(200);
    expect(await whoami('bob')).toBe('subject=bob');
    expect(await whoami('alice')).toBe('subject=alice');
    const aliceToken = (await store.load(oauthCredentialKey('docs', { subject: 'alice' })))?.tokens
      ?.access_token;
    const bobToken = (await store.load(oauthCredentialKey('docs', { subject: 'bob' })))?.tokens
      ?.access_token;
    expect(aliceToken).toBeTruthy();
    expect(bobToken).toBeTruthy();
    expect(aliceToken).not.toBe(bobToken);
    // At rest: encrypted.
    for (const value of kv.values.values()) {
      expect(value).not.toContain(aliceToken);
      expect(value).not.toContain(bobToken);
    }

    // Logout for Alice: she is asked again; Bob is not.
    expect(await users.logout('docs', 'alice')).toBe(true);
    expect(await users.logout('docs', 'alice')).toBe(false);
    const again = await elicited('alice');
    expect(again.searchParams.get('state')).not.toBe(aliceUrl.searchParams.get('state'));
    expect(await whoami('bob')).toBe('subject=bob');

    // A sign-in link expires after 10 minutes.
    const late = await elicited('carol');
    skew = USER_LOGIN_TTL_MS;
    const expired = await signIn(late, 'carol');
    expect(expired.answer.status).toBe(400);
    expect(expired.answer.page).toContain('unknown or has expired');

    // Audited per subject; no token, code or state in the audit records or the pages.
    expect(audit.map((event) => [event.outcome, event.action, event.principal?.subject])).toEqual(
      expect.arrayContaining([
        ['granted', 'oauth.grant', 'alice'],
        ['granted', 'oauth.grant', 'bob'],
        ['revoked', 'oauth.logout', 'alice'],
      ]),
    );
    const captured = JSON.stringify({ audit, pages });
    const secrets = [
      ...upstream.tokensSeen,
      alice.response.code,
      alice.response.state ?? '',
    ].filter((secret) => secret.length > 0);
    for (const secret of secrets) expect(captured).not.toContain(secret);
  });

  it('refuses a callback with an unknown state, and binds no upstream without "mode": "user"', async () => {
    const users = createUserUpstreamOAuth({
      upstreams: () => [],
      store: async () => {
        throw new Error('not used');
      },
      redirectUrl: () => REDIRECT_URL,
    });
    const unknown = await users.callback(new URLSearchParams({ code: 'x', state: 'nope' }));
    expect(unknown.status).toBe(400);
    expect(unknown.page).toContain('unknown or has expired');
    expect(users.bindingFor('docs', 'alice')).toBeUndefined();
  });
});
