/**
 * Issue 21: two hubs on one store share a user's upstream tokens, and each reads the store rather
 * than its memory before using or refreshing them. The authorization server rotates refresh
 * tokens and revokes the whole grant when a used one comes back (oidc-provider's reuse
 * detection), and its access tokens live 20 s — under the hub's 30 s refresh-ahead — so every
 * call refreshes. A hub that refreshed with the refresh token it held in memory after the other
 * hub rotated it would lose the user's grant and ask them to sign in again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFedmcpServer, type FedmcpServer, parseConfig } from '@fedmcp/server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import {
  signIn,
  startAuthorizationServer,
  startProtectedUpstream,
} from './fixtures/oauth-upstream.js';

/** An API key and its config entry. */
function apiKey(subject: string) {
  const key = `fmk_${randomBytes(32).toString('base64url')}`;
  const hash = `sha256:${createHash('sha256').update(key).digest('base64url')}`;
  return { key, entry: { hash, subject } };
}
const alice = apiKey('alice');
const bob = apiKey('bob');

/** One replica: its own process state, the shared SQLite file and credential key file. */
async function startReplica(directory: string, upstreamUrl: string) {
  const config = parseConfig(
    {
      hub: { host: '127.0.0.1', port: 0, dataDir: directory },
      store: `sqlite:${join(directory, 'state.db')}`,
      runtime: false,
      auth: { apiKeys: [alice.entry, bob.entry] },
      mcpServers: {
        docs: { url: upstreamUrl, isolation: 'per-principal', oauth: { mode: 'user' } },
      },
    },
    join(directory, 'fedmcp.config.json'),
    { env: {} },
  );
  const server: FedmcpServer = await createFedmcpServer({ config, baseDirectory: directory });
  try {
    const { url } = await server.listen();
    const clients: Client[] = [];
    const as = async (key: string) => {
      const client = new Client({ name: 'replica-test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
          requestInit: { headers: { 'x-api-key': key } },
        }),
      );
      clients.push(client);
      return async () => {
        const result = await client.callTool({ name: 'docs__whoami', arguments: {} });
        return (result.content as { text: string }[])[0]?.text;
      };
    };
    return {
      url,
      whoami: await as(alice.key),
      whoamiBob: await as(bob.key),
      async [Symbol.asyncDispose]() {
        for (const client of clients) await client.close();
        await server.close();
      },
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

describe('per-user upstream OAuth on replicas', () => {
  it('uses the refresh token another replica rotated, not the one it read before', async () => {
    await using authorizationServer = await startAuthorizationServer({ accessTokenTtlSeconds: 20 });
    await using upstream = await startProtectedUpstream(authorizationServer.issuer);
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-oauth-replicas-'));
    try {
      await using one = await startReplica(directory, upstream.url);
      await using two = await startReplica(directory, upstream.url);

      // Alice signs in through replica one.
      const refused = await one.whoami().then(
        () => undefined,
        (error: { code?: number; data?: { elicitations?: { url: string }[] } }) => error,
      );
      expect(refused?.code).toBe(-32042);
      const signedIn = await signIn(
        refused?.data?.elicitations?.[0]?.url ?? '',
        'alice',
        `${one.url}/oauth/callback`,
      );
      expect(signedIn.status).toBe(200);
      expect(await one.whoami()).toBe('subject=alice');

      // Each call refreshes (the token is always within the refresh-ahead window) and rotates.
      expect(await two.whoami()).toBe('subject=alice');
      expect(await one.whoami()).toBe('subject=alice');
      expect(await two.whoami()).toBe('subject=alice');
      expect(upstream.calls).toEqual(['alice', 'alice', 'alice', 'alice']);
      const refreshes = authorizationServer.grants.filter((grant) =>
        grant.startsWith('refresh_token'),
      );
      expect(refreshes.length).toBeGreaterThanOrEqual(3);
      expect(refreshes.every((grant) => grant === 'refresh_token:200')).toBe(true);
      // One sign-in only: no grant was lost to a reused refresh token.
      expect(
        authorizationServer.grants.filter((grant) => grant.startsWith('authorization_code')),
      ).toEqual(['authorization_code:200']);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 120_000);

  it('finishes a sign-in started on one replica when the redirect reaches another, once', async () => {
    await using authorizationServer = await startAuthorizationServer();
    await using upstream = await startProtectedUpstream(authorizationServer.issuer);
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-oauth-replicas-'));
    try {
      await using one = await startReplica(directory, upstream.url);
      await using two = await startReplica(directory, upstream.url);
      const refused = await one.whoamiBob().then(
        () => undefined,
        (error: { code?: number; data?: { elicitations?: { url: string }[] } }) => error,
      );
      expect(refused?.code).toBe(-32042);
      // The browser's redirect lands on replica two (a load balancer without sticky routing).
      let redirect = '';
      const signedIn = await signIn(
        refused?.data?.elicitations?.[0]?.url ?? '',
        'bob',
        `${one.url}/oauth/callback`,
        (input) => {
          redirect = String(input).replace(one.url, two.url);
          return fetch(redirect);
        },
      );
      expect(signedIn.status).toBe(200);
      expect(signedIn.page).toContain('You can close this tab');
      // Bob's token is in the store: replica one calls with it.
      expect(await one.whoamiBob()).toBe('subject=bob');
      expect(await two.whoamiBob()).toBe('subject=bob');
      // Single-use on every replica: the same redirect to replica one is refused.
      const replay = await fetch(redirect.replace(two.url, one.url));
      expect(replay.status).toBe(400);
      expect(await replay.text()).toContain('unknown or has expired');
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 120_000);

  it('lets a call that asked inside itself go on when the sign-in lands on another replica', async () => {
    await using authorizationServer = await startAuthorizationServer();
    await using upstream = await startProtectedUpstream(authorizationServer.issuer);
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-oauth-replicas-'));
    try {
      await using one = await startReplica(directory, upstream.url);
      await using two = await startReplica(directory, upstream.url);
      // Alice's client takes URL elicitations: her call on replica one asks her inside the call,
      // and waits while her browser's redirect lands on replica two.
      const client = new Client(
        { name: 'replica-in-call', version: '1.0.0' },
        { capabilities: { elicitation: { url: {} } } },
      );
      const signIns: Promise<{ status: number }>[] = [];
      client.setRequestHandler('elicitation/create', async (request) => {
        if (request.params.mode !== 'url') return { action: 'decline' };
        signIns.push(
          signIn(request.params.url, 'alice', `${one.url}/oauth/callback`, (input) =>
            fetch(String(input).replace(one.url, two.url)),
          ),
        );
        return { action: 'accept' };
      });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${one.url}/mcp`), {
          requestInit: { headers: { 'x-api-key': alice.key } },
        }),
      );
      try {
        const result = await client.callTool({ name: 'docs__whoami', arguments: {} });
        expect((result.content as { text: string }[])[0]?.text).toBe('subject=alice');
        expect(signIns).toHaveLength(1);
        expect((await signIns[0])?.status).toBe(200);
      } finally {
        await client.close();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 120_000);
});
