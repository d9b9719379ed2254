/**
 * Issue 21, per-user OAuth to an upstream that answers nothing without a token (as most hosted
 * MCP servers): the hub cannot list its catalog until an operator runs `fedmcp auth login` (the
 * real CLI process, against `oidc-provider`, redirect on a loopback port). That token lists the
 * catalog and nothing else: a user's call still gets the user's own URL elicitation and, after the
 * sign-in, runs with the user's token — never the operator's.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createFedmcpServer, parseConfig } from '@fedmcp/server';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import {
  signIn,
  startAuthorizationServer,
  startProtectedUpstream,
} from './fixtures/oauth-upstream.js';
import { repositoryRoot } from './fixtures/upstreams.js';

const tsx = pathToFileURL(join(repositoryRoot, 'node_modules/tsx/dist/esm/index.mjs')).href;
const bin = join(repositoryRoot, 'apps/cli/src/bin.ts');
const key = `fmk_${randomBytes(32).toString('base64url')}`;
const hash = `sha256:${createHash('sha256').update(key).digest('base64url')}`;
const bobKey = { key: `fmk_${randomBytes(32).toString('base64url')}` };
const bobHash = `sha256:${createHash('sha256').update(bobKey.key).digest('base64url')}`;

/** `fedmcp auth login docs`, with the operator's browser played by `signIn`. */
function operatorLogin(configFile: string, cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@fedmcp/source',
        '--import',
        tsx,
        bin,
        'auth',
        'login',
        'docs',
        '--no-browser',
        '--config',
        configFile,
      ],
      { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    let browsing: Promise<unknown> | undefined;
    const onData = (chunk: Buffer) => {
      output += chunk;
      const printed = /Open this URL to authorize fedmcp at "docs":\n {2}(\S+)\n/.exec(output)?.[1];
      if (printed && !browsing) {
        const redirect = new URL(printed).searchParams.get('redirect_uri') ?? '';
        browsing = signIn(printed, 'operator', redirect).catch(reject);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', async (code) => {
      await browsing;
      if (code === 0) resolve(output);
      else reject(new Error(`fedmcp auth login exited with ${code}:\n${output}`));
    });
  });
}

describe('per-user OAuth to an upstream that lists nothing without a token', () => {
  it("lists the catalog with the operator's login, and calls with each user's own token", async () => {
    await using authorizationServer = await startAuthorizationServer();
    await using upstream = await startProtectedUpstream(authorizationServer.issuer, {
      publicCatalog: false,
    });
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-oauth-catalog-'));
    try {
      const raw = {
        hub: { host: '127.0.0.1', port: 0 },
        runtime: false,
        auth: {
          apiKeys: [
            { hash, subject: 'alice' },
            { hash: bobHash, subject: 'bob' },
          ],
        },
        mcpServers: {
          docs: { url: upstream.url, isolation: 'per-principal', oauth: { mode: 'user' } },
        },
      };
      const configFile = join(directory, 'fedmcp.config.json');
      await writeFile(configFile, JSON.stringify(raw));
      const printed = await operatorLogin(configFile, directory);
      expect(printed).toContain(
        'Authorized: the hub now lists the catalog of "docs" with its own token',
      );

      const config = parseConfig(raw, configFile, { env: {}, baseDirectory: directory });
      await using server = await createFedmcpServer({ config, baseDirectory: directory });
      const { url } = await server.listen();
      const client = new Client({ name: 'catalog-test', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
          requestInit: { headers: { 'x-api-key': key } },
        }),
      );
      try {
        expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('docs__whoami');
        const whoami = () =>
          client
            .callTool({ name: 'docs__whoami', arguments: {} })
            .then((result) => (result.content as { text: string }[])[0]?.text);
        // Not the operator's token: Alice is asked to sign in herself.
        const refused = (await whoami().then(
          () => undefined,
          (error: unknown) => error,
        )) as { code?: number; data?: { elicitations?: { url: string }[] } } | undefined;
        expect(refused?.code).toBe(-32042);
        const signedIn = await signIn(
          refused?.data?.elicitations?.[0]?.url ?? '',
          'alice',
          `${url}/oauth/callback`,
        );
        expect(signedIn.status).toBe(200);
        expect(await whoami()).toBe('subject=alice');
        expect(upstream.calls).toEqual(['alice']);

        // A 2026-07-28 client (Bob) gets the same URL elicitation error, and his own sign-in.
        const modern = new Client(
          { name: 'catalog-test-2026', version: '1.0.0' },
          { versionNegotiation: { mode: 'auto' } },
        );
        await modern.connect(
          new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
            requestInit: { headers: { 'x-api-key': bobKey.key } },
          }),
        );
        try {
          expect(modern.getProtocolEra()).toBe('modern');
          const bobWhoami = () =>
            modern
              .callTool({ name: 'docs__whoami', arguments: {} })
              .then((result) => (result.content as { text: string }[])[0]?.text);
          const bobRefused = (await bobWhoami().then(
            () => undefined,
            (error: unknown) => error,
          )) as { code?: number; data?: { elicitations?: { url: string }[] } } | undefined;
          expect(bobRefused?.code).toBe(-32042);
          const bobSignedIn = await signIn(
            bobRefused?.data?.elicitations?.[0]?.url ?? '',
            'bob',
            `${url}/oauth/callback`,
          );
          expect(bobSignedIn.status).toBe(200);
          expect(await bobWhoami()).toBe('subject=bob');
          expect(upstream.calls).toEqual(['alice', 'bob']);
        } finally {
          await modern.close();
        }
      } finally {
        await client.close();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  }, 120_000);
});
