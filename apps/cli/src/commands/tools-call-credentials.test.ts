import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { createFedmcpServer, type FedmcpServer, parseConfig } from '@fedmcp/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { runCli } from '../run-cli.js';
import { CliUsageError, credentialHeaders } from './connect-target.js';

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const everything = join(
  repositoryRoot,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);

describe('credentialHeaders', () => {
  it('turns --header "Name: value" (repeatable) and --token into request headers', () => {
    expect(
      credentialHeaders({
        header: ['X-API-Key: k1', 'X-Trace:  a ', 'x-trace: b'],
        token: 'tok',
      }),
    ).toEqual({ 'x-api-key': 'k1', 'x-trace': 'a, b', authorization: 'Bearer tok' });
    expect(credentialHeaders({})).toEqual({});
  });

  it('refuses malformed or reserved headers and a second Authorization, never echoing a value', () => {
    const refused = (options: Parameters<typeof credentialHeaders>[0]) => {
      try {
        credentialHeaders(options);
      } catch (error) {
        expect(error).toBeInstanceOf(CliUsageError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused({ header: ['no-colon-s3cret'] })).toMatch(/"Name: value"/);
    expect(refused({ header: ['Bad Name: s3cret'] })).not.toContain('s3cret');
    expect(refused({ header: ['X-Empty:'] })).toMatch(/named "x-empty"/);
    expect(refused({ header: ['Content-Type: text/s3cret'] })).toMatch(/cannot set "content-type"/);
    expect(refused({ header: ['Authorization: Basic s3cret'], token: 's3cret' })).toMatch(
      /either --token or --header/,
    );
    expect(refused({ token: 'two words' })).toMatch(/without spaces/);
    expect(refused({ token: '' })).toMatch(/non-empty/);
  });
});

describe('fedmcp tools list / call --url with credentials', () => {
  const apiKey = generateApiKey();
  let server: FedmcpServer;
  let url: string;

  beforeAll(async () => {
    server = await createFedmcpServer({
      config: parseConfig(
        {
          store: 'memory:',
          hub: { host: '127.0.0.1', port: 0 },
          auth: { apiKeys: [{ hash: await hashApiKey(apiKey), subject: 'cli-user' }] },
          mcpServers: { ev: { command: process.execPath, args: [everything, 'stdio'] } },
        },
        'inline',
        { env: {} },
      ),
    });
    url = `${(await server.listen()).url}/mcp`;
  }, 30_000);
  afterAll(async () => {
    await server?.close();
  });

  it('is refused by an authenticated hub without credentials', async () => {
    const { out, io } = captureIo();
    expect(await runCli(['tools', 'list', '--url', url], io)).toBe(1);
    expect(out.stderr).toMatch(/401|nauthori[sz]ed|authenticat/i);
  }, 30_000);

  it('lists and calls with --token (Bearer) or --header, never printing the credential', async () => {
    const byToken = captureIo();
    expect(
      await runCli(['tools', 'list', '--json', '--url', url, '--token', apiKey], byToken.io),
    ).toBe(0);
    expect(JSON.parse(byToken.out.stdout).map((tool: { name: string }) => tool.name)).toContain(
      'ev__echo',
    );
    const byHeader = captureIo();
    expect(
      await runCli(
        ['tools', 'list', '--url', url, '--header', `X-API-Key: ${apiKey}`],
        byHeader.io,
      ),
    ).toBe(0);
    expect(byHeader.out.stdout).toMatch(/^ev__echo\s/m);
    const called = captureIo();
    expect(
      await runCli(
        ['call', 'ev__echo', '--args', '{"message":"with a key"}', '--url', url, '--token', apiKey],
        called.io,
      ),
    ).toBe(0);
    expect(called.out.stdout).toContain('Echo: with a key');
    for (const { out } of [byToken, byHeader, called]) {
      expect(out.stdout + out.stderr).not.toContain(apiKey);
    }
  }, 30_000);

  it('reports a refused credential without printing it', async () => {
    const wrong = generateApiKey();
    for (const argv of [
      ['tools', 'list', '--url', url, '--token', wrong],
      ['call', 'ev__echo', '--url', url, '-H', `X-API-Key: ${wrong}`],
    ]) {
      const { out, io } = captureIo();
      expect(await runCli(argv, io)).toBe(1);
      expect(out.stderr).not.toBe('');
      expect(out.stdout + out.stderr).not.toContain(wrong);
    }
  }, 30_000);

  it('explains credentials given with --offline or malformed, with exit 2', async () => {
    const withConfig = captureIo();
    expect(
      await runCli(
        ['tools', 'list', '--offline', '--config', 'missing.json', '--token', 'abcd'],
        withConfig.io,
      ),
    ).toBe(2);
    expect(withConfig.out.stderr).toContain('an --offline hub runs in this process');
    const malformed = captureIo();
    expect(await runCli(['call', 'ev__echo', '--url', url, '--header', 'oops'], malformed.io)).toBe(
      2,
    );
    expect(malformed.out.stderr).toContain('fedmcp call: --header must look like "Name: value"');
  });
});
