// Upstream OAuth and token exchange in the hub `fedmcp deploy cloudflare|supabase` builds (issue
// 15), run in Miniflare (workerd, the Worker with the bindings the deploy uploads) and in Deno (the
// Supabase function, its state in PostgreSQL, under its /<slug> path), against a real authorization server
// and protected MCP servers on 127.0.0.1: a caller's first call to a per-user upstream asks it to
// sign in (URL elicitation inside the call); following the URL completes the sign-in through the
// hub's /oauth/callback (PKCE, state) and the same call answers with the caller's own token;
// another caller has no access to it. A token-exchange upstream sees only the token the
// authorization server issued for it in exchange for the caller's, never the caller's own. The
// bundle carries references, never the secrets; a literal client secret is refused by its key.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@fedmcp/test-support';
import {
  dropSchema,
  postgresAvailable,
  postgresUrl,
  runSchema,
  withAdmin,
} from '@fedmcp/test-support/postgres';
import {
  Client,
  type ElicitRequestURLParams,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFunction, startWorker } from './deploy-hub.fixtures.js';
import { buildHubBundle } from './deploy-hub-bundle.js';
import {
  type AuthorizationServer,
  EXCHANGE_CLIENT,
  type ProtectedUpstream,
  startAuthorizationServer,
  startProtectedUpstream,
} from './deploy-hub-oauth.fixtures.js';

const CALLER_ISSUER = 'https://callers.example.com/';
const CALLER_SECRET = randomBytes(32).toString('hex');
const AUDIENCE = 'fedmcp-edge';
const OAUTH_KEY = randomBytes(32).toString('base64');

/** An HS256 access token of the callers' issuer for `subject` (with `scope`). */
function callerToken(subject: string, scope?: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({
    iss: CALLER_ISSUER,
    sub: subject,
    aud: AUDIENCE,
    iat: now,
    exp: now + 3600,
    ...(scope && { scope }),
  })}`;
  return `${body}.${createHmac('sha256', CALLER_SECRET).update(body).digest('base64url')}`;
}

let directory: string;
let authorizationServer: AuthorizationServer;
let docs: ProtectedUpstream;
let tickets: ProtectedUpstream;
let reports: ProtectedUpstream;
const schema = runSchema('deploy_oauth');

async function writeConfig(
  file: string,
  exchangeSecret: string,
  extra: Record<string, unknown> = {},
) {
  await writeFile(
    file,
    JSON.stringify({
      hub: { id: 'edge-oauth', dataDir: join(directory, 'data') },
      ...extra,
      auth: {
        oauth: [
          {
            issuer: CALLER_ISSUER,
            audience: AUDIENCE,
            // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference
            sharedSecret: '${CALLER_SECRET}',
            algorithms: ['HS256'],
          },
        ],
      },
      mcpServers: {
        docs: { url: docs.url, isolation: 'per-principal', oauth: { mode: 'user' } },
        tickets: {
          url: tickets.url,
          isolation: 'per-principal',
          tokenExchange: {
            tokenEndpoint: `${authorizationServer.issuer}/token`,
            clientId: EXCHANGE_CLIENT.id,
            clientSecret: exchangeSecret,
            audience: 'tickets',
          },
        },
        // The hub's own token (client credentials), shared by every caller.
        reports: {
          url: reports.url,
          oauth: {
            grant: 'client_credentials',
            clientId: EXCHANGE_CLIENT.id,
            clientSecret: exchangeSecret,
          },
        },
      },
    }),
  );
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-deploy-oauth-'));
  authorizationServer = await startAuthorizationServer({ accessTokenTtlSeconds: 5 });
  docs = await startProtectedUpstream(authorizationServer);
  tickets = await startProtectedUpstream(authorizationServer, { audience: 'tickets' });
  reports = await startProtectedUpstream(authorizationServer);
}, 60_000);

afterAll(async () => {
  await tickets?.[Symbol.asyncDispose]();
  await reports?.[Symbol.asyncDispose]();
  await docs?.[Symbol.asyncDispose]();
  await authorizationServer?.[Symbol.asyncDispose]();
  if (postgresAvailable) await dropSchema(schema);
  await rm(directory, { recursive: true, force: true });
});

/** The secrets the deploy uploads, with their values. */
const SECRETS = {
  CALLER_SECRET,
  EXCHANGE_SECRET: EXCHANGE_CLIENT.secret,
  FEDMCP_OAUTH_KEY: OAUTH_KEY,
  DATABASE_URL: `${postgresUrl}?schema=${schema}`,
};

/** Builds the hub of a config for `target`, its references checked. */
async function bundle(target: 'cloudflare' | 'supabase', extra: Record<string, unknown> = {}) {
  const file = join(directory, `${target}.config.json`);
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference
  await writeConfig(file, '${EXCHANGE_SECRET}', extra);
  for (const [name, value] of Object.entries(SECRETS)) vi.stubEnv(name, value);
  try {
    const hub = await buildHubBundle(
      file,
      target,
      target === 'supabase' ? 'fedmcp-hub' : undefined,
    );
    expect(hub.references).toEqual([
      'CALLER_SECRET',
      ...('store' in extra ? ['DATABASE_URL'] : []),
      'EXCHANGE_SECRET',
      'FEDMCP_OAUTH_KEY',
    ]);
    return hub.bundle.files[0]?.content as string;
  } finally {
    vi.unstubAllEnvs();
  }
}

interface RunningHub {
  mcpUrl: URL;
  code: string;
  stop(): Promise<void>;
  /** The values its store keeps under keys containing `part`, read from outside (PostgreSQL). */
  stored?(part: string): Promise<string[]>;
}

/** The Worker in Miniflare with the bindings the deploy uploads (secret_text). */
async function startWorkerd(extra: Record<string, unknown> = {}): Promise<RunningHub> {
  const code = await bundle('cloudflare', extra);
  const worker = await startWorker(code, {
    CALLER_SECRET,
    EXCHANGE_SECRET: EXCHANGE_CLIENT.secret,
    FEDMCP_OAUTH_KEY: OAUTH_KEY,
  });
  return {
    mcpUrl: new URL('/mcp', worker.origin),
    code,
    stop: async () => await worker[Symbol.asyncDispose](),
  };
}

/**
 * The Supabase function in Deno (its secrets in the environment) at `/fedmcp-hub`, `hub.url` its
 * public URL; its state in PostgreSQL when PostgreSQL is here.
 */
async function startDeno(): Promise<RunningHub> {
  const port = await freePort();
  const mcpUrl = new URL(`http://127.0.0.1:${port}/fedmcp-hub/mcp`);
  const code = await bundle('supabase', {
    hub: { id: 'edge-oauth', url: mcpUrl.href },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference
    ...(postgresAvailable ? { store: '${DATABASE_URL}' } : {}),
  });
  const running = await startFunction(code, join(directory, 'function.js'), SECRETS, port);
  const stop = async () => await running[Symbol.asyncDispose]();
  const stored = async (part: string) => {
    const rows = await withAdmin(
      (sql) => sql`SELECT value FROM ${sql(schema)}.kv WHERE key LIKE ${`%${part}%`}`,
    );
    return rows.map((row) => String(row.value));
  };
  return { mcpUrl, code, stop, ...(postgresAvailable && { stored }) };
}

/**
 * A client of the hub as `subject` that takes URL elicitations: `onUrl` is told each one (and
 * may sign in); the client accepts, or declines when `decline` is set.
 */
async function connectAs(
  mcpUrl: URL,
  subject: string,
  onUrl: (params: ElicitRequestURLParams) => void,
  { decline = false, modern = false } = {},
) {
  const client = new Client(
    { name: `edge-${subject}`, version: '1.0.0' },
    {
      capabilities: { elicitation: { url: {} } },
      // 2026-07-28: the question comes as an `input_required` round, answered on the retry.
      ...(modern && { versionNegotiation: { mode: 'auto' as const } }),
    },
  );
  client.setRequestHandler('elicitation/create', (request) => {
    onUrl(request.params as ElicitRequestURLParams);
    return { action: decline ? ('decline' as const) : ('accept' as const) };
  });
  await client.connect(
    new StreamableHTTPClientTransport(mcpUrl, {
      requestInit: { headers: { authorization: `Bearer ${callerToken(subject)}` } },
    }),
  );
  return client;
}

/** Follows an authorization URL as `login`'s browser: the redirect lands on the hub's callback. */
async function signIn(authorizationUrl: string, login: string) {
  const url = new URL(authorizationUrl);
  url.searchParams.set('login', login);
  const redirect = await fetch(url, { redirect: 'manual' });
  const location = redirect.headers.get('location');
  await redirect.body?.cancel();
  if (!location) throw new Error(`The authorization server answered ${redirect.status}`);
  const callback = await fetch(location);
  return { url: location, status: callback.status, page: await callback.text() };
}

const textOf = (result: unknown) =>
  ((result as { content: { text: string }[] }).content[0] as { text: string }).text;

describe.each([
  { runtime: 'workerd (Cloudflare)', start: () => startWorkerd() },
  // Sessions on four Durable Objects: the callback and the waiting call may be on different ones.
  {
    runtime: 'workerd (Cloudflare, hub.shards 4)',
    start: () => startWorkerd({ hub: { id: 'edge-oauth', shards: 4 } }),
  },
  { runtime: 'Deno (Supabase)', start: startDeno },
])('upstream OAuth at the edge: the deployed bundle in $runtime', ({ start }) => {
  let hub: RunningHub;
  beforeAll(async () => {
    hub = await start();
  }, 120_000);
  afterAll(async () => {
    await hub?.stop();
  });

  it('bakes references into the bundle, never the secrets', () => {
    expect(hub.code).not.toContain(EXCHANGE_CLIENT.secret);
    expect(hub.code).not.toContain(CALLER_SECRET);
    expect(hub.code).not.toContain(OAUTH_KEY);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the reference the bundle carries
    expect(hub.code).toContain('${secret:FEDMCP_OAUTH_KEY}');
  });

  it('asks a caller to sign in inside the call, then answers with its own token; another caller has no access to it', async () => {
    const callsBefore = docs.calls.length;
    const asked: ElicitRequestURLParams[] = [];
    const signIns: Promise<{ url: string; status: number; page: string }>[] = [];
    const alice = await connectAs(hub.mcpUrl, 'alice', (params) => {
      asked.push(params);
      signIns.push(signIn(params.url, 'alice'));
    });
    try {
      const tools = (await alice.listTools()).tools.map((tool) => tool.name);
      expect(tools).toContain('docs__whoami');
      const result = await alice.callTool({ name: 'docs__whoami', arguments: {} });
      expect(textOf(result)).toBe('subject=alice');
      expect(asked).toHaveLength(1);
      expect(asked[0]?.mode).toBe('url');
      const [done] = await Promise.all(signIns);
      // The hub's callback, under the function's path on Supabase.
      const callback = new URL('oauth/callback?', hub.mcpUrl).href;
      expect(done?.url.startsWith(callback)).toBe(true);
      expect(done?.status).toBe(200);
      expect(done?.page).toContain('You are signed in to &#34;docs&#34;');
      // The state is single-use: the same redirect again is refused.
      const replayed = await fetch(done?.url ?? '');
      expect(replayed.status).toBe(400);
      await replayed.body?.cancel();
      // The stored (sealed) tokens serve the next call without asking again: the short-lived
      // access token is refreshed first.
      expect(textOf(await alice.callTool({ name: 'docs__whoami', arguments: {} }))).toBe(
        'subject=alice',
      );
      expect(asked).toHaveLength(1);
      expect(authorizationServer.grants).toContain('refresh_token:200');
      // At rest (PostgreSQL here): sealed records, no token in them.
      if (hub.stored) {
        const sealed = await hub.stored('oauth:docs:user:');
        expect(sealed.length).toBeGreaterThan(0);
        for (const value of sealed) {
          expect(value).toMatch(/^v1\./);
          expect(value).not.toMatch(/at-|rt-|alice/);
        }
      }
    } finally {
      await alice.close();
    }
    // Bob is asked for his own sign-in; declining, his call fails and alice's token is not used.
    const bobAsked: string[] = [];
    const bob = await connectAs(hub.mcpUrl, 'bob', (params) => bobAsked.push(params.url), {
      decline: true,
    });
    try {
      const refused = await bob.callTool({ name: 'docs__whoami', arguments: {} }).then(
        (answer) => JSON.stringify(answer),
        (error: Error) => error.message,
      );
      expect(refused).not.toContain('subject=alice');
      expect(bobAsked).toHaveLength(1);
    } finally {
      await bob.close();
    }
    expect(docs.calls.slice(callsBefore)).toEqual(['alice', 'alice']);
  }, 120_000);

  it("lets an operator log a user out through the admin API: the user's next call asks again", async () => {
    const logout = () =>
      fetch(
        new URL(
          `admin/v1/upstreams/docs/oauth-tokens?subject=alice&issuer=${encodeURIComponent(CALLER_ISSUER)}`,
          hub.mcpUrl,
        ),
        { method: 'DELETE', headers: { authorization: `Bearer ${callerToken('ops', 'admin')}` } },
      );
    const revoked = await logout();
    expect(revoked.status).toBe(204);
    await revoked.body?.cancel();
    const again = await logout();
    expect(again.status).toBe(404);
    await again.body?.cancel();
    const signIns: Promise<unknown>[] = [];
    const alice = await connectAs(hub.mcpUrl, 'alice', (params) =>
      signIns.push(signIn(params.url, 'alice')),
    );
    try {
      const result = await alice.callTool({ name: 'docs__whoami', arguments: {} });
      expect(textOf(result)).toBe('subject=alice');
      expect(signIns).toHaveLength(1);
      await Promise.all(signIns);
    } finally {
      await alice.close();
    }
  }, 120_000);

  it('asks a 2026-07-28 client by an input_required round, and its retry answers with its token', async () => {
    const signIns: Promise<unknown>[] = [];
    const frank = await connectAs(
      hub.mcpUrl,
      'frank',
      (params) => signIns.push(signIn(params.url, 'frank')),
      { modern: true },
    );
    try {
      expect(frank.getProtocolEra()).toBe('modern');
      const result = await frank.callTool({ name: 'docs__whoami', arguments: {} });
      expect(textOf(result)).toBe('subject=frank');
      expect(signIns).toHaveLength(1);
      await Promise.all(signIns);
    } finally {
      await frank.close();
    }
  }, 120_000);

  it('answers a client without URL elicitation -32042 naming the sign-in URL', async () => {
    const client = new Client({ name: 'edge-erin', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(hub.mcpUrl, {
        requestInit: { headers: { authorization: `Bearer ${callerToken('erin')}` } },
      }),
    );
    try {
      const error = await client.callTool({ name: 'docs__whoami', arguments: {} }).then(
        () => undefined,
        (caught: { code?: number; message?: string }) => caught,
      );
      expect(error?.code).toBe(-32042);
      expect(error?.message).toMatch(
        /Sign in to "docs" to continue: open http:\/\/127\.0\.0\.1:\d+\/authorize\?/,
      );
    } finally {
      await client.close();
    }
  }, 120_000);

  it('refuses a callback whose state it did not issue', async () => {
    const answer = await fetch(new URL('oauth/callback?state=unknown&code=x', hub.mcpUrl));
    expect(answer.status).toBe(400);
    expect(await answer.text()).toContain('unknown or has expired');
  });

  it('exchanges the caller token for the upstream (RFC 8693): the upstream never sees the caller token', async () => {
    const callsBefore = tickets.calls.length;
    const carol = await connectAs(hub.mcpUrl, 'carol', () => undefined);
    try {
      const result = await carol.callTool({ name: 'tickets__whoami', arguments: {} });
      expect(textOf(result)).toBe('subject=carol');
    } finally {
      await carol.close();
    }
    const subjects = authorizationServer.subjectTokens.map(
      (token) => JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()).sub,
    );
    expect(subjects).toContain('carol');
    expect(tickets.calls.slice(callsBefore)).toEqual(['carol']);
    for (const token of tickets.tokensSeen) {
      expect(token.startsWith('at-')).toBe(true);
      expect(authorizationServer.subjectTokens).not.toContain(token);
    }
  }, 120_000);

  it('gets and keeps the hub its own token for a client_credentials upstream', async () => {
    const callsBefore = reports.calls.length;
    const dave = await connectAs(hub.mcpUrl, 'dave', () => undefined);
    try {
      const result = await dave.callTool({ name: 'reports__whoami', arguments: {} });
      expect(textOf(result)).toBe(`subject=${EXCHANGE_CLIENT.id}`);
    } finally {
      await dave.close();
    }
    expect(reports.calls.slice(callsBefore)).toEqual([EXCHANGE_CLIENT.id]);
    expect(authorizationServer.grants).toContain('client_credentials:200');
  }, 120_000);
});

describe('deploy refuses what the edge hub cannot do', () => {
  it('refuses to bundle a client secret written literally, naming its key', async () => {
    const file = join(directory, 'literal.config.json');
    await writeConfig(file, 'literal-exchange-secret');
    vi.stubEnv('CALLER_SECRET', CALLER_SECRET);
    try {
      await expect(buildHubBundle(file, 'cloudflare', undefined)).rejects.toThrow(
        /mcpServers\.tickets\.tokenExchange\.clientSecret/,
      );
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
