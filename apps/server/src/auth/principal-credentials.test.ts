import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { generateSecretKey, openSecretsFile, parseSecretKey } from '@fedmcp/proxy-auth/node';
import { createMcpHttpHost } from '@fedmcp/transports/node';
import { Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load-config.js';
import { createFedmcpServer } from '../create-fedmcp-server.js';
import { subjectInSecretName } from './principal-credentials.js';
import { connectClient } from './test-fixtures.js';

/** An upstream whose `whoami` tool answers with the authorization its session was opened with. */
function whoamiHost() {
  return createMcpHttpHost({
    port: 0,
    createServer: (context) => {
      const server = new Server({ name: 'who', version: '1.0.0' }, { capabilities: { tools: {} } });
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
}

const textOf = (result: { content?: unknown }) =>
  ((result.content as Array<{ text?: string }> | undefined)?.[0]?.text ?? '') as string;

describe('per-principal upstream credentials from the config', () => {
  it("sends each caller's own secret upstream, never another's, and tells an operator how to add a missing one", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-principal-credentials-'));
    const secretKey = generateSecretKey();
    const secrets = openSecretsFile({
      path: join(directory, '.fedmcp', 'secrets.enc.json'),
      key: parseSecretKey(secretKey),
    });
    await secrets.set('tickets-token.alice', 'alice-ticket-token');
    await secrets.set(
      `tickets-token.${subjectInSecretName('bob@example.com')}`,
      'bob-ticket-token',
    );
    const keys = { alice: generateApiKey(), bob: generateApiKey(), carol: generateApiKey() };
    await using upstream = whoamiHost();
    const { url: upstreamUrl } = await upstream.listen();
    await using server = await createFedmcpServer({
      config: parseConfig(
        {
          hub: { port: 0 },
          store: 'memory:',
          auth: {
            apiKeys: [
              { hash: await hashApiKey(keys.alice), subject: 'alice' },
              { hash: await hashApiKey(keys.bob), subject: 'bob@example.com' },
              { hash: await hashApiKey(keys.carol), subject: 'carol' },
            ],
          },
          mcpServers: {
            tickets: {
              url: `${upstreamUrl}/mcp`,
              type: 'http',
              isolation: 'per-principal',
              principalCredentials: {
                // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference
                headers: { Authorization: 'Bearer ${secret:tickets-token.{subject}}' },
              },
            },
          },
        },
        'test.json',
        { env: {} },
      ),
      baseDirectory: directory,
      env: { FEDMCP_SECRET_KEY: secretKey },
    });
    const { url } = await server.listen();
    try {
      const alice = await connectClient(url, 'streamable-http', { 'x-api-key': keys.alice });
      const bob = await connectClient(url, 'streamable-http', { 'x-api-key': keys.bob });
      const carol = await connectClient(url, 'streamable-http', { 'x-api-key': keys.carol });
      const call = (client: typeof alice) =>
        client.callTool({ name: 'tickets__whoami', arguments: {} });
      const [asAlice, asBob] = await Promise.all([call(alice), call(bob)]);
      expect(textOf(asAlice)).toBe('Bearer alice-ticket-token');
      expect(textOf(asBob)).toBe('Bearer bob-ticket-token');
      expect(textOf(await call(alice))).toBe('Bearer alice-ticket-token');
      // Resolved per-caller secrets are kept out of logs like every other credential.
      expect(server.secretValues.has('alice-ticket-token')).toBe(true);
      await expect(call(carol)).rejects.toThrow(
        /No credentials for carol .*fedmcp secrets set tickets-token\.carol/,
      );
      for (const client of [alice, bob, carol]) await client.close();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 60_000);

  it('refuses principalCredentials without per-principal isolation, naming the key', () => {
    expect(() =>
      parseConfig(
        {
          mcpServers: {
            tickets: {
              url: 'http://127.0.0.1:9/mcp',
              principalCredentials: { headers: { Authorization: 'x' } },
            },
          },
        },
        'test.json',
        { env: {} },
      ),
    ).toThrow(/mcpServers\.tickets\.principalCredentials.*per-principal/s);
  });
});
