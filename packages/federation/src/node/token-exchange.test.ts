/**
 * RFC 8693 token exchange for per-principal upstreams (issue #19): each caller's connection
 * carries the token a real HTTP token endpoint issued for that caller and the upstream's
 * audience, in exchange for the caller's own token — which never reaches the upstream. The
 * endpoint checks every request as RFC 8693 §2.1 asks; tokens are cached per caller and
 * upstream until they expire (driven by the exchange's clock), and the authorization server's
 * refusals reach the caller as clear JSON-RPC errors, with no token in them or in the logs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTokenExchange, rememberAccessToken } from '@fedmcp/proxy-auth';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { textOf } from '../../test/helpers.js';
import { connectRemoteUpstream } from '../connect-remote-upstream.js';
import { createHub, createTokenExchangeConnector, type Hub } from '../index.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const CLIENT = { id: 'fedmcp-hub', secret: 's3cret hub' };

/** The callers' inbound access tokens, as the authorization server knows them. */
const INBOUND: Record<string, string> = {
  'inbound-token-alice': 'alice',
  'inbound-token-bob': 'bob',
};

/** A token endpoint that checks each request against RFC 8693 §2.1 and issues numbered tokens. */
async function tokenEndpoint(expected: { audience: string; resource: string }) {
  const inbound = new Map(Object.entries(INBOUND));
  const exchanges: Array<{ subject: string }> = [];
  const problems: string[] = [];
  let issued = 0;
  const refuse = (response: ServerResponse, status: number, error: string, description: string) => {
    problems.push(`${error}: ${description}`);
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error, error_description: description }));
  };
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    if (request.method !== 'POST' || request.url !== '/token') {
      return refuse(response, 404, 'invalid_request', 'POST /token only');
    }
    if (request.headers['content-type'] !== 'application/x-www-form-urlencoded') {
      return refuse(response, 400, 'invalid_request', 'form body expected');
    }
    // RFC 6749 §2.3.1 client_secret_basic, parts form-urlencoded.
    const basic = /^Basic (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const [id, secret] = Buffer.from(basic ?? '', 'base64')
      .toString()
      .split(':')
      .map((part) => decodeURIComponent(part.replace(/\+/g, ' ')));
    if (id !== CLIENT.id || secret !== CLIENT.secret) {
      return refuse(response, 401, 'invalid_client', 'client authentication failed');
    }
    const form = new URLSearchParams(body);
    if (form.get('grant_type') !== GRANT) {
      return refuse(response, 400, 'unsupported_grant_type', String(form.get('grant_type')));
    }
    if (form.get('subject_token_type') !== ACCESS_TOKEN) {
      return refuse(response, 400, 'invalid_request', 'subject_token_type');
    }
    if (form.get('requested_token_type') !== ACCESS_TOKEN) {
      return refuse(response, 400, 'invalid_request', 'requested_token_type');
    }
    if (form.getAll('audience').join() !== expected.audience) {
      return refuse(response, 400, 'invalid_target', 'audience');
    }
    if (form.getAll('resource').join() !== expected.resource) {
      return refuse(response, 400, 'invalid_target', 'resource');
    }
    if (form.has('actor_token')) return refuse(response, 400, 'invalid_request', 'no actor here');
    const subject = inbound.get(form.get('subject_token') ?? '');
    if (!subject) return refuse(response, 400, 'invalid_grant', 'the subject token is not valid');
    issued += 1;
    exchanges.push({ subject });
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    response.end(
      JSON.stringify({
        access_token: `upstream-token-${subject}-${issued}`,
        issued_token_type: ACCESS_TOKEN,
        token_type: 'Bearer',
        expires_in: 600,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    /** The inbound tokens the server accepts (delete one to revoke it). */
    inbound,
    exchanges,
    problems,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** An upstream telling which authorization it was called with. */
async function whoamiUpstream() {
  const seen: string[] = [];
  const host = createMcpHttpHost({
    port: 0,
    onRequest: (request) => {
      seen.push(String(request.headers.authorization ?? 'none'));
      return false;
    },
    createServer: (context) => {
      const server = new Server({ name: 'who', version: '1.0.0' }, { capabilities: { tools: {} } });
      const authorization = context.headers?.get('authorization') ?? 'none';
      server.setRequestHandler('tools/list', () => ({
        tools: [{ name: 'whoami', inputSchema: { type: 'object' } }],
      }));
      server.setRequestHandler('tools/call', () => ({
        content: [{ type: 'text', text: authorization }],
      }));
      return server;
    },
  });
  const { url } = await host.listen();
  return { host, url: `${url}/mcp`, seen };
}

/** A client of `subject`; with `token`, as if the hub had authenticated it with that access token. */
async function userClient(hub: Hub, subject: string, token?: string): Promise<Client> {
  const principal = { subject, issuer: 'https://idp.example', groups: [], scopes: [] };
  const authenticated = { ...principal, authMethod: token ? 'oauth' : 'api-key' } as const;
  if (token) rememberAccessToken(authenticated, token);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await hub
    .createServer({ era: 'legacy', transport: 'in-memory', principal: authenticated })
    .connect(serverSide);
  const client = new Client({ name: subject, version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

describe('RFC 8693 token exchange for per-principal upstreams', () => {
  it('sends each caller’s exchanged token upstream, cached until it expires, never the caller’s own', async () => {
    await using upstream = await whoamiUpstream().then((created) => ({
      ...created,
      [Symbol.asyncDispose]: () => created.host.close(),
    }));
    await using authorizationServer = await tokenEndpoint({
      audience: 'who',
      resource: upstream.url,
    });
    let now = 5_000_000;
    const exchange = createTokenExchange({
      tokenEndpoint: authorizationServer.url,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      audience: 'who',
      resource: upstream.url,
      configPath: 'mcpServers.who.tokenExchange',
      now: () => now,
    });
    const logs: string[] = [];
    const record = (...args: unknown[]) => void logs.push(JSON.stringify(args));
    const logger = {
      debug: record,
      info: record,
      warn: record,
      error: record,
      child: () => logger,
    };
    await using hub = createHub({
      upstreams: {
        who: {
          url: upstream.url,
          isolation: 'per-principal',
          // The shared connection (the catalog) uses the operator's own service token.
          headers: { authorization: 'Bearer service-token' },
        },
      },
      connect: createTokenExchangeConnector({
        base: connectRemoteUpstream,
        exchangeFor: (spec) => (spec.url === upstream.url ? exchange : undefined),
      }),
      logger,
      healthIntervalMs: 0,
    });
    await hub.start();
    const alice = await userClient(hub, 'alice', 'inbound-token-alice');
    const bob = await userClient(hub, 'bob', 'inbound-token-bob');
    const whoami = async (client: Client) =>
      textOf(await client.callTool({ name: 'who__whoami', arguments: {} }));

    const [asAlice, asBob] = await Promise.all([whoami(alice), whoami(bob)]);
    expect(asAlice).toMatch(/^Bearer upstream-token-alice-\d$/);
    expect(asBob).toMatch(/^Bearer upstream-token-bob-\d$/);
    expect(authorizationServer.problems).toEqual([]);
    // Cached per caller and upstream: no new exchange while fresh.
    expect(await whoami(alice)).toBe(asAlice);
    expect(authorizationServer.exchanges).toHaveLength(2);
    // Past its expiry (minus the skew), alice's next request gets a new token.
    now += 600_000;
    const renewed = await whoami(alice);
    expect(renewed).toMatch(/^Bearer upstream-token-alice-3$/);
    expect(authorizationServer.exchanges).toHaveLength(3);

    // The callers' own tokens went to the token endpoint only: not upstream, not in the logs.
    expect(upstream.seen.some((authorization) => authorization.includes('inbound-token'))).toBe(
      false,
    );
    expect(upstream.seen).toContain('Bearer service-token');
    expect(logs.join('\n')).not.toMatch(/inbound-token|upstream-token-/);
    await alice.close();
    await bob.close();
  });

  it('gives a caller a clear JSON-RPC error when there is nothing to exchange or the exchange is refused', async () => {
    await using upstream = await whoamiUpstream().then((created) => ({
      ...created,
      [Symbol.asyncDispose]: () => created.host.close(),
    }));
    await using authorizationServer = await tokenEndpoint({
      audience: 'who',
      resource: upstream.url,
    });
    const exchangeWith = (secret: string) =>
      createTokenExchange({
        tokenEndpoint: authorizationServer.url,
        clientId: CLIENT.id,
        clientSecret: secret,
        audience: 'who',
        resource: upstream.url,
        configPath: 'mcpServers.who.tokenExchange',
      });
    let exchange = exchangeWith(CLIENT.secret);
    await using hub = createHub({
      upstreams: { who: { url: upstream.url, isolation: 'per-principal' } },
      connect: createTokenExchangeConnector({
        base: connectRemoteUpstream,
        exchangeFor: () => exchange,
      }),
      healthIntervalMs: 0,
    });
    await hub.start();
    const call = async (client: Client) => {
      const failure = await client.callTool({ name: 'who__whoami', arguments: {} }).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
      await client.close();
      return failure;
    };

    // An API-key caller has no token to exchange.
    const byKey = await call(await userClient(hub, 'carol'));
    expect(byKey).toMatchObject({
      error: { code: -32065, message: expect.stringContaining('sign in to the hub with OAuth') },
    });
    // The authorization server refuses the caller's token.
    const refused = await call(await userClient(hub, 'mallory', 'inbound-token-mallory'));
    expect(refused).toMatchObject({
      error: { code: -32065, message: expect.stringContaining('invalid_grant') },
    });
    expect(JSON.stringify(refused)).not.toContain('inbound-token-mallory');
    // The authorization server refuses the hub: the operator's configuration is named.
    exchange = exchangeWith('wrong secret');
    const misconfigured = await call(await userClient(hub, 'alice', 'inbound-token-alice'));
    expect(misconfigured).toMatchObject({
      error: {
        code: -32066,
        message: expect.stringContaining('mcpServers.who.tokenExchange (clientId, clientSecret'),
      },
    });
    expect(upstream.seen).not.toContain('Bearer inbound-token-alice');
  });

  it('exchanges the token of the caller’s newest sign-in when a new connection opens', async () => {
    await using upstream = await whoamiUpstream().then((created) => ({
      ...created,
      [Symbol.asyncDispose]: () => created.host.close(),
    }));
    await using authorizationServer = await tokenEndpoint({
      audience: 'who',
      resource: upstream.url,
    });
    authorizationServer.inbound.set('inbound-token-alice-2', 'alice');
    let now = 5_000_000;
    const exchange = createTokenExchange({
      tokenEndpoint: authorizationServer.url,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      audience: 'who',
      resource: upstream.url,
      now: () => now,
    });
    await using hub = createHub({
      upstreams: { who: { url: upstream.url, isolation: 'per-principal' } },
      connect: createTokenExchangeConnector({
        base: connectRemoteUpstream,
        exchangeFor: () => exchange,
      }),
      // Idle callers' connections are reaped with the health check: the next call opens anew.
      healthIntervalMs: 20,
      idleConnectionMs: 1,
    });
    await hub.start();
    const whoami = (client: Client) =>
      client.callTool({ name: 'who__whoami', arguments: {} }).then(textOf);
    const first = await userClient(hub, 'alice', 'inbound-token-alice');
    expect(await whoami(first)).toBe('Bearer upstream-token-alice-1');
    // Alice signs in again; her first token is revoked and her upstream token expires.
    const second = await userClient(hub, 'alice', 'inbound-token-alice-2');
    authorizationServer.inbound.delete('inbound-token-alice');
    now += 600_000;
    await expect
      .poll(() => hub.upstreams.list()[0]?.connections, { timeout: 15_000, interval: 10 })
      .toBe(1);
    expect(await whoami(second)).toBe('Bearer upstream-token-alice-2');
    expect(authorizationServer.problems).toEqual([]);
    await first.close();
    await second.close();
  });

  it('re-exchanges on an open connection with the token of the caller’s newest sign-in', async () => {
    await using upstream = await whoamiUpstream().then((created) => ({
      ...created,
      [Symbol.asyncDispose]: () => created.host.close(),
    }));
    await using authorizationServer = await tokenEndpoint({
      audience: 'who',
      resource: upstream.url,
    });
    authorizationServer.inbound.set('inbound-token-alice-2', 'alice');
    let now = 5_000_000;
    const exchange = createTokenExchange({
      tokenEndpoint: authorizationServer.url,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      audience: 'who',
      resource: upstream.url,
      now: () => now,
    });
    await using hub = createHub({
      upstreams: { who: { url: upstream.url, isolation: 'per-principal' } },
      connect: createTokenExchangeConnector({
        base: connectRemoteUpstream,
        exchangeFor: () => exchange,
      }),
      healthIntervalMs: 0, // no reaping: alice's connection stays open
    });
    await hub.start();
    const whoami = (client: Client) =>
      client.callTool({ name: 'who__whoami', arguments: {} }).then(textOf);
    const first = await userClient(hub, 'alice', 'inbound-token-alice');
    expect(await whoami(first)).toBe('Bearer upstream-token-alice-1');
    const second = await userClient(hub, 'alice', 'inbound-token-alice-2');
    authorizationServer.inbound.delete('inbound-token-alice');
    now += 600_000;
    // Same connection (the hub's own + alice's), a new upstream token from the newest sign-in.
    expect(await whoami(second)).toBe('Bearer upstream-token-alice-2');
    expect(hub.upstreams.list()[0]?.connections).toBe(2);
    expect(authorizationServer.problems).toEqual([]);
    await first.close();
    await second.close();
  });
});
