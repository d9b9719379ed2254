// Upstreams added, changed, removed and restarted through the admin API of the hub `fedmcp deploy
// cloudflare` bundles, in workerd (Miniflare) over two hub objects (`hub.shards: 2`): an HTTP
// upstream added on one object reaches sessions open on both (list_changed, then its tools are
// listed and callable), survives a restart of the Worker (the store persisted), is changed (PUT: a
// new prefix on both objects), restarts, and is gone after DELETE; a stdio entry, a literal
// credential and a reference to no binding get 400. On Supabase (Deno) one added on a function
// reaches another sharing its PostgreSQL store.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import {
  dropSchema,
  postgresAvailable,
  postgresUrl,
  runSchema,
} from '@fedmcp/test-support/postgres';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  dryRunDeploy,
  startFunction,
  startWorker,
  useDeployTestBed,
} from './deploy-hub.fixtures.js';

const bed = useDeployTestBed('fedmcp-deploy-upstreams-');
const adminKey = generateApiKey();
const schema = runSchema('deploy_upstreams');
// biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
const EXTRA_AUTHORIZATION = '${secret:EXTRA_TOKEN}';

afterAll(async () => {
  if (postgresAvailable) await dropSchema(schema);
});

/** The bundle in Miniflare, its Durable Objects kept in `persist` (so a restart finds them). */
function startPersistentWorker(code: string, persist: string) {
  return startWorker(code, { EXTRA_TOKEN: 'token-from-a-secret' }, persist);
}

/** An admin API request with the operator's key (`origin` may end with the function's slug). */
function admin(origin: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${origin}/admin/v1${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${adminKey}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
  });
}

/**
 * A session on each of the two hub objects (or one on a function), each with a promise of the next
 * tools/list_changed it hears.
 */
async function sessionPerShard(origin: string, shards = 2) {
  const url = new URL(`${origin}/mcp`);
  const byShard = new Map<string, { client: Client; changed: () => Promise<void> }>();
  const spare: Client[] = [];
  for (let index = 0; index < 24 && byShard.size < shards; index += 1) {
    const client = new Client(
      { name: 'upstreams', version: '1.0.0' },
      { versionNegotiation: { mode: 'legacy' } },
    );
    let heard: () => void = () => {};
    let next = new Promise<void>((resolve) => {
      heard = resolve;
    });
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      heard();
      next = new Promise<void>((resolve) => {
        heard = resolve;
      });
    });
    const transport = new StreamableHTTPClientTransport(url, {
      requestInit: { headers: { authorization: `Bearer ${adminKey}` } },
    });
    await client.connect(transport);
    const shard = transport.sessionId?.split('.')[0] ?? '';
    if (byShard.has(shard)) spare.push(client);
    else byShard.set(shard, { client, changed: () => next });
  }
  await Promise.all(spare.map((client) => client.close()));
  return byShard;
}

async function toolNames(client: Client): Promise<string[]> {
  return (await client.listTools()).tools.map((tool) => tool.name);
}

describe('upstream changes at the edge', () => {
  it('add on one object reaches both, survives a restart, PUT and restart change it, DELETE removes it', async () => {
    const configFile = join(bed.directory, 'fedmcp.config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        hub: { id: 'edge-upstreams', shards: 2 },
        mcpServers: { everything: { url: bed.everything.url } },
        auth: {
          apiKeys: [{ hash: await hashApiKey(adminKey), subject: 'ops', scopes: ['admin'] }],
        },
      }),
    );
    const { exitCode, stderr, bundle } = await dryRunDeploy('cloudflare', configFile, [
      '--allow-literal-secrets',
    ]);
    expect(exitCode, stderr).toBe(0);
    const persist = join(bed.directory, 'objects');
    await mkdir(persist, { recursive: true });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference, not a template
    const extra = { url: bed.everything.url, headers: { authorization: '${secret:EXTRA_TOKEN}' } };

    {
      await using worker = await startPersistentWorker(bundle, persist);
      const sessions = await sessionPerShard(worker.origin);
      try {
        expect(sessions.size).toBe(2);
        const changed = [...sessions.values()].map(({ changed }) => changed());
        const added = await admin(worker.origin, '/upstreams/extra', {
          method: 'POST',
          body: JSON.stringify(extra),
        });
        expect(added.status, await added.clone().text()).toBe(201);
        expect(await added.json()).toMatchObject({
          id: 'extra',
          transport: 'remote',
          headerNames: ['authorization'],
          source: 'admin',
        });
        await Promise.all(changed);
        for (const { client } of sessions.values()) {
          expect(await toolNames(client)).toContain('extra__echo');
          const echoed = await client.callTool({
            name: 'extra__echo',
            arguments: { message: 'added at the edge' },
          });
          expect(JSON.stringify(echoed.content)).toContain('Echo: added at the edge');
        }

        const again = await admin(worker.origin, '/upstreams/extra', {
          method: 'POST',
          body: JSON.stringify(extra),
        });
        expect(again.status).toBe(409);
        await again.body?.cancel();
      } finally {
        await Promise.allSettled([...sessions.values()].map(({ client }) => client.close()));
      }
    }

    await using worker = await startPersistentWorker(bundle, persist);
    const sessions = await sessionPerShard(worker.origin);
    try {
      for (const { client } of sessions.values()) {
        expect(await toolNames(client)).toContain('extra__echo');
      }
      const listed = (await (await admin(worker.origin, '/upstreams')).json()) as {
        upstreams: Array<{ id: string; source: string }>;
      };
      expect(listed.upstreams).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: 'extra', source: 'admin' }),
          expect.objectContaining({ id: 'everything', source: 'config' }),
        ]),
      );

      const renamed = [...sessions.values()].map(({ changed }) => changed());
      const put = await admin(worker.origin, '/upstreams/extra', {
        method: 'PUT',
        body: JSON.stringify({ ...extra, prefix: 'more' }),
      });
      expect(put.status, await put.clone().text()).toBe(200);
      await put.body?.cancel();
      await Promise.all(renamed);
      for (const { client } of sessions.values()) {
        const names = await toolNames(client);
        expect(names).toContain('more__echo');
        expect(names).not.toContain('extra__echo');
      }

      const restarted = await admin(worker.origin, '/upstreams/extra/restart', { method: 'POST' });
      expect(restarted.status, await restarted.clone().text()).toBe(200);
      expect(await restarted.json()).toMatchObject({ id: 'extra', source: 'admin' });

      const changed = [...sessions.values()].map(({ changed }) => changed());
      const removed = await admin(worker.origin, '/upstreams/extra', { method: 'DELETE' });
      expect(removed.status).toBe(204);
      await Promise.all(changed);
      for (const { client } of sessions.values()) {
        expect(await toolNames(client)).not.toContain('more__echo');
      }
      const gone = await admin(worker.origin, '/upstreams/extra');
      expect(gone.status).toBe(404);
      await gone.body?.cancel();

      const refusals: Array<[unknown, RegExp]> = [
        [{ command: 'npx', args: ['server-everything'] }, /stdio server.*cannot start processes/],
        [
          { url: bed.everything.url, headers: { authorization: 'Bearer literal' } },
          /credential literally at headers\.authorization.*secret:NAME/,
        ],
        [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference
          { url: bed.everything.url, headers: { authorization: '${secret:NO_SUCH_BINDING}' } },
          /refers to NO_SUCH_BINDING, which the platform does not provide/,
        ],
      ];
      for (const [body, reason] of refusals) {
        const refused = await admin(worker.origin, '/upstreams/refused', {
          method: 'POST',
          body: JSON.stringify(body),
        });
        expect(refused.status).toBe(400);
        expect(refused.headers.get('content-type')).toBe('application/problem+json');
        expect(((await refused.json()) as { detail: string }).detail).toMatch(reason);
      }
    } finally {
      await Promise.allSettled([...sessions.values()].map(({ client }) => client.close()));
    }
  }, 240_000);

  it('on Supabase (Deno): an upstream added on one function reaches another sharing the PostgreSQL store', async () => {
    const configFile = join(bed.directory, 'supabase.config.json');
    await writeFile(
      configFile,
      JSON.stringify({
        hub: { id: 'edge-upstreams-sb' },
        mcpServers: { everything: { url: bed.everything.url } },
        auth: {
          apiKeys: [{ hash: await hashApiKey(adminKey), subject: 'ops', scopes: ['admin'] }],
        },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a config reference
        ...(postgresAvailable ? { store: '${DATABASE_URL}' } : {}),
      }),
    );
    const databaseUrl = `${postgresUrl}?schema=${schema}`;
    vi.stubEnv('DATABASE_URL', databaseUrl);
    const { exitCode, stderr, bundle } = await dryRunDeploy('supabase', configFile, [
      '--allow-literal-secrets',
    ]);
    expect(exitCode, stderr).toBe(0);
    const env = { DATABASE_URL: databaseUrl, EXTRA_TOKEN: 'token-from-a-secret' };
    // Two isolates of the function; without PostgreSQL each has its own (memory) store.
    const functions = postgresAvailable ? ['a', 'b'] : ['a'];
    const running = await Promise.all(
      functions.map((name) =>
        startFunction(bundle, join(bed.directory, `function-${name}`, 'index.js'), env),
      ),
    );
    const sessions = await Promise.all(
      running.map(
        async (deno) =>
          (await sessionPerShard(`${deno.origin}/fedmcp-hub`, 1)).values().next().value!,
      ),
    );
    try {
      const changed = sessions.map(({ changed }) => changed());
      const added = await admin(`${running[0]!.origin}/fedmcp-hub`, '/upstreams/extra', {
        method: 'POST',
        body: JSON.stringify({
          url: bed.everything.url,
          headers: { authorization: EXTRA_AUTHORIZATION },
        }),
      });
      expect(added.status, await added.clone().text()).toBe(201);
      await added.body?.cancel();
      await Promise.all(changed);
      for (const { client } of sessions) {
        // As a client does on list_changed: list again, then call. The function that heard the
        // change over the store may announce it while it still connects to the new upstream (a
        // call then gets "unavailable; retry shortly"): the tool is listed, then callable.
        await vi.waitFor(
          async () => {
            const { tools } = await client.listTools();
            expect(tools.map((tool) => tool.name)).toContain('extra__echo');
            const echoed = await client.callTool({
              name: 'extra__echo',
              arguments: { message: 'sb' },
            });
            expect(JSON.stringify(echoed.content)).toContain('Echo: sb');
          },
          { timeout: 60_000, interval: 250 },
        );
      }
      for (const deno of running) expect(deno.output()).not.toContain('token-from-a-secret');
    } finally {
      await Promise.allSettled(sessions.map(({ client }) => client.close()));
      await Promise.allSettled(running.map((deno) => deno[Symbol.asyncDispose]()));
    }
  }, 180_000);
});
