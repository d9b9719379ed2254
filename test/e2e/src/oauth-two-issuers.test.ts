/**
 * Issue 21, per-user upstream tokens keyed by (issuer, subject) through the real `fedmcp serve`:
 * the hub trusts two token issuers (two `oidc-provider` instances; opaque access tokens checked
 * by introspection), and both issue a token for the same `sub` ("alice"). Each of the two callers
 * gets its own URL elicitation for the per-user upstream, signs in as a different upstream user,
 * and each call runs with that caller's own upstream token — never the other issuer's.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import {
  signIn,
  startAuthorizationServer,
  startProtectedUpstream,
} from './fixtures/oauth-upstream.js';
import { HUB_CLIENT, startOidcIssuer } from './fixtures/oidc-issuer.js';
import { repositoryRoot } from './fixtures/upstreams.js';

const tsx = pathToFileURL(join(repositoryRoot, 'node_modules/tsx/dist/esm/index.mjs')).href;
const bin = join(repositoryRoot, 'apps/cli/src/bin.ts');

/** `fedmcp serve`, until it says where it serves; `env` is added to the process's. */
async function serve(configFile: string, cwd: string, env: Record<string, string>) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@fedmcp/source', '--import', tsx, bin, 'serve', '--config', configFile],
    {
      cwd,
      env: { ...process.env, ...env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /serving at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match?.[1]) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', () => reject(new Error(`fedmcp serve exited:\n${output}`)));
  });
  return {
    url,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function connectWith(mcpUrl: string, token: string): Promise<Client> {
  const client = new Client({ name: 'two-issuers-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

const whoami = (client: Client) =>
  client
    .callTool({ name: 'docs__whoami', arguments: {} })
    .then((result) => (result as { content: { text: string }[] }).content[0]?.text);

/** The sign-in URL a call is refused with (-32042 URL elicitation, MCP 2025-11-25). */
async function signInUrlOf(call: Promise<unknown>): Promise<string> {
  const error = (await call.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { code?: number; data?: { elicitations?: { url?: string }[] } } | undefined;
  expect(error?.code).toBe(-32042);
  return error?.data?.elicitations?.[0]?.url ?? '';
}

describe('per-user upstream tokens with two trusted issuers', () => {
  it('keeps the same sub of two issuers apart: each signs in and calls with its own token', async () => {
    await using authorizationServer = await startAuthorizationServer();
    await using upstream = await startProtectedUpstream(authorizationServer.issuer);
    await using issuerA = await startOidcIssuer([]);
    await using issuerB = await startOidcIssuer([]);
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-two-issuers-'));
    try {
      const introspection = {
        clientId: HUB_CLIENT.id,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a config file's ${ENV} reference
        clientSecret: '${HUB_INTROSPECTION_SECRET}',
      };
      const configFile = join(directory, 'fedmcp.config.json');
      await writeFile(
        configFile,
        JSON.stringify({
          hub: { host: '127.0.0.1', port: 0 },
          runtime: false,
          auth: {
            oauth: [
              { issuer: issuerA.issuer, introspection },
              { issuer: issuerB.issuer, introspection },
            ],
          },
          mcpServers: {
            docs: { url: upstream.url, isolation: 'per-principal', oauth: { mode: 'user' } },
          },
        }),
      );
      await using hub = await serve(configFile, directory, {
        HUB_INTROSPECTION_SECRET: HUB_CLIENT.secret,
      });
      const mcpUrl = `${hub.url}/mcp`;
      const callback = `${hub.url}/oauth/callback`;
      // The same subject at both issuers.
      const ofA = await connectWith(mcpUrl, await issuerA.mintOpaqueToken('alice', mcpUrl));
      const ofB = await connectWith(mcpUrl, await issuerB.mintOpaqueToken('alice', mcpUrl));
      try {
        const urlA = await signInUrlOf(whoami(ofA));
        expect((await signIn(urlA, 'alice-of-a', callback)).status).toBe(200);
        expect(await whoami(ofA)).toBe('subject=alice-of-a');

        // Issuer B's alice is another principal: asked to sign in, never given A's token.
        const urlB = await signInUrlOf(whoami(ofB));
        expect(new URL(urlB).searchParams.get('state')).not.toBe(
          new URL(urlA).searchParams.get('state'),
        );
        expect((await signIn(urlB, 'alice-of-b', callback)).status).toBe(200);
        expect(await whoami(ofB)).toBe('subject=alice-of-b');
        expect(await whoami(ofA)).toBe('subject=alice-of-a');
        expect(upstream.calls).toEqual(['alice-of-a', 'alice-of-b', 'alice-of-a']);
      } finally {
        await ofA.close();
        await ofB.close();
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
