import { describe, expect, it } from 'vitest';
import { createTestUpstream } from '../test/fixtures/test-upstream.js';
import { connectLegacyClient, eventually, memoryConnector, textOf } from '../test/helpers.js';
import { createHub } from './index.js';
import { createToolFilter, globToRegExp } from './tool-filter.js';

describe('tool filter globs', () => {
  it('matches * as any run and ? as one character, escaping everything else', () => {
    expect(globToRegExp('read_*').test('read_file')).toBe(true);
    expect(globToRegExp('read_*').test('read_')).toBe(true);
    expect(globToRegExp('read_*').test('xread_file')).toBe(false);
    expect(globToRegExp('ech?').test('echo')).toBe(true);
    expect(globToRegExp('ech?').test('ech')).toBe(false);
    expect(globToRegExp('a.b+(c)').test('a.b+(c)')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('requires an allow match when allow is given, and lets deny win', () => {
    const visible = createToolFilter({ allow: ['e*', 'log'], deny: ['elicit*'] });
    expect(['echo', 'elicit', 'elicit-url', 'log', 'fail'].filter(visible)).toEqual([
      'echo',
      'log',
    ]);
    expect(createToolFilter({ deny: ['fail'] })('echo')).toBe(true);
    expect(createToolFilter(undefined)('anything')).toBe(true);
  });
});

describe('UpstreamOptions.tools', () => {
  it('hides filtered tools from lists and refuses calls to them with -32602', async () => {
    await using hub = createHub({
      connect: memoryConnector({
        alpha: () => createTestUpstream({ name: 'alpha' }).server,
        beta: () => createTestUpstream({ name: 'beta' }).server,
      }),
      upstreams: {
        alpha: {
          url: 'memory://alpha',
          tools: { allow: ['ech?', 'el*', 'add-tool'], deny: ['elicit*'] },
        },
        beta: { url: 'memory://beta', tools: { deny: ['*'] } },
      },
      healthIntervalMs: 0,
      listChangedDebounceMs: 10,
    });
    await hub.start();
    const client = await connectLegacyClient(hub);
    const names = async () => (await client.listTools()).tools.map((tool) => tool.name).sort();
    expect(await names()).toEqual(['alpha__add-tool', 'alpha__echo']);
    expect(hub.upstreams.list().map((status) => status.tools)).toEqual([2, 0]);
    expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: 'x' } }))).toBe(
      'alpha:x',
    );
    for (const name of ['alpha__fail', 'alpha__elicit', 'beta__echo']) {
      await expect(client.callTool({ name, arguments: {} })).rejects.toMatchObject({
        code: -32602,
      });
    }
    // A tool the upstream adds later goes through the same filter ('extra' is not allowed).
    await client.callTool({ name: 'alpha__add-tool', arguments: {} });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await eventually(async () => (await names()).length === 2);
    expect(await names()).toEqual(['alpha__add-tool', 'alpha__echo']);
    await client.close();
  });
});
