/**
 * Issue 21, per-user upstream OAuth through the real `fedmcp serve` process: an upstream with
 * `"oauth": { "mode": "user" }` behind the hub, protected by a real authorization server
 * (`oidc-provider`). Two users (API keys) each get a URL elicitation (-32042) on their first call,
 * sign in at the authorization server, land on the hub's `/oauth/callback`, and their retry
 * succeeds with their own token — never the other's. A logout (`fedmcp auth logout --subject`)
 * brings the elicitation back. The hub runs with debug logging: no access or refresh token,
 * authorization code or PKCE verifier appears in its stdout or stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
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
import { repositoryRoot } from './fixtures/upstreams.js';

const tsx = pathToFileURL(join(repositoryRoot, 'node_modules/tsx/dist/esm/index.mjs')).href;
const bin = join(repositoryRoot, 'apps/cli/src/bin.ts');

/** An API key and its config entry (`sha256:<base64url>`, as `fedmcp auth new-key` prints). */
function apiKey(subject: string) {
  const key = `fmk_${randomBytes(32).toString('base64url')}`;
  const hash = `sha256:${createHash('sha256').update(key).digest('base64url')}`;
  return { key, entry: { hash, subject } };
}

/** Runs the fedmcp CLI to completion. */
function runFedmcp(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@fedmcp/source', '--import', tsx, bin, ...args],
      { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

interface ServingHub extends AsyncDisposable {
  url: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
}

/** `fedmcp serve --log-level debug`, until it says where it serves. */
async function serve(configFile: string, cwd: string): Promise<ServingHub> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--conditions=@fedmcp/source',
      '--import',
      tsx,
      bin,
      'serve',
      '--log-level',
      'debug',
      '--config',
      configFile,
    ],
    { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
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
    output: () => output,
    async [Symbol.asyncDispose]() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function connectAs(hubUrl: string, key: string): Promise<Client> {
  const client = new Client({ name: 'per-user-oauth-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${hubUrl}/mcp`), {
      requestInit: { headers: { 'x-api-key': key } },
    }),
  );
  return client;
}

const textOf = (result: unknown) =>
  ((result as { content: { text: string }[] }).content[0] as { text: string }).text;

/** The URL elicitation a call is refused with (-32042, MCP 2025-11-25). */
async function elicitationOf(call: Promise<unknown>) {
  const error = (await call.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as { code?: number; message?: string; data?: unknown } | undefined;
  expect(error, 'the call should have been refused with a URL elicitation').toBeDefined();
  expect(error?.code).toBe(-32042);
  const data = error?.data as {
    elicitations: { mode: string; elicitationId: string; url: string; message: string }[];
  };
  expect(data.elicitations).toHaveLength(1);
  const [elicitation] = data.elicitations;
  expect(elicitation).toMatchObject({ mode: 'url', elicitationId: expect.any(String) });
  return new URL(elicitation?.url ?? '');
}

describe('per-user upstream OAuth through fedmcp serve', () => {
  it("asks each user to sign in, calls with that user's own token, and asks again after a logout; no secret in the logs", async () => {
    await using authorizationServer = await startAuthorizationServer();
    await using upstream = await startProtectedUpstream(authorizationServer.issuer);
    const directory = await mkdtemp(join(tmpdir(), 'fedmcp-per-user-oauth-'));
    try {
      const alice = apiKey('alice');
      const bob = apiKey('bob');
      const configFile = join(directory, 'fedmcp.config.json');
      await writeFile(
        configFile,
        JSON.stringify({
          hub: { host: '127.0.0.1', port: 0 },
          runtime: false,
          auth: { apiKeys: [alice.entry, bob.entry] },
          mcpServers: {
            docs: { url: upstream.url, isolation: 'per-principal', oauth: { mode: 'user' } },
          },
        }),
      );
      const secrets: string[] = [];
      let aliceChallenge: string | null = null;
      let bobChallenge: string | null = null;
      {
        await using hub = await serve(configFile, directory);
        const callback = `${hub.url}/oauth/callback`;
        const aliceClient = await connectAs(hub.url, alice.key);
        const bobClient = await connectAs(hub.url, bob.key);
        try {
          // The catalog is listed without a user's token (the upstream lists it to anyone).
          const { tools } = await aliceClient.listTools();
          expect(tools.map((tool) => tool.name)).toContain('docs__whoami');
          const whoami = (client: Client) =>
            client.callTool({ name: 'docs__whoami', arguments: {} }).then(textOf);

          // Alice's first call: a URL elicitation to the authorization server, PKCE S256, the
          // upstream as the resource, the hub's callback as the redirect.
          const aliceUrl = await elicitationOf(whoami(aliceClient));
          expect(aliceUrl.origin).toBe(authorizationServer.issuer);
          expect(aliceUrl.searchParams.get('code_challenge_method')).toBe('S256');
          aliceChallenge = aliceUrl.searchParams.get('code_challenge');
          expect(aliceUrl.searchParams.get('resource')).toBe(upstream.url);
          expect(aliceUrl.searchParams.get('redirect_uri')).toBe(callback);
          const aliceSignIn = await signIn(aliceUrl.href, 'alice', callback);
          expect(aliceSignIn.status).toBe(200);
          expect(aliceSignIn.page).toContain('You can close this tab');
          secrets.push(aliceSignIn.query.get('code') ?? '');
          expect(await whoami(aliceClient)).toBe('subject=alice');

          // The redirect is single-use: the same callback again is refused.
          const replay = await fetch(`${callback}?${aliceSignIn.query}`);
          expect(replay.status).toBe(400);
          expect(await replay.text()).toContain('unknown or has expired');

          // Bob gets his own elicitation, and never Alice's token.
          const bobUrl = await elicitationOf(whoami(bobClient));
          expect(bobUrl.searchParams.get('state')).not.toBe(aliceUrl.searchParams.get('state'));
          bobChallenge = bobUrl.searchParams.get('code_challenge');
          const bobSignIn = await signIn(bobUrl.href, 'bob', callback);
          expect(bobSignIn.status).toBe(200);
          secrets.push(bobSignIn.query.get('code') ?? '');
          expect(await whoami(bobClient)).toBe('subject=bob');
          expect(await whoami(aliceClient)).toBe('subject=alice');
          expect(upstream.calls).toEqual(['alice', 'bob', 'alice']);

          // Alice logs out (the CLI, another process, on the hub's store): her next call is
          // asked to sign in again; Bob's is not.
          const logout = await runFedmcp(
            ['auth', 'logout', 'docs', '--subject', 'alice', '--config', configFile],
            directory,
          );
          expect(logout.code, logout.output).toBe(0);
          await elicitationOf(whoami(aliceClient));
          expect(await whoami(bobClient)).toBe('subject=bob');
        } finally {
          await aliceClient.close();
          await bobClient.close();
        }
        secrets.push(...upstream.tokensSeen, ...authorizationServer.issued);
        expect(authorizationServer.issued.length).toBeGreaterThanOrEqual(4);
        // The authorization URL (with its `state`) is in the call's refusal, which the hub logs:
        // a client without URL elicitation shows that message. The state is useless without the
        // PKCE verifier, which stays in the hub's memory.
        const output = hub.output();
        // The log is at debug and saw the whole flow.
        expect(output).toMatch(/debug|"level":20/i);
        for (const secret of new Set(secrets.filter((value) => value.length > 8))) {
          const at = output.indexOf(secret);
          expect(
            at,
            `a secret in the hub log: ${output.slice(Math.max(0, at - 300), at + 100)}`,
          ).toBe(-1);
        }
        // No PKCE verifier either: no word of the log hashes to a code challenge that was sent.
        const challenges = new Set(
          [aliceChallenge, bobChallenge].filter((value): value is string => value !== null),
        );
        expect(challenges.size).toBe(2);
        for (const word of output.match(/[A-Za-z0-9._~-]{43,128}/g) ?? []) {
          const challenge = createHash('sha256').update(word).digest('base64url');
          expect(challenges.has(challenge), 'a PKCE code verifier in the hub log').toBe(false);
        }
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
    // Two CLI processes from source (serve, logout) on a loaded machine.
  }, 180_000);
});
