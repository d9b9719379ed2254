/**
 * What a client would otherwise lose on the way through the hub, against real upstreams: the
 * upstreams' instructions, the right answer when an upstream asks a client that cannot answer,
 * and tools such a client can never use.
 */
import { McpServer } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { connectLegacyClient, INTERACTIVE, memoryConnector, textOf } from '../../test/helpers.js';
import { minimalEnv, repositoryRoot } from '../../test/node-helpers.js';
import { REQUIRES_CLIENT_CAPABILITIES_META } from '../client-capability-hints.js';
import { connectNodeUpstream, createHub } from './index.js';

const everything = {
  command: process.execPath,
  args: [
    `${repositoryRoot}node_modules/@modelcontextprotocol/server-everything/dist/index.js`,
    'stdio',
  ],
  env: minimalEnv,
};

/** An in-memory upstream with instructions and a tool marked as needing sampling. */
function markedUpstream(instructions: string) {
  const server = new McpServer({ name: 'marked', version: '1.0.0' }, { instructions });
  server.registerTool(
    'summarize',
    {
      description: 'Asks the client to sample.',
      _meta: { [REQUIRES_CLIENT_CAPABILITIES_META]: ['sampling'] },
    },
    async () => ({ content: [{ type: 'text', text: 'ok' }] }),
  );
  server.registerTool('plain', { description: 'Needs nothing.' }, async () => ({
    content: [{ type: 'text', text: 'ok' }],
  }));
  return server.server;
}

const names = async (client: Awaited<ReturnType<typeof connectLegacyClient>>) =>
  (await client.listTools()).tools.map((tool) => tool.name);

describe('nothing lost on the way', () => {
  it('answers an upstream’s sampling request during a call of a client without sampling with the missing-capability error', async () => {
    await using hub = createHub({ upstreams: { everything }, healthIntervalMs: 0 });
    await hub.start();
    const client = await connectLegacyClient(hub);
    try {
      const outcome = await client
        .callTool({
          name: 'everything__trigger-sampling-request',
          arguments: { prompt: 'p', maxTokens: 5 },
        })
        .then(textOf, (error: unknown) => String(error));
      expect(outcome).toContain('The client does not support sampling (no sampling capability).');
      expect(outcome).not.toContain('outside a tool call');
    } finally {
      await client.close();
    }
  }, 30_000);

  it('hides tools configured as needing a capability from clients without it', async () => {
    await using hub = createHub({
      upstreams: {
        everything: {
          ...everything,
          requiresClientCapabilities: {
            'trigger-sampling-request': ['sampling'],
            'trigger-elicitation-request': ['elicitation'],
            'get-roots-list': ['roots'],
          },
        },
      },
      healthIntervalMs: 0,
    });
    await hub.start();
    const plain = await connectLegacyClient(hub);
    const interactive = await connectLegacyClient(hub, INTERACTIVE);
    try {
      const hidden = [
        'everything__trigger-sampling-request',
        'everything__trigger-elicitation-request',
        'everything__get-roots-list',
      ];
      const plainNames = await names(plain);
      expect(plainNames).toContain('everything__echo');
      for (const name of hidden) expect(plainNames).not.toContain(name);
      const { tools } = await interactive.listTools();
      const sampling = tools.find((tool) => tool.name === hidden[0]);
      expect(sampling?._meta?.[REQUIRES_CLIENT_CAPABILITIES_META]).toEqual(['sampling']);
      expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(hidden));
    } finally {
      await plain.close();
      await interactive.close();
    }
  }, 30_000);

  it('hides a tool its upstream marks as needing sampling from a client without sampling', async () => {
    await using hub = createHub({
      connect: memoryConnector({ marked: () => markedUpstream('Marked tips.') }),
      upstreams: { marked: { url: 'memory://marked' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const plain = await connectLegacyClient(hub);
    const sampler = await connectLegacyClient(hub, { sampling: {} });
    try {
      expect(await names(plain)).toEqual(['marked__plain']);
      expect(await names(sampler)).toEqual(['marked__summarize', 'marked__plain']);
    } finally {
      await plain.close();
      await sampler.close();
    }
  });

  it('merges the upstreams’ instructions under their ids, as upstreams come and go', async () => {
    await using hub = createHub({
      instructions: 'Hub tips.',
      // server-everything over stdio, `marked` in memory.
      connect: (spec, options) =>
        'command' in spec
          ? connectNodeUpstream(spec, options)
          : memoryConnector({ marked: () => markedUpstream('Marked tips.') })(spec, options),
      upstreams: { everything },
      healthIntervalMs: 0,
    });
    await hub.start();
    const first = await connectLegacyClient(hub);
    const firstText = first.getInstructions() ?? '';
    await first.close();
    expect(firstText.startsWith('Hub tips.\n\n## everything\n')).toBe(true);
    expect(firstText.length).toBeGreaterThan(1000); // server-everything's own, whole

    await hub.upstreams.add('marked', { url: 'memory://marked' });
    const second = await connectLegacyClient(hub);
    expect(second.getInstructions()).toMatch(/\n\n## marked\nMarked tips\.$/);
    await second.close();

    await hub.upstreams.remove('everything');
    const third = await connectLegacyClient(hub);
    expect(third.getInstructions()).toBe('Hub tips.\n\n## marked\nMarked tips.');
    await third.close();
  }, 30_000);
});
