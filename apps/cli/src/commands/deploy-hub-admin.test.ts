// The admin API, the REST facade and the dashboard of the hub `fedmcp deploy cloudflare` bundles,
// run in workerd (Miniflare) as Cloudflare runs it: an operator key (admin scope) lists the tools,
// approves the one pinning holds back so the next call passes; a wrong key gets a 401 problem, a
// key without the admin scope a 403, a body that is not JSON a 400; the call log streams as
// Server-Sent Events; `/ui` serves the dashboard.
// The Supabase build serves them too, in Deno, under the function's `/<slug>`; a hub spread over
// four Durable Objects (`hub.shards`) applies an approval made on one object on all of them.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateApiKey, hashApiKey } from '@fedmcp/proxy-auth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RunningEdgeHub,
  startFunction,
  startWorker,
  useDeployTestBed,
} from './deploy-hub.fixtures.js';
import { buildHubBundle } from './deploy-hub-bundle.js';

const adminKey = generateApiKey();
const userKey = generateApiKey();
const bed = useDeployTestBed('fedmcp-deploy-admin-');
let worker: RunningEdgeHub;
let base: URL;
let code: string;
let configFile: string;

beforeAll(async () => {
  const { directory, everything } = bed;
  configFile = join(directory, 'fedmcp.config.json');
  await writeFile(
    configFile,
    JSON.stringify({
      hub: { id: 'edge-admin', name: 'edge admin', dataDir: join(directory, 'data') },
      mcpServers: { everything: { url: everything.url } },
      auth: {
        apiKeys: [
          { hash: await hashApiKey(adminKey), subject: 'ops', scopes: ['admin'] },
          { hash: await hashApiKey(userKey), subject: 'ada' },
        ],
      },
      // Every tool is held back until an operator approves it.
      pinning: { newItems: 'hold' },
      // No policy: calls are audited all the same (the call log the dashboard streams).
    }),
  );
  const { bundle } = await buildHubBundle(configFile, 'cloudflare', undefined, {
    allowLiteralSecrets: true,
  });
  code = String(bundle.files[0]?.content ?? '');
  worker = await startWorker(code);
  base = new URL(worker.origin);
}, 120_000);

afterAll(async () => {
  await worker?.[Symbol.asyncDispose]();
});

/** A request to the deployed hub with a bearer key. */
function call(path: string, key: string | undefined, init: RequestInit = {}): Promise<Response> {
  return fetch(new URL(path, base), {
    ...init,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.headers as Record<string, string> | undefined),
    },
  });
}

describe('the admin API of the deployed edge hub (workerd)', () => {
  it('is in the bundle, which stays under 1 MiB minified with no node: import', () => {
    const bytes = new TextEncoder().encode(code).byteLength;
    console.log(`deploy bundle with the admin API and dashboard: ${bytes} bytes minified`);
    expect(bytes).toBeLessThan(1024 * 1024);
    expect(code).not.toMatch(/(from|import)\s*\(?\s*["']node:/);
    expect(code).toContain('fedmcp admin API');
  });

  it('lists the held tool, approves it, and the next call passes', async () => {
    const held = await call('/admin/v1/tools', adminKey);
    expect(held.status).toBe(200);
    const { tools } = (await held.json()) as {
      tools: Array<{ name: string; pin: string; upstream?: string; upstreamName?: string }>;
    };
    const echo = tools.find((tool) => tool.name === 'everything__echo');
    expect(echo).toMatchObject({
      pin: 'quarantined',
      upstream: 'everything',
      upstreamName: 'echo',
    });

    // Held back: the call through the REST facade is refused.
    const refused = await call('/api/v1/tools/everything__echo:call', userKey, {
      method: 'POST',
      body: JSON.stringify({ message: 'edge' }),
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    await refused.body?.cancel();

    const pending = await call('/admin/v1/tools/pending', adminKey);
    expect(((await pending.json()) as { pending: Array<{ name: string }> }).pending).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'echo' })]),
    );
    const approved = await call('/admin/v1/tools/everything/echo/approve', adminKey, {
      method: 'POST',
    });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toEqual({
      approved: [{ upstream: 'everything', kind: 'tool', name: 'echo' }],
    });

    const passed = await call('/api/v1/tools/everything__echo:call', userKey, {
      method: 'POST',
      body: JSON.stringify({ message: 'edge' }),
    });
    expect(passed.status).toBe(200);
    expect(((await passed.json()) as { content: unknown }).content).toEqual([
      { type: 'text', text: 'Echo: edge' },
    ]);
    const listed = (await (await call('/admin/v1/tools', adminKey)).json()) as {
      tools: Array<{ name: string; pin: string }>;
    };
    expect(listed.tools.find((tool) => tool.name === 'everything__echo')?.pin).toBe('pinned');
  });

  it('answers a wrong key with a 401 problem and a key without the admin scope with 403', async () => {
    const wrong = await call('/admin/v1/upstreams', 'fedmcp_sk_not-a-key');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('content-type')).toBe('application/problem+json');
    expect(await wrong.json()).toMatchObject({ status: 401, title: 'Unauthorized' });
    const none = await call('/admin/v1/upstreams', undefined);
    expect(none.status).toBe(401);
    await none.body?.cancel();
    const user = await call('/admin/v1/upstreams', userKey);
    expect(user.status).toBe(403);
    expect(((await user.json()) as { detail: string }).detail).toContain('"admin" scope');
    // The refusal is in the audit trail (the Durable Object's stream), as on Node.
    const audit = await call('/admin/v1/audit?type=auth&outcome=denied&subject=ada', adminKey);
    const { events } = (await audit.json()) as { events: Array<{ event: { action?: string } }> };
    expect(events.map(({ event }) => event.action)).toContain('GET /admin/v1/upstreams');
    const tasks = await call('/admin/v1/tasks', adminKey);
    expect(await tasks.json()).toEqual({ tasks: [] });
    const status = await call('/admin/v1/status?depth=0', adminKey);
    expect(((await status.json()) as { hub: { id: string } }).hub.id).toBe('edge-admin');
  });

  it('answers a body that is not JSON with a 400 problem, and reads upstreams and consent', async () => {
    const bad = await call('/admin/v1/consent', adminKey, { method: 'POST', body: '{"subject":' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/not valid JSON/);

    const upstreams = (await (await call('/admin/v1/upstreams', adminKey)).json()) as {
      upstreams: Array<{ id: string; state: string; source: string }>;
    };
    expect(upstreams.upstreams).toEqual([
      expect.objectContaining({ id: 'everything', source: 'config' }),
    ]);
    const granted = await call('/admin/v1/consent', adminKey, {
      method: 'POST',
      body: JSON.stringify({ subject: 'ada', target: 'everything__echo' }),
    });
    expect(granted.status).toBe(201);
    const { id } = (await granted.json()) as { id: string };
    const revoked = await call(`/admin/v1/consent/${encodeURIComponent(id)}`, adminKey, {
      method: 'DELETE',
    });
    expect(revoked.status).toBe(204);
    const openapi = await call('/admin/v1/openapi.json', undefined);
    expect(((await openapi.json()) as { openapi: string }).openapi).toBe('3.1.0');
  });

  it('streams the call log (Server-Sent Events) as the dashboard follows it', async () => {
    // A tool not called before: its call can only come from following the log, not the backlog.
    const approved = await call('/admin/v1/tools/everything/get-sum/approve', adminKey, {
      method: 'POST',
    });
    expect(approved.status).toBe(200);
    await approved.body?.cancel();
    const abort = new AbortController();
    const stream = await call('/admin/v1/calls/stream', adminKey, { signal: abort.signal });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const read = async (until: RegExp) => {
      while (!until.test(text)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`the stream ended: ${text}`);
        text += decoder.decode(value, { stream: true });
      }
    };
    try {
      await read(/: stream open/);
      const made = await call('/api/v1/tools/everything__get-sum:call', userKey, {
        method: 'POST',
        body: JSON.stringify({ a: 1, b: 2 }),
      });
      expect(made.status).toBe(200);
      await made.body?.cancel();
      await read(/event: audit\ndata: [^\n]*everything__get-sum/);
    } finally {
      abort.abort();
      await reader.cancel().catch(() => {});
    }
  });

  it('serves the dashboard at /ui', async () => {
    const redirect = await call('/ui', undefined, { redirect: 'manual' });
    expect(redirect.status).toBe(308);
    await redirect.body?.cancel();
    const page = await call('/ui/', undefined);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="app.js">');
    const script = await call('/ui/app.js', undefined);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('/admin/v1');
    const style = await call('/ui/app.css', undefined);
    expect(style.headers.get('content-type')).toBe('text/css; charset=utf-8');
    await style.body?.cancel();
  });
});

describe('the admin API of a hub spread over Durable Objects (hub.shards)', () => {
  it('approves a held tool on one object, and every object lets the call pass', async () => {
    const shardedConfig = join(bed.directory, 'sharded.config.json');
    const config = JSON.parse(await readFile(configFile, 'utf8')) as { hub: object };
    await writeFile(
      shardedConfig,
      JSON.stringify({ ...config, hub: { ...config.hub, id: 'edge-sharded', shards: 4 } }),
    );
    const { bundle } = await buildHubBundle(shardedConfig, 'cloudflare', undefined, {
      allowLiteralSecrets: true,
    });
    await using sharded = await startWorker(String(bundle.files[0]?.content));
    const at = sharded.origin;
    const send = (path: string, key: string, body?: unknown) =>
      fetch(new URL(path, at), {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    // Held: refused on whichever objects these land on (their hubs start and hold it back).
    for (let round = 0; round < 8; round += 1) {
      const refused = await send('/api/v1/tools/everything__echo:call', userKey, {
        message: 'x',
      });
      expect(refused.status).toBeGreaterThanOrEqual(400);
      await refused.body?.cancel();
    }
    const approved = await send('/admin/v1/tools/everything/echo/approve', adminKey);
    expect(approved.status).toBe(200);
    await approved.body?.cancel();
    // Requests go to any of the four objects: the approval reaches the hubs already running on
    // the others over the store's pub/sub, so a call there may come just before it does.
    const callUntilPassed = async (message: string) => {
      for (let attempt = 0; ; attempt += 1) {
        const answer = await send('/api/v1/tools/everything__echo:call', userKey, { message });
        if (answer.status === 200 || attempt === 50) return answer;
        await answer.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    for (let round = 0; round < 8; round += 1) {
      const passed = await callUntilPassed(`shard ${round}`);
      expect(passed.status).toBe(200);
      expect(((await passed.json()) as { content: unknown }).content).toEqual([
        { type: 'text', text: `Echo: shard ${round}` },
      ]);
    }
  }, 120_000);
});

describe('the admin API of the Supabase build (Deno)', () => {
  it('serves the dashboard and the admin API under the function slug', async () => {
    const { bundle } = await buildHubBundle(configFile, 'supabase', 'fedmcp-hub', {
      allowLiteralSecrets: true,
    });
    await using hub = await startFunction(
      String(bundle.files[0]?.content ?? ''),
      join(bed.directory, 'function.js'),
    );
    const at = `${hub.origin}/fedmcp-hub`;
    const page = await fetch(`${at}/ui/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    await page.body?.cancel();
    const tools = await fetch(`${at}/admin/v1/tools`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(tools.status).toBe(200);
    expect(((await tools.json()) as { tools: Array<{ name: string }> }).tools).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'everything__echo' })]),
    );
    const refused = await fetch(`${at}/admin/v1/tools`, {
      headers: { authorization: `Bearer ${userKey}` },
    });
    expect(refused.status).toBe(403);
    await refused.body?.cancel();
  }, 120_000);
});
