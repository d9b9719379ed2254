import { describe, expect, it } from 'vitest';
import { createTestUpstream } from '../test/fixtures/test-upstream.js';
import { connectLegacyClient, memoryConnector, textOf } from '../test/helpers.js';
import { createHub } from './index.js';

function twoUpstreamHub(
  options: { alphaPrefix?: string | false; betaPrefix?: string | false } = {},
) {
  return createHub({
    connect: memoryConnector({
      alpha: () => createTestUpstream({ name: 'alpha', fillerTools: 30, pageSize: 7 }).server,
      beta: () => createTestUpstream({ name: 'beta' }).server,
    }),
    upstreams: {
      alpha: {
        url: 'memory://alpha',
        ...(options.alphaPrefix !== undefined ? { prefix: options.alphaPrefix } : {}),
      },
      beta: {
        url: 'memory://beta',
        ...(options.betaPrefix !== undefined ? { prefix: options.betaPrefix } : {}),
      },
    },
    pageSize: 10,
    healthIntervalMs: 0,
  });
}

describe('createHub aggregation', () => {
  it('lists namespaced tools of two upstreams and routes calls to each', async () => {
    await using hub = twoUpstreamHub();
    await hub.start();
    const client = await connectLegacyClient(hub);
    const { tools } = await client.listTools();
    const names = tools.map((tool) => tool.name);
    expect(names).toContain('alpha__echo');
    expect(names).toContain('beta__echo');
    expect(names).toContain('alpha__filler-29');
    expect(names.filter((name) => name.startsWith('alpha__'))).toHaveLength(16 + 30);
    expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: 'hi' } }))).toBe(
      'alpha:hi',
    );
    expect(textOf(await client.callTool({ name: 'beta__echo', arguments: { text: 'yo' } }))).toBe(
      'beta:yo',
    );
    await client.close();
  });

  it('preserves upstream metadata and leaves inputSchema untouched', async () => {
    await using hub = twoUpstreamHub();
    await hub.start();
    const client = await connectLegacyClient(hub);
    const { tools } = await client.listTools();
    const echo = tools.find((tool) => tool.name === 'beta__echo');
    expect(echo).toMatchObject({
      title: 'Echo',
      description: 'Echoes text',
      annotations: { readOnlyHint: true },
      _meta: { 'example.com/kept': true },
      inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
      outputSchema: { type: 'object', properties: { echoed: { type: 'string' } } },
    });
    const result = await client.callTool({ name: 'beta__echo', arguments: { text: 'x' } });
    expect(result.structuredContent).toEqual({ echoed: 'x' });
    await client.close();
  });

  it('paginates with hub-issued cursors and refuses an invalid cursor with -32602', async () => {
    await using hub = twoUpstreamHub();
    await hub.start();
    const client = await connectLegacyClient(hub);
    const first = await client.listTools({ cursor: undefined } as never);
    const pages = [];
    let cursor: string | undefined;
    do {
      const page = await client.request({ method: 'tools/list', params: cursor ? { cursor } : {} });
      pages.push(page.tools.length);
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages[0]).toBe(10);
    expect(pages.reduce((sum, count) => sum + count, 0)).toBe(first.tools.length);
    await expect(
      client.request({ method: 'tools/list', params: { cursor: 'bogus' } }),
    ).rejects.toMatchObject({
      code: -32602,
    });
    await client.close();
  });

  it('answers an unknown tool with -32602 and forwards upstream errors with code and data', async () => {
    await using hub = twoUpstreamHub();
    await hub.start();
    const client = await connectLegacyClient(hub);
    await expect(client.callTool({ name: 'nope__echo', arguments: {} })).rejects.toMatchObject({
      code: -32602,
    });
    await expect(client.callTool({ name: 'alpha__fail', arguments: {} })).rejects.toMatchObject({
      code: -32050,
      message: 'upstream refused',
      data: { reason: 'test', detail: 42 },
    });
    await client.close();
  });

  it('maps resource URIs in lists, reads, templates and tool results', async () => {
    await using hub = twoUpstreamHub();
    await hub.start();
    const client = await connectLegacyClient(hub);
    const { resources } = await client.listResources();
    expect(resources.map((resource) => resource.uri)).toEqual([
      'fedmcp://alpha/test://item/1',
      'fedmcp://alpha/test://item/2',
      'fedmcp://beta/test://item/1',
      'fedmcp://beta/test://item/2',
    ]);
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate)).toContain(
      'fedmcp://beta/test://item/{id}',
    );
    const read = await client.readResource({ uri: 'fedmcp://beta/test://item/7' });
    expect(read.contents[0]).toMatchObject({
      uri: 'fedmcp://beta/test://item/7',
      text: 'beta item 7',
    });
    const linked = await client.callTool({ name: 'alpha__link', arguments: {} });
    expect(linked.content).toEqual([
      { type: 'resource_link', uri: 'fedmcp://alpha/test://item/1', name: 'item 1' },
      { type: 'resource', resource: { uri: 'fedmcp://alpha/test://item/2', text: 'item 2' } },
    ]);
    await client.close();
  });

  it('routes prompts and completions by name and ref', async () => {
    await using hub = twoUpstreamHub();
    await hub.start();
    const client = await connectLegacyClient(hub);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((prompt) => prompt.name)).toEqual(['alpha__greet', 'beta__greet']);
    const prompt = await client.getPrompt({ name: 'beta__greet', arguments: { name: 'Ada' } });
    expect(prompt.messages[0]?.content).toEqual({ type: 'text', text: 'Hello Ada from beta' });
    const completion = await client.complete({
      ref: { type: 'ref/prompt', name: 'alpha__greet' },
      argument: { name: 'name', value: 'al' },
    });
    expect(completion.completion.values).toEqual(['alice', 'alex']);
    const templateCompletion = await client.complete({
      ref: { type: 'ref/resource', uri: 'fedmcp://beta/test://item/{id}' },
      argument: { name: 'id', value: 'b' },
    });
    expect(templateCompletion.completion.values).toEqual(['bob']);
    await client.close();
  });

  it('exposes names unchanged with prefix false and refuses a collision naming both upstreams', async () => {
    await using unprefixed = createHub({
      connect: memoryConnector({ alpha: () => createTestUpstream({ name: 'alpha' }).server }),
      upstreams: { alpha: { url: 'memory://alpha', prefix: false } },
      healthIntervalMs: 0,
    });
    await unprefixed.start();
    const client = await connectLegacyClient(unprefixed);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('echo');
    expect(textOf(await client.callTool({ name: 'echo', arguments: { text: 'plain' } }))).toBe(
      'alpha:plain',
    );
    expect((await client.readResource({ uri: 'test://item/3' })).contents[0]).toMatchObject({
      uri: 'test://item/3',
    });
    await client.close();

    await using colliding = twoUpstreamHub({ alphaPrefix: false, betaPrefix: false });
    await expect(colliding.start()).rejects.toThrow(
      /"alpha" and "beta" both expose the tool "echo"/,
    );
  });

  it('adds and removes upstreams at runtime and reports their state', async () => {
    await using hub = createHub({
      connect: memoryConnector({ alpha: () => createTestUpstream({ name: 'alpha' }).server }),
      healthIntervalMs: 0,
    });
    const changes: string[] = [];
    hub.onUpstreamStateChange((change) => changes.push(`${change.id}:${change.state}`));
    const client = await connectLegacyClient(hub);
    expect((await client.listTools()).tools).toHaveLength(0);
    const status = await hub.upstreams.add('alpha', { url: 'memory://alpha' });
    expect(status).toMatchObject({ id: 'alpha', state: 'ready', era: 'legacy', connections: 1 });
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await expect(hub.upstreams.add('alpha', { url: 'memory://alpha' })).rejects.toThrow(
      /already registered/,
    );
    await expect(hub.upstreams.add('Bad Id', { url: 'memory://alpha' })).rejects.toThrow(
      /Invalid upstream id/,
    );
    await hub.upstreams.remove('alpha');
    expect(hub.upstreams.list()).toEqual([]);
    expect((await client.listTools()).tools).toHaveLength(0);
    expect(changes).toEqual(['alpha:ready', 'alpha:closed']);
    await client.close();
  });
});

describe('hub.upstreams.sync', () => {
  it('adds, removes and replaces upstreams to match a desired set, leaving unchanged ones alone', async () => {
    await using hub = twoUpstreamHub();
    await hub.start();
    const client = await connectLegacyClient(hub);
    const result = await hub.upstreams.sync({
      alpha: { url: 'memory://alpha' },
      gamma: { url: 'memory://beta', prefix: 'gamma' },
    });
    expect(result).toEqual({ added: ['gamma'], removed: ['beta'], changed: [] });
    expect(hub.upstreams.list().map((upstream) => upstream.id)).toEqual(['alpha', 'gamma']);
    expect(textOf(await client.callTool({ name: 'gamma__echo', arguments: { text: 'g' } }))).toBe(
      'beta:g',
    );
    const changed = await hub.upstreams.sync({
      alpha: { url: 'memory://alpha', prefix: 'a' },
      gamma: { url: 'memory://beta', prefix: 'gamma' },
    });
    expect(changed).toEqual({ added: [], removed: [], changed: ['alpha'] });
    expect(textOf(await client.callTool({ name: 'a__echo', arguments: { text: 'x' } }))).toBe(
      'alpha:x',
    );
    await client.close();
  });
});
