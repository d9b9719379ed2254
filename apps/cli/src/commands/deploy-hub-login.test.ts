// The hub-wide login of an `authorization_code` upstream at the edge (issue 15): the hub that
// `fedmcp deploy cloudflare|supabase` bundles, run in workerd (Miniflare) and in Deno (the
// Supabase function, under its /<slug> path), against a real authorization
// server and protected MCP server on 127.0.0.1. An operator key (admin scope) starts the hub's
// login through the admin API and gets the authorization URL; following it (as a browser would)
// lands on the hub's own /oauth/callback, which stores the hub's tokens sealed in its store; then
// a call by any user reaches the upstream with the hub's token. The callback's state is
// single-use; a key without the admin scope gets a 403. `fedmcp auth login <upstream> --hub <url>`
// does the same from a shell: prints the URL and waits until the hub reports the upstream ready.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { freePort } from '@fedmcp/test-support';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { captureIo } from '../../test/capture-io.js';
import { authCommand } from './auth.js';
import { startFunction, startWorker } from './deploy-hub.fixtures.js';
import { buildHubBundle } from './deploy-hub-bundle.js';
import {
  type AuthorizationServer,
  type ProtectedUpstream,
  startAuthorizationServer,
  startProtectedUpstream,
} from './deploy-hub-oauth.fixtures.js';

const OAUTH_KEY = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64');
const adminKey = generateApiKey();
const userKey = generateApiKey();
let directory: string;
let authorizationServer: AuthorizationServer;
let docs: ProtectedUpstream;
let configFile: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-deploy-login-'));
  authorizationServer = await startAuthorizationServer({ accessTokenTtlSeconds: 5 });
  docs = await startProtectedUpstream(authorizationServer);
  configFile = join(directory, 'fedmcp.config.json');
}, 60_000);

afterAll(async () => {
  await docs?.[Symbol.asyncDispose]();
  await authorizationServer?.[Symbol.asyncDispose]();
  await rm(directory, { recursive: true, force: true });
});

/** The bundle of the config for `target` (`hub.url` given on Supabase). */
async function bundle(target: 'cloudflare' | 'supabase', hubUrl?: string): Promise<string> {
  await writeFile(
    configFile,
    JSON.stringify({
      hub: { id: 'edge-login', dataDir: join(directory, 'data'), ...(hubUrl && { url: hubUrl }) },
      auth: {
        apiKeys: [
          { hash: await hashApiKey(adminKey), subject: 'ops', scopes: ['admin'] },
          { hash: await hashApiKey(userKey), subject: 'ada' },
        ],
      },
      // One token for the hub, got by an operator's login (the authorization_code grant).
      mcpServers: { docs: { url: docs.url, oauth: { mode: 'hub' } } },
    }),
  );
  vi.stubEnv('FEDMCP_OAUTH_KEY', OAUTH_KEY);
  try {
    const hub = await buildHubBundle(
      configFile,
      target,
      target === 'supabase' ? 'fedmcp-hub' : undefined,
    );
    expect(hub.references).toEqual(['FEDMCP_OAUTH_KEY']);
    const code = String(hub.bundle.files[0]?.content ?? '');
    expect(code).not.toContain(OAUTH_KEY);
    return code;
  } finally {
    vi.unstubAllEnvs();
  }
}

interface RunningHub {
  mcpUrl: URL;
  stop(): Promise<void>;
}

/** The Worker in Miniflare with the secret binding the deploy uploads. */
async function startWorkerd(): Promise<RunningHub> {
  const worker = await startWorker(await bundle('cloudflare'), { FEDMCP_OAUTH_KEY: OAUTH_KEY });
  return {
    mcpUrl: new URL('/mcp', worker.origin),
    stop: async () => await worker[Symbol.asyncDispose](),
  };
}

/** The Supabase function in Deno at `/fedmcp-hub` (the callback is under that path). */
async function startDeno(): Promise<RunningHub> {
  const port = await freePort();
  const mcpUrl = new URL(`http://127.0.0.1:${port}/fedmcp-hub/mcp`);
  const running = await startFunction(
    await bundle('supabase', mcpUrl.href),
    join(directory, 'function.js'),
    { FEDMCP_OAUTH_KEY: OAUTH_KEY },
    port,
  );
  return { mcpUrl, stop: async () => await running[Symbol.asyncDispose]() };
}

/** Starts the hub's login at `upstream` through the admin API with `key`. */
function startLogin(mcpUrl: URL, upstream: string, key: string): Promise<Response> {
  return fetch(new URL(`admin/v1/upstreams/${upstream}/oauth-login`, mcpUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
  });
}

/** `whoami` at the upstream, called through the hub by the holder of `key`. */
async function whoami(mcpUrl: URL, key: string): Promise<string> {
  const client = new Client({ name: 'edge-login-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(mcpUrl, {
      requestInit: { headers: { authorization: `Bearer ${key}` } },
    }),
  );
  try {
    const result = await client.callTool({ name: 'docs__whoami', arguments: {} });
    return (result as { content: { text: string }[] }).content[0]?.text ?? '';
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.close();
  }
}

describe.each([
  { runtime: 'workerd (Cloudflare)', start: startWorkerd },
  { runtime: 'Deno (Supabase)', start: startDeno },
])(
  'the hub-wide authorization_code login at the edge: the deployed bundle in $runtime',
  ({ start }) => {
    let hub: RunningHub;
    let mcpUrl: URL;
    beforeAll(async () => {
      hub = await start();
      mcpUrl = hub.mcpUrl;
    }, 120_000);
    afterAll(async () => {
      await hub?.stop();
    });

    it('refuses a key without the admin scope (403) and names an upstream without that grant (404)', async () => {
      const user = await startLogin(mcpUrl, 'docs', userKey);
      expect(user.status).toBe(403);
      await user.body?.cancel();
      const unknown = await startLogin(mcpUrl, 'nowhere', adminKey);
      expect(unknown.status).toBe(404);
      await unknown.body?.cancel();
    });

    it('before the login, a call names the login to run', async () => {
      expect(await whoami(mcpUrl, userKey)).toContain('fedmcp auth login docs --hub');
    }, 120_000);

    it("logs the hub in through its own callback; then any user's call carries the hub's token", async () => {
      const started = await startLogin(mcpUrl, 'docs', adminKey);
      expect(started.status).toBe(200);
      const { authorizationUrl } = (await started.json()) as { authorizationUrl: string };
      const authorization = new URL(authorizationUrl);
      expect(authorization.searchParams.get('redirect_uri')).toBe(
        new URL('oauth/callback', mcpUrl).href,
      );
      expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
      // The operator's browser: signs in as "operator", is redirected to the hub's callback.
      authorization.searchParams.set('login', 'operator');
      const redirect = await fetch(authorization, { redirect: 'manual' });
      const location = redirect.headers.get('location') ?? '';
      await redirect.body?.cancel();
      expect(location.startsWith(new URL('oauth/callback?', mcpUrl).href)).toBe(true);
      const callback = await fetch(location);
      expect(callback.status).toBe(200);
      expect(await callback.text()).toContain('The hub is signed in to &#34;docs&#34;');
      // The state is single-use.
      const replayed = await fetch(location);
      expect(replayed.status).toBe(400);
      await replayed.body?.cancel();
      // A user without the admin scope reaches the upstream with the hub's token (refreshed when
      // the short-lived access token expired).
      const callsBefore = docs.calls.length;
      expect(await whoami(mcpUrl, userKey)).toBe('subject=operator');
      expect(await whoami(mcpUrl, adminKey)).toBe('subject=operator');
      expect(docs.calls.slice(callsBefore)).toEqual(['operator', 'operator']);
    }, 120_000);

    it('`fedmcp auth login <upstream> --hub <url>` prints the URL and waits until the hub is connected', async () => {
      const { io, out } = captureIo();
      let followed: Promise<number> | undefined;
      const printed = {
        ...io,
        stdout: (text: string) => {
          io.stdout(text);
          const url = /https?:\/\/\S+\/authorize\?\S+/.exec(text)?.[0];
          if (url && !followed) followed = follow(url, 'second-operator');
        },
      };
      const code = await authCommand(
        ['login', 'docs', '--hub', mcpUrl.href, '--token', adminKey, '--no-browser'],
        printed,
      );
      expect(out.stderr).toContain('Waiting for the authorization in the browser');
      expect(code).toBe(0);
      expect(await followed).toBe(200);
      expect(out.stdout).toContain('Authorized: the hub now connects to "docs"');
      expect(await whoami(mcpUrl, userKey)).toBe('subject=second-operator');
      // Without the admin scope, the command names what the admin API wants.
      const refused = captureIo();
      expect(
        await authCommand(
          ['login', 'docs', '--hub', mcpUrl.href, '--token', userKey, '--no-browser'],
          refused.io,
        ),
      ).toBe(1);
      expect(refused.out.stderr).toMatch(/HTTP 403[\s\S]*"admin" scope/);
    }, 120_000);
  },
);

/** Follows an authorization URL as `login`'s browser; the hub's callback's status. */
async function follow(authorizationUrl: string, login: string): Promise<number> {
  const url = new URL(authorizationUrl);
  url.searchParams.set('login', login);
  const redirect = await fetch(url, { redirect: 'manual' });
  await redirect.body?.cancel();
  const callback = await fetch(redirect.headers.get('location') ?? '');
  await callback.body?.cancel();
  return callback.status;
}
