/**
 * Issue 21, per-user upstream OAuth with the sign-in inside the call, through the real
 * `fedmcp serve` process and a real browser: an upstream protected by `oidc-provider` behind the
 * hub with `"oauth": { "mode": "user" }`. A 2025-11-25 client that declares URL elicitation gets
 * an `elicitation/create` (`mode: "url"`) inside its call; headless Chromium logs in and consents
 * at that URL; the hub's callback finishes the exchange, the hub tells the client
 * `notifications/elicitation/complete`, and the same call answers with the user's own token —
 * and so do the user's prompts and reads. A 2026-07-28 client gets the question as an
 * `input_required` round and its retry succeeds after the sign-in. A client without URL
 * elicitation gets `-32042` naming the URL. Access tokens live 20 s, under the hub's 30 s
 * refresh-ahead, so each later request refreshes first (without the user); once the
 * authorization server revokes the refresh token, the next call asks the user to sign in again.
 * An operator's logout of a user through the admin API revokes that user's tokens at the
 * authorization server and asks the user again; grants, refreshes and revocations are audited.
 * No token, code, PKCE verifier or client secret appears in the hub's debug log. The same browser
 * also logs the whole hub in with `fedmcp auth login` (hub-wide mode).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumAvailable, headlessChromiumLaunchOptions } from '@fedmcp/test-support';
import {
  Client,
  type ElicitRequestURLParams,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { type Browser, chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { newApiKey, serveFedmcp, startFedmcp } from './fixtures/fedmcp-process.js';
import { startAuthorizationServer, startProtectedUpstream } from './fixtures/oauth-upstream.js';

const browserTests = chromiumAvailable('oauth-in-call-sign-in');

const textOf = (result: unknown) =>
  ((result as { content: { text: string }[] }).content[0] as { text: string }).text;

/** Logs `login` in and consents at an authorization URL, in a fresh browser context. */
async function signInWithChromium(
  browser: Browser,
  url: string,
  login: string,
  codes: string[],
  /** The text of the page the redirect lands on. @default the hub's callback page */
  { done = 'You can close this tab' }: { done?: string } = {},
): Promise<string> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    // The authorization code the browser carries back, for the log check.
    page.on('request', (request) => {
      const code = new URL(request.url()).searchParams.get('code');
      if (code) codes.push(code);
    });
    await page.route(/fonts\.googleapis\.com/, (route) => route.abort());
    await page.goto(url);
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', 'any password');
    await page.click('button[type=submit]');
    await page.getByRole('button', { name: 'Continue' }).click();
    // The page of the redirect back (the hub's /oauth/callback, or the CLI's loopback).
    await page.getByText(done).waitFor();
    return page.url();
  } finally {
    await context.close();
  }
}

/** A client of the hub as `key`, answering URL elicitations with `onUrl` (or none). */
async function connectAs(
  hubUrl: string,
  key: string,
  options: {
    modern?: boolean;
    onUrl?: (params: ElicitRequestURLParams) => void;
    /** What the user answers. @default 'accept' */
    answer?: 'accept' | 'decline';
  } = {},
) {
  const completed: string[] = [];
  const client = new Client(
    { name: 'in-call-sign-in-test', version: '1.0.0' },
    {
      ...(options.onUrl && { capabilities: { elicitation: { url: {} } } }),
      ...(options.modern && { versionNegotiation: { mode: 'auto' } }),
    },
  );
  if (options.onUrl) {
    const onUrl = options.onUrl;
    client.setRequestHandler('elicitation/create', async (request) => {
      if (request.params.mode !== 'url') return { action: 'decline' };
      onUrl(request.params);
      return { action: options.answer ?? 'accept' };
    });
    client.setNotificationHandler('notifications/elicitation/complete', (notification) => {
      completed.push(notification.params.elicitationId);
    });
  }
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${hubUrl}/mcp`), {
      requestInit: { headers: { 'x-api-key': key } },
    }),
  );
  return { client, completed };
}

describe.skipIf(!browserTests)('in-call sign-in to a per-user OAuth upstream (Chromium)', () => {
  it('asks inside the call, signs in with a browser, refreshes without the user, and asks again once the grant is revoked; no secret in the logs', async () => {
    await using authorizationServer = await startAuthorizationServer({ accessTokenTtlSeconds: 20 });
    await using upstream = await startProtectedUpstream(authorizationServer.issuer);
    const browser = await chromium.launch(headlessChromiumLaunchOptions);
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-in-call-sign-in-'));
    const codes: string[] = [];
    const challenges = new Set<string>();
    try {
      const alice = newApiKey('alice');
      const bob = newApiKey('bob');
      const carol = newApiKey('carol');
      const dave = newApiKey('dave');
      const operator = newApiKey('ops');
      const configFile = join(directory, 'fedmcp.config.json');
      await writeFile(
        configFile,
        JSON.stringify({
          hub: { host: '127.0.0.1', port: 0 },
          runtime: false,
          auth: {
            apiKeys: [
              alice.entry,
              bob.entry,
              carol.entry,
              dave.entry,
              { ...operator.entry, scopes: ['admin'] },
            ],
          },
          mcpServers: {
            docs: { url: upstream.url, isolation: 'per-principal', oauth: { mode: 'user' } },
          },
        }),
      );
      await using hub = await serveFedmcp(configFile, directory);
      const callback = `${hub.url}/oauth/callback`;

      // Alice (2025-11-25, URL elicitation): the question comes inside her call.
      const aliceAsked: ElicitRequestURLParams[] = [];
      const aliceSignIns: Promise<string>[] = [];
      const aliceSession = await connectAs(hub.url, alice.key, {
        onUrl: (params) => {
          aliceAsked.push(params);
          const challenge = new URL(params.url).searchParams.get('code_challenge');
          if (challenge) challenges.add(challenge);
          aliceSignIns.push(signInWithChromium(browser, params.url, 'alice', codes));
        },
      });
      // Bob (2026-07-28): an input_required round carries the same question.
      const bobAsked: ElicitRequestURLParams[] = [];
      const bobSignIns: Promise<string>[] = [];
      const bobSession = await connectAs(hub.url, bob.key, {
        modern: true,
        onUrl: (params) => {
          bobAsked.push(params);
          const challenge = new URL(params.url).searchParams.get('code_challenge');
          if (challenge) challenges.add(challenge);
          bobSignIns.push(signInWithChromium(browser, params.url, 'bob', codes));
        },
      });
      // Carol's client takes no URL elicitation.
      const carolSession = await connectAs(hub.url, carol.key);
      // Dave declines to sign in.
      const daveAsked: ElicitRequestURLParams[] = [];
      const daveSession = await connectAs(hub.url, dave.key, {
        answer: 'decline',
        onUrl: (params) => daveAsked.push(params),
      });
      const { client: aliceClient } = aliceSession;
      try {
        const whoami = (client: Client) =>
          client.callTool({ name: 'docs__whoami', arguments: {} }).then(textOf);

        expect(await whoami(aliceClient)).toBe('subject=alice');
        expect(aliceAsked).toHaveLength(1);
        const [asked] = aliceAsked;
        const url = new URL(asked?.url ?? '');
        expect(url.origin).toBe(authorizationServer.issuer);
        expect(url.searchParams.get('redirect_uri')).toBe(callback);
        expect(url.searchParams.get('resource')).toBe(upstream.url);
        expect(asked?.elicitationId).toEqual(expect.any(String));
        expect(await aliceSignIns[0]).toContain(callback);
        expect(aliceSession.completed).toEqual([asked?.elicitationId]);

        // Her prompts and reads go on her own connection, with her token.
        const prompt = await aliceClient.getPrompt({ name: 'docs__greeting' });
        expect(prompt.messages[0]?.content).toMatchObject({ text: 'hello alice' });
        const { resources } = await aliceClient.listResources();
        const profile = resources.find((resource) => resource.name === 'profile');
        expect(profile).toBeDefined();
        const read = await aliceClient.readResource({ uri: profile?.uri ?? '' });
        expect(read.contents[0]).toMatchObject({ text: 'profile of alice' });
        // Each request after the sign-in refreshed the 20 s token first, without the user.
        expect(authorizationServer.grants).toContain('refresh_token:200');
        expect(aliceAsked).toHaveLength(1);

        // Bob (2026-07-28) is asked for himself, and never gets Alice's token.
        expect(bobSession.client.getProtocolEra()).toBe('modern');
        expect(await whoami(bobSession.client)).toBe('subject=bob');
        expect(bobAsked).toHaveLength(1);
        expect(bobAsked[0]?.url).not.toBe(asked?.url);
        expect(upstream.calls).toEqual(['alice', 'bob']);

        // Carol's client gets -32042 with the URL to open, and what to do.
        const refused = (await whoami(carolSession.client).then(
          () => undefined,
          (error: unknown) => error,
        )) as { code?: number; message?: string } | undefined;
        expect(refused?.code).toBe(-32042);
        expect(refused?.message).toMatch(/open http:\/\/127\.0\.0\.1:\d+\/auth\?.* and retry/);

        // Dave is asked and declines: his call ends saying so, and nothing reached the upstream.
        const declined = (await whoami(daveSession.client).then(
          () => undefined,
          (error: unknown) => error,
        )) as { message?: string } | undefined;
        expect(daveAsked).toHaveLength(1);
        expect(declined?.message).toMatch(/declined or cancelled.*Call again/);
        expect(upstream.calls).toEqual(['alice', 'bob']);

        // The authorization server revokes Alice's latest refresh token (opaque: no dots; her
        // call just now refreshed last): her next call cannot refresh, and she is asked to sign
        // in again, inside the call.
        expect(await whoami(aliceClient)).toBe('subject=alice');
        await authorizationServer.revokeRefreshToken(lastRefreshToken(authorizationServer));
        expect(await whoami(aliceClient)).toBe('subject=alice');
        expect(aliceAsked).toHaveLength(2);
        expect(aliceAsked[1]?.elicitationId).not.toBe(asked?.elicitationId);
        expect(authorizationServer.grants).toContain('refresh_token:400');
        expect(upstream.calls).toEqual(['alice', 'bob', 'alice', 'alice']);

        // An operator logs Bob out through the admin API: his tokens are revoked at the
        // authorization server and forgotten, and his next call asks him again.
        const admin = (method: string, path: string) =>
          fetch(`${hub.url}/admin/v1${path}`, {
            method,
            headers: { authorization: `Bearer ${operator.key}` },
          });
        expect((await admin('DELETE', '/upstreams/docs/oauth-tokens?subject=bob')).status).toBe(
          204,
        );
        expect(authorizationServer.revocations).toEqual([200]);
        expect((await admin('DELETE', '/upstreams/docs/oauth-tokens?subject=bob')).status).toBe(
          404,
        );
        expect((await admin('DELETE', '/upstreams/docs/oauth-tokens')).status).toBe(400);
        expect(await whoami(bobSession.client)).toBe('subject=bob');
        expect(bobAsked).toHaveLength(2);
        await Promise.all(bobSignIns);

        // Audited: each grant, refresh and revocation, with the principal and the upstream.
        const audit = (await (
          await admin('GET', '/audit?type=auth&upstream=docs&limit=1000')
        ).json()) as {
          events: {
            event: { action?: string; outcome?: string; principal?: { subject?: string } };
          }[];
        };
        const seen = audit.events.map(
          ({ event }) => `${event.principal?.subject}:${event.action}:${event.outcome}`,
        );
        expect(seen).toEqual(
          expect.arrayContaining([
            'alice:oauth.grant:granted',
            'alice:oauth.refresh:granted',
            'bob:oauth.grant:granted',
            'bob:oauth.logout:revoked',
          ]),
        );
      } finally {
        await aliceClient.close();
        await bobSession.client.close();
        await carolSession.client.close();
        await daveSession.client.close();
      }

      // Nothing secret in the hub's debug log: tokens, codes, client secrets, PKCE verifiers.
      const output = hub.output();
      expect(output).toMatch(/debug|"level":20/i);
      const secrets = [
        ...upstream.tokensSeen,
        ...authorizationServer.issued,
        ...authorizationServer.clientSecrets,
        ...codes,
      ];
      expect(codes.length).toBeGreaterThanOrEqual(4);
      for (const secret of new Set(secrets.filter((value) => value.length > 8))) {
        const at = output.indexOf(secret);
        expect(
          at,
          `a secret in the hub log: ${output.slice(Math.max(0, at - 300), at + 100)}`,
        ).toBe(-1);
      }
      expect(challenges.size).toBe(4);
      for (const word of output.match(/[A-Za-z0-9._~-]{43,128}/g) ?? []) {
        const challenge = createHash('sha256').update(word).digest('base64url');
        expect(challenges.has(challenge), 'a PKCE code verifier in the hub log').toBe(false);
      }
    } finally {
      await browser.close();
      await rm(directory, { recursive: true, force: true });
    }
  }, 240_000);
});

describe.skipIf(!browserTests)('hub-wide OAuth with fedmcp auth login (Chromium)', () => {
  it('logs the hub in through a browser, then every caller uses the hub token; no secret in the logs', async () => {
    await using authorizationServer = await startAuthorizationServer();
    await using upstream = await startProtectedUpstream(authorizationServer.issuer, {
      publicCatalog: false,
    });
    const browser = await chromium.launch(headlessChromiumLaunchOptions);
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-hub-login-'));
    const codes: string[] = [];
    try {
      const alice = newApiKey('alice');
      const configFile = join(directory, 'fedmcp.config.json');
      await writeFile(
        configFile,
        JSON.stringify({
          hub: { host: '127.0.0.1', port: 0 },
          runtime: false,
          auth: { apiKeys: [alice.entry] },
          mcpServers: { docs: { url: upstream.url, oauth: { mode: 'hub' } } },
        }),
      );
      // The operator's login: the CLI prints the URL, the browser consents, the loopback
      // redirect comes back to the CLI, which stores the hub's tokens and exits.
      const login = startFedmcp(
        ['auth', 'login', 'docs', '--no-browser', '--config', configFile],
        directory,
      );
      try {
        const [, url] = await login.waitFor(/Open this URL[^\n]*\n\s+(\S+)\n/);
        const landed = await signInWithChromium(browser, url ?? '', 'operator', codes, {
          done: 'You can close this window',
        });
        expect(new URL(landed).hostname).toBe('127.0.0.1');
        expect(await login.exited, login.output()).toBe(0);
        expect(login.output()).toContain('Authorized: the hub now connects to "docs"');
      } finally {
        await login.stop();
      }

      await using hub = await serveFedmcp(configFile, directory);
      const { client } = await connectAs(hub.url, alice.key);
      try {
        const result = await client.callTool({ name: 'docs__whoami', arguments: {} });
        expect(textOf(result)).toBe('subject=operator');
      } finally {
        await client.close();
      }
      const output = `${hub.output()}${login.output()}`;
      const secrets = [
        ...upstream.tokensSeen,
        ...authorizationServer.issued,
        ...authorizationServer.clientSecrets,
        ...codes,
      ];
      expect(codes).toHaveLength(1);
      for (const secret of new Set(secrets.filter((value) => value.length > 8))) {
        expect(output.includes(secret), 'a secret in the hub or CLI output').toBe(false);
      }
    } finally {
      await browser.close();
      await rm(directory, { recursive: true, force: true });
    }
  }, 180_000);
});

/** The refresh token the authorization server issued last (refresh tokens are opaque). */
function lastRefreshToken(server: { issued: string[] }): string {
  const token = server.issued.findLast((value) => !value.includes('.'));
  if (!token) throw new Error('The authorization server issued no refresh token.');
  return token;
}
