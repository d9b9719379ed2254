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
