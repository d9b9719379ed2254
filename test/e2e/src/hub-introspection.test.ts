/**
 * Opaque access tokens through the hub (issue 21): `auth.oauth.introspection` against a real
 * authorization server (oidc-provider on loopback). An SDK client with an opaque token lists and
 * calls tools; an unknown token and one for another audience get 401 with the reason; the hub's
 * client secret and the tokens never reach a log line.
 */
import type { Logger } from '@fedmcp/protocol';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { HUB_CLIENT, startOidcIssuer } from './fixtures/oidc-issuer.js';
import { everythingStdioEntry } from './fixtures/upstreams.js';

/** A logger that keeps every line as text, to grep. */
function recordingLogger(lines: string[]): Logger {
  const write =
    (level: string) =>
    (fields: unknown, message?: string): void => {
      lines.push(`${level} ${message ?? ''} ${JSON.stringify(fields)}`);
    };
  const logger: Logger = {
    child: () => logger,
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  } as Logger;
  return logger;
}

async function challengeOf(mcpUrl: string, token: string): Promise<[number, string]> {
  const response = await fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
  });
  await response.body?.cancel();
  return [response.status, response.headers.get('www-authenticate') ?? ''];
}

describe('opaque access tokens through the hub', () => {
  it('serves a client with an introspected token and refuses inactive ones with the reason', async () => {
    await using authorizationServer = await startOidcIssuer([]);
    const lines: string[] = [];
    const config = parseConfig(
      {
        hub: { host: '127.0.0.1', port: 0 },
        store: 'memory:',
        auth: {
          oauth: {
            issuer: authorizationServer.issuer,
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a config file's ${ENV} reference
            introspection: { clientId: HUB_CLIENT.id, clientSecret: '${HUB_INTROSPECTION_SECRET}' },
          },
        },
        mcpServers: { everything: everythingStdioEntry() },
      },
      'introspection.config.json',
      { env: { HUB_INTROSPECTION_SECRET: HUB_CLIENT.secret } },
    );
    await using hub = await createFedmcpServer({ config, logger: recordingLogger(lines) });
    const mcpUrl = `${(await hub.listen()).url}/mcp`;

    const token = await authorizationServer.mintOpaqueToken('alice', mcpUrl);
    const client = new Client({ name: 'opaque-token-client', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(mcpUrl), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('everything__echo');
    const result = await client.callTool({
      name: 'everything__echo',
      arguments: { message: 'hi' },
    });
    expect(result.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
    await client.close();

    const [unknownStatus, unknownChallenge] = await challengeOf(mcpUrl, 'unknown-opaque-token');
    expect(unknownStatus).toBe(401);
    expect(unknownChallenge).toContain('error="invalid_token"');
    expect(unknownChallenge).toContain('error_description="the token is not active"');
    const elsewhere = await authorizationServer.mintOpaqueToken('bob', 'https://other.example/api');
    const [otherStatus, otherChallenge] = await challengeOf(mcpUrl, elsewhere);
    expect(otherStatus).toBe(401);
    expect(otherChallenge).toContain('the token is meant for another audience');

    const log = lines.join('\n');
    expect(log).not.toContain(HUB_CLIENT.secret);
    expect(log).not.toContain(token);
    expect(log).not.toContain(elsewhere);
  });
});
