/**
 * `mcpServers.<name>.tokenExchange` (RFC 8693, issue #19) through `fedmcp serve`'s composition:
 * callers signed in with OAuth access tokens (a local issuer's JWTs) reach a per-principal
 * upstream with the token a real HTTP token endpoint issued for it in exchange for theirs; the
 * callers' tokens go to that endpoint only (not upstream, not into the logs).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Server } from '@modelcontextprotocol/server';
import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  captureLogger,
  closeHttpServer,
  connectClient,
  startTestIssuer,
} from '../auth/test-fixtures.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';
import { parseConfig } from './load-config.js';

const textOf = (result: { content?: unknown }) =>
  ((result.content as Array<{ text?: string }> | undefined)?.[0]?.text ?? '') as string;

/** A token endpoint exchanging the issuer's JWTs (trusted by subject here) for numbered tokens. */
async function tokenEndpoint(expected: { audience: string; resource: string }) {
  const problems: string[] = [];
  let issued = 0;
  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const form = new URLSearchParams(body);
    const basic = Buffer.from(
      (request.headers.authorization ?? '').replace(/^Basic /, ''),
      'base64',
    ).toString();
    const checks: Array<[boolean, string]> = [
      [basic === 'fedmcp-hub:hub-secret', 'client authentication'],
      [form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:token-exchange', 'grant_type'],
      [
        form.get('subject_token_type') === 'urn:ietf:params:oauth:token-type:access_token',
        'subject_token_type',
      ],
      [form.get('audience') === expected.audience, 'audience'],
      [form.get('resource') === expected.resource, 'resource'],
    ];
    const failed = checks.find(([ok]) => !ok);
    let subject: string | undefined;
    try {
      subject = decodeJwt(form.get('subject_token') ?? '').sub;
    } catch {
      subject = undefined;
    }
    if (failed || !subject) {
      problems.push(failed?.[1] ?? 'subject_token');
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: 'invalid_request' }));
      return;
    }
    issued += 1;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({
        access_token: `tickets-token-${subject}-${issued}`,
        issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        token_type: 'Bearer',
        expires_in: 300,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/token`,
    problems,
    [Symbol.asyncDispose]: () => closeHttpServer(server),
  };
}

describe('mcpServers.<name>.tokenExchange', () => {
  it('sends each OAuth caller’s exchanged token upstream, never the caller’s own', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-token-exchange-'));
    await using issuer = await startTestIssuer();
    const seen: string[] = [];
    await using upstream = createMcpHttpHost({
      port: 0,
      onRequest: (request) => {
        seen.push(String(request.headers.authorization ?? 'none'));
        return false;
      },
      createServer: (context) => {
        const server = new Server(
          { name: 'who', version: '1.0.0' },
          { capabilities: { tools: {} } },
        );
        const authorization = context.headers?.get('authorization') ?? 'none';
        server.setRequestHandler('tools/list', () => ({
          tools: [{ name: 'whoami', inputSchema: { type: 'object' as const } }],
        }));
        server.setRequestHandler('tools/call', () => ({
          content: [{ type: 'text' as const, text: authorization }],
        }));
        return server;
      },
    });
    const upstreamUrl = `${(await upstream.listen()).url}/mcp`;
    await using authorizationServer = await tokenEndpoint({
      audience: 'tickets',
      resource: upstreamUrl,
    });
    const logs = captureLogger();
    await using server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: { host: '127.0.0.1', port: 0 },
          store: 'memory:',
          auth: { oauth: { issuer: issuer.issuer, jwksUri: issuer.jwksUri } },
          mcpServers: {
            tickets: {
              url: upstreamUrl,
              type: 'http',
              isolation: 'per-principal',
              tokenExchange: {
                tokenEndpoint: authorizationServer.url,
                clientId: 'fedmcp-hub',
                clientSecret: '${HUB_SECRET}',
                audience: 'tickets',
              },
            },
          },
        },
        'test.json',
        { env: { HUB_SECRET: 'hub-secret' } },
      ),
      baseDirectory: directory,
      env: {},
      logger: logs.logger,
    });
    const { url } = await server.listen();
    const resource = server.authentication?.resource ?? '';
    try {
      const tokens = {
        alice: await issuer.sign({ sub: 'alice', aud: resource }),
        bob: await issuer.sign({ sub: 'bob', aud: resource }),
      };
      const alice = await connectClient(url, 'streamable-http', {
        authorization: `Bearer ${tokens.alice}`,
      });
      const bob = await connectClient(url, 'streamable-http', {
        authorization: `Bearer ${tokens.bob}`,
      });
      const call = (client: typeof alice) =>
        client.callTool({ name: 'tickets__whoami', arguments: {} });
      const [asAlice, asBob] = await Promise.all([call(alice), call(bob)]);
      expect(textOf(asAlice)).toMatch(/^Bearer tickets-token-alice-\d$/);
      expect(textOf(asBob)).toMatch(/^Bearer tickets-token-bob-\d$/);
      expect(authorizationServer.problems).toEqual([]);
      expect(seen.some((value) => value.includes(tokens.alice) || value.includes(tokens.bob))).toBe(
        false,
      );
      expect(logs.output()).not.toContain(tokens.alice);
      // The hub's client secret is kept out of logs like every other credential.
      expect(server.secretValues.has('hub-secret')).toBe(true);
      expect(logs.output()).not.toContain('tickets-token-');
      await alice.close();
      await bob.close();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses tokenExchange without per-principal isolation, and beside oauth, naming the key', () => {
    const entry = {
      url: 'http://127.0.0.1:9/mcp',
      tokenExchange: { tokenEndpoint: 'https://as.example/token', clientId: 'hub' },
    };
    expect(() => parseConfig({ mcpServers: { tickets: entry } }, 'test.json', { env: {} })).toThrow(
      /mcpServers\.tickets\.tokenExchange.*per-principal/s,
    );
    expect(() =>
      parseConfig(
        {
          mcpServers: {
            tickets: {
              ...entry,
              isolation: 'per-principal',
              tokenExchange: { ...entry.tokenExchange, tokenEndpoint: 'http://as.example/token' },
            },
          },
        },
        'test.json',
        { env: {} },
      ),
    ).toThrow(/mcpServers\.tickets\.tokenExchange\.tokenEndpoint.*https/s);
  });
});
