import { createRequestStateCodec } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import type { HubHandler } from './create-hub-handler.js';
import { defineHubObject, forwardToHubObject, type HubObjectNamespace } from './hub-object.js';

const answering = (text: string): HubHandler =>
  Object.assign(async () => new Response(text), {
    fetch: async () => new Response(text),
    close: async () => {},
  });

describe('defineHubObject', () => {
  it('builds the hub once, with the object env, and serves every request with it', async () => {
    const builds: unknown[] = [];
    const HubObject = defineHubObject<{ name: string }>(async (env, state) => {
      builds.push([env, state]);
      return answering(`hub of ${env.name}`);
    });
    const object = new HubObject({ id: 'state' }, { name: 'edge' });
    const answers = await Promise.all(
      [1, 2, 3].map(async () => (await object.fetch(new Request('http://hub/mcp'))).text()),
    );
    expect(answers).toEqual(['hub of edge', 'hub of edge', 'hub of edge']);
    expect(builds).toEqual([[{ name: 'edge' }, { id: 'state' }]]);
  });

  it('tells the build the object name the runtime gives its id', async () => {
    const names: Array<string | undefined> = [];
    const HubObject = defineHubObject<object>(async (_env, _state, object) => {
      names.push(object.name);
      return answering('ok');
    });
    await new HubObject({ id: { name: 'hub-2' } }, {}).fetch(new Request('http://hub/mcp'));
    await new HubObject({ id: {} }, {}).fetch(new Request('http://hub/mcp'));
    expect(names).toEqual(['hub-2', undefined]);
  });

  it('answers 503 saying why when the hub cannot start, and tries again on the next request', async () => {
    let attempt = 0;
    const HubObject = defineHubObject<object>(async () => {
      attempt += 1;
      if (attempt === 1) throw new Error('UPSTREAM_URL is not bound');
      return answering('started');
    });
    const object = new HubObject({}, {});
    const refused = await object.fetch(new Request('http://hub/mcp'));
    expect(refused.status).toBe(503);
    expect(JSON.stringify(await refused.json())).toContain(
      'The hub could not start: UPSTREAM_URL is not bound',
    );
    expect(await (await object.fetch(new Request('http://hub/mcp'))).text()).toBe('started');
  });
});

describe('forwardToHubObject', () => {
  it('passes the request unchanged to the object of the name (default "hub")', async () => {
    const seen: Array<[string, string]> = [];
    const namespace: HubObjectNamespace = {
      idFromName: (name) => `id:${name}`,
      get: (id) => ({
        fetch: async (request) => {
          seen.push([String(id), request.url]);
          return new Response('ok');
        },
      }),
    };
    const request = new Request('https://edge.example.com/mcp?x=1', { method: 'POST', body: '{}' });
    expect(await (await forwardToHubObject(request, namespace)).text()).toBe('ok');
    await forwardToHubObject(new Request('https://edge.example.com/healthz'), namespace, {
      name: 'eu',
    });
    expect(seen).toEqual([
      ['id:hub', 'https://edge.example.com/mcp?x=1'],
      ['id:eu', 'https://edge.example.com/healthz'],
    ]);
  });
});

/** A namespace whose objects record what they get and answer with a session id of their own. */
function recordingNamespace() {
  const seen: Array<{ object: string; session: string | null; body: string }> = [];
  const namespace: HubObjectNamespace = {
    idFromName: (name) => name,
    get: (id) => ({
      fetch: async (request) => {
        const session = request.headers.get('mcp-session-id');
        seen.push({ object: String(id), session, body: await request.text() });
        return new Response(`from ${String(id)}`, {
          headers: { 'mcp-session-id': session ?? `s-of-${String(id)}` },
        });
      },
    }),
  };
  return { seen, namespace };
}

describe('forwardToHubObject with shards', () => {
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    new Request('https://edge.example.com/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('spreads session-less requests and keeps a session on the object that opened it', async () => {
    const { seen, namespace } = recordingNamespace();
    const sessions = new Set<string>();
    for (let index = 0; index < 40; index += 1) {
      const answer = await forwardToHubObject(post({ method: 'initialize' }), namespace, {
        shards: 4,
      });
      sessions.add(answer.headers.get('mcp-session-id')!);
    }
    expect(new Set(seen.map((entry) => entry.object)).size).toBeGreaterThan(1);
    for (const session of sessions) {
      const [shard] = session.split('.');
      expect(session).toBe(`${shard}.s-of-hub-${shard}`);
      seen.length = 0;
      const answer = await forwardToHubObject(
        post({ method: 'tools/list' }, { 'mcp-session-id': session }),
        namespace,
        { shards: 4 },
      );
      expect(seen).toEqual([
        { object: `hub-${shard}`, session: `s-of-hub-${shard}`, body: '{"method":"tools/list"}' },
      ]);
      expect(answer.headers.get('mcp-session-id')).toBe(session);
    }
  });

  it('answers 404 "Session not found" for a session id naming no shard, without passing it on', async () => {
    const { seen, namespace } = recordingNamespace();
    for (const forged of ['4.s-of-hub-1', 'x.abc', 's-of-hub-1', '01.abc', '1.', '-1.a']) {
      const answer = await forwardToHubObject(
        new Request('https://edge.example.com/mcp', { headers: { 'mcp-session-id': forged } }),
        namespace,
        { shards: 4 },
      );
      expect(answer.status).toBe(404);
      expect(JSON.stringify(await answer.json())).toContain('Session not found');
    }
    expect(seen).toEqual([]);
  });

  it('passes a retry to the object its requestState names', async () => {
    const { seen, namespace } = recordingNamespace();
    const codec = createRequestStateCodec<string>({ key: 'k'.repeat(32) });
    const state = await codec.mint(`hub-2.${crypto.randomUUID()}`);
    const retry = { method: 'tools/call', params: { name: 'x', requestState: state } };
    for (let index = 0; index < 8; index += 1) {
      await forwardToHubObject(post(retry), namespace, { shards: 4 });
    }
    expect(seen.map((entry) => entry.object)).toEqual(Array(8).fill('hub-2'));
    expect(seen[0]!.body).toBe(JSON.stringify(retry));
    // A holder that is no shard of the hub: any object (its flow forwarding finds the holder).
    const stranger = await codec.mint(`elsewhere.${crypto.randomUUID()}`);
    const answer = await forwardToHubObject(
      post({ method: 'tools/call', params: { requestState: stranger } }),
      namespace,
      { shards: 4 },
    );
    expect(await answer.text()).toMatch(/^from hub-[0-3]$/);
  });

  it('refuses a session-less body over the bound with 413', async () => {
    const { seen, namespace } = recordingNamespace();
    const answer = await forwardToHubObject(post({ pad: 'x'.repeat(200) }), namespace, {
      shards: 2,
      maxBodyBytes: 100,
    });
    expect(answer.status).toBe(413);
    expect(seen).toEqual([]);
  });

  it('refuses a shard count that is not an integer from 1 to 1024', () => {
    const { namespace } = recordingNamespace();
    expect(() =>
      forwardToHubObject(new Request('https://edge.example.com/'), namespace, { shards: 0 }),
    ).toThrow(/shards must be an integer from 1 to 1024/);
  });
});
