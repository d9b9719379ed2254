import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal } from '@fedmcp/proxy-auth';
import { generateApiKey, hashApiKey, readAuditEvents } from '@fedmcp/proxy-auth';
import { generateSecretKey, openSecretsFile, parseSecretKey } from '@fedmcp/proxy-auth/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FedmcpConfigInput } from '../config/config-schema.js';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer, type FedmcpServer } from '../create-fedmcp-server.js';
import {
  captureLogger,
  connectClient,
  startHeaderEchoUpstream,
  startTestIssuer,
  type TestIssuer,
  type TransportName,
} from './test-fixtures.js';

const transports: TransportName[] = ['streamable-http', 'sse', 'websocket'];

describe('createFedmcpServer with auth', () => {
  let directory: string;
  let issuer: TestIssuer;
  let upstream: Awaited<ReturnType<typeof startHeaderEchoUpstream>>;
  let envUpstream: Awaited<ReturnType<typeof startHeaderEchoUpstream>>;
  let server: FedmcpServer;
  let baseUrl: string;
  let resource: string;
  let logs: ReturnType<typeof captureLogger>;
  const apiKey = generateApiKey();
  const secretKey = generateSecretKey();
  const upstreamToken = 'upstream-token-Zq81vK3mP0';
  const otherSecret = 'another-file-secret-4Jw7Hs';
  const envToken = 'env-upstream-token-Rt5xW2qL9';
  /** Every client token signed in this file: none may reach a log line. */
  const clientTokens: string[] = [];
  const principals: unknown[] = [];

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'fedmcp-auth-'));
    issuer = await startTestIssuer();
    upstream = await startHeaderEchoUpstream({
      requiredAuthorization: `Bearer ${upstreamToken}`,
    });
    envUpstream = await startHeaderEchoUpstream({ requiredAuthorization: `Bearer ${envToken}` });
    const secrets = openSecretsFile({
      path: join(directory, '.fedmcp', 'secrets.enc.json'),
      key: parseSecretKey(secretKey),
    });
    await secrets.set('UPSTREAM_TOKEN', upstreamToken);
    await secrets.set('UNUSED_BUT_SECRET', otherSecret);
    const input: FedmcpConfigInput = {
      hub: { host: '127.0.0.1', port: 0, name: 'auth-hub' },
      store: 'memory:',
      // Results recorded: the echo tools return the upstream credentials, which the audit's
      // redaction of configured secret values must scrub before any log line or stream entry.
      audit: { recordArguments: true, recordResults: true },
      auth: {
        oauth: { issuer: issuer.issuer, jwksUri: issuer.jwksUri, scopesSupported: ['mcp'] },
        apiKeys: [{ hash: await hashApiKey(apiKey), subject: 'ci-bot', groups: ['automation'] }],
      },
      mcpServers: {
        echo: {
          url: upstream.url,
          type: 'http',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
          headers: { Authorization: 'Bearer ${secret:UPSTREAM_TOKEN}' },
        },
        envecho: {
          url: envUpstream.url,
          type: 'http',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
          headers: { Authorization: 'Bearer ${UPSTREAM_ENV_TOKEN}' },
        },
      },
    };
    logs = captureLogger();
    server = await createFedmcpServer({
      config: parseConfig(input, 'test.json', { env: { UPSTREAM_ENV_TOKEN: envToken } }),
      baseDirectory: directory,
      env: { FEDMCP_SECRET_KEY: secretKey },
      logger: logs.logger,
    });
    const createServer = server.hub.createServer.bind(server.hub);
    server.hub.createServer = (context) => {
      principals.push(context?.principal);
      return createServer(context);
    };
    ({ url: baseUrl } = await server.listen());
    resource = server.authentication?.resource ?? '';
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await upstream?.host.close();
    await envUpstream?.host.close();
    await issuer?.[Symbol.asyncDispose]();
    await rm(directory, { recursive: true, force: true });
  });

  it('defaults the resource URI to the MCP endpoint it listens on', () => {
    expect(resource).toBe(`${baseUrl}/mcp`);
  });

  for (const transport of transports) {
    it(`serves a valid token over ${transport} and hands the principal to the hub`, async () => {
      const token = await issuer.sign({ sub: 'alice', aud: resource, groups: ['dev'] });
      clientTokens.push(token);
      const client = await connectClient(baseUrl, transport, { authorization: `Bearer ${token}` });
      try {
        const { tools } = await client.listTools();
        expect(tools.map((tool) => tool.name)).toContain('echo__headers');
        const principal = principals.at(-1) as Principal;
        expect(principal).toMatchObject({
          subject: 'alice',
          issuer: issuer.issuer,
          groups: ['dev'],
          authMethod: 'oauth',
        });
        // No token passthrough: the upstream sees the hub's own credential, never the client's.
        const result = await client.callTool({ name: 'echo__headers', arguments: {} });
        const text = (result.content as Array<{ text: string }>)[0]?.text ?? '';
        const headers = JSON.parse(text) as Record<string, string>;
        expect(headers.authorization).toBe(`Bearer ${upstreamToken}`);
        expect(text).not.toContain(token);
        // Each upstream gets its own credential (from ${ENV} here), never another's.
        const other = await client.callTool({ name: 'envecho__headers', arguments: {} });
        const otherText = (other.content as Array<{ text: string }>)[0]?.text ?? '';
        expect(JSON.parse(otherText).authorization).toBe(`Bearer ${envToken}`);
        expect(otherText).not.toContain(upstreamToken);
        expect(text).not.toContain(envToken);
      } finally {
        await client.close();
      }
    }, 30_000);
  }

  it('serves an API key (Authorization: Bearer and X-API-Key) and never forwards it', async () => {
    const variants: Array<Record<string, string>> = [
      { authorization: `Bearer ${apiKey}` },
      { 'x-api-key': apiKey },
    ];
    for (const headers of variants) {
      const client = await connectClient(baseUrl, 'streamable-http', headers);
      try {
        expect(principals.at(-1)).toMatchObject({ subject: 'ci-bot', authMethod: 'api-key' });
        const result = await client.callTool({ name: 'echo__headers', arguments: {} });
        const text = (result.content as Array<{ text: string }>)[0]?.text ?? '';
        expect(text).not.toContain(apiKey);
        expect(upstream.seenAuthorization.every((value) => !value.includes(apiKey))).toBe(true);
      } finally {
        await client.close();
      }
    }
  }, 30_000);

  it('refuses missing, expired, wrong-audience and foreign tokens with 401 and a challenge', async () => {
    const metadataUrl = `${baseUrl}/.well-known/oauth-protected-resource/mcp`;
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['missing', {}, /^Bearer resource_metadata="[^"]+"/],
      [
        'expired',
        {
          authorization: `Bearer ${await issuer.sign({ sub: 'a', aud: resource, exp: now - 600 })}`,
        },
        /error="invalid_token"/,
      ],
      [
        'wrong audience',
        {
          authorization: `Bearer ${await issuer.sign({ sub: 'a', aud: 'https://other.example/mcp' })}`,
        },
        /error="invalid_token"/,
      ],
      ['unknown API key', { 'x-api-key': generateApiKey() }, /error="invalid_token"/],
      ['garbage', { authorization: 'Bearer not.a.jwt' }, /error="invalid_token"/],
    ];
    for (const [name, headers, challenge] of cases) {
      for (const path of ['/mcp', '/sse']) {
        const response = await fetch(`${baseUrl}${path}`, {
          method: path === '/mcp' ? 'POST' : 'GET',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            ...headers,
          },
          body: path === '/mcp' ? '{"jsonrpc":"2.0","id":1,"method":"ping"}' : null,
        });
        expect(response.status, `${name} on ${path}`).toBe(401);
        const header = response.headers.get('www-authenticate') ?? '';
        expect(header, name).toMatch(challenge);
        expect(header, name).toContain(`resource_metadata="${metadataUrl}"`);
        await response.body?.cancel();
      }
    }
  }, 30_000);

  it('refuses a WebSocket upgrade without credentials', async () => {
    await expect(connectClient(baseUrl, 'websocket', {})).rejects.toThrow();
  });

  it('serves the Protected Resource Metadata at both well-known paths', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
    ]) {
      const response = await fetch(`${baseUrl}${path}`);
      expect(response.status).toBe(200);
      // RFC 9728 §2: resource and authorization_servers; bearer_methods_supported header only.
      expect(await response.json()).toEqual({
        resource,
        authorization_servers: [issuer.issuer],
        scopes_supported: ['mcp'],
        bearer_methods_supported: ['header'],
        resource_name: 'auth-hub',
      });
    }
  });

  it('records authentication results in the store audit stream: every failure, each principal’s success once a minute', async () => {
    const events = (await readAuditEvents(server.store.streams)).map(({ event }) => event);
    const auth = events.filter((event) => event.type === 'auth');
    expect(
      auth.some((event) => event.outcome === 'success' && event.principal?.subject === 'alice'),
    ).toBe(true);
    // ci-bot made several authenticated requests above: its success is recorded once.
    expect(
      auth.filter((event) => event.outcome === 'success' && event.principal?.subject === 'ci-bot'),
    ).toHaveLength(1);
    const failures = auth.filter((event) => event.outcome === 'failure');
    expect(failures.length).toBeGreaterThanOrEqual(10);
    expect(failures.some((event) => /expired/.test(event.reason ?? ''))).toBe(true);
    expect(JSON.stringify(events)).not.toContain(apiKey);
  });

  it('keeps every secret value out of all log output', async () => {
    const output = logs.output();
    expect(output).toContain('audit auth success');
    expect(output).toContain('"msg":"upstream');
    expect(output).toContain('"upstream":"envecho"');
    // The recorded results held both upstream credentials: they were scrubbed, not absent.
    expect(output).toMatch(/"target":"envecho__headers".*Bearer \[REDACTED\]/);
    expect(output).toMatch(/"target":"echo__headers".*Bearer \[REDACTED\]/);
    expect(clientTokens).toHaveLength(transports.length);
    for (const secret of [
      apiKey,
      upstreamToken,
      otherSecret,
      secretKey,
      envToken,
      ...clientTokens,
    ]) {
      expect(output).not.toContain(secret);
    }
    // Nor a recognisable part of one (a token's signature, a key's random part).
    for (const token of clientTokens) expect(output).not.toContain(token.split('.')[2]);
    expect(output).not.toContain(apiKey.slice(-20));
  });
});
