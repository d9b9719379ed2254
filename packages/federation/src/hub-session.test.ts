import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { createTestUpstream, type TestUpstreamState } from '../test/fixtures/test-upstream.js';
import {
  connectLegacyClient,
  connectModernClient,
  connectV1Client,
  eventually,
  INTERACTIVE,
  memoryConnector,
  textOf,
} from '../test/helpers.js';
import { createHub } from './index.js';

function hubWith(state?: TestUpstreamState) {
  return createHub({
    connect: memoryConnector({ alpha: () => createTestUpstream({ name: 'alpha' }, state).server }),
    upstreams: { alpha: { url: 'memory://alpha' } },
    healthIntervalMs: 0,
    listChangedDebounceMs: 10,
  });
}

function answerEverything(client: Client, tag: string) {
  client.setRequestHandler('sampling/createMessage', async () => ({
    model: 'test-model',
    role: 'assistant',
    content: { type: 'text', text: `from-${tag}` },
  }));
  client.setRequestHandler('elicitation/create', async () => ({
    action: 'accept',
    content: { name: tag },
  }));
  client.setRequestHandler('roots/list', async () => ({
    roots: [{ uri: `file:///${tag}`, name: tag }],
  }));
}

describe('hub forwarding', () => {
  it('re-emits upstream progress with the client token', async () => {
    await using hub = hubWith();
    await hub.start();
    const client = await connectLegacyClient(hub);
    const seen: number[] = [];
    const result = await client.callTool(
      { name: 'alpha__progress', arguments: { steps: 3 } },
      { onprogress: (progress) => seen.push(progress.progress) },
    );
    expect(textOf(result)).toBe('done 3');
    expect(seen).toEqual([1, 2, 3]);
    await client.close();
    // The same through an interactive call (a leased connection and a flow).
    const interactive = await connectLegacyClient(hub, INTERACTIVE);
    const flowSeen: number[] = [];
    await interactive.callTool(
      { name: 'alpha__progress', arguments: { steps: 2 } },
      { onprogress: (progress) => flowSeen.push(progress.progress) },
    );
    expect(flowSeen).toEqual([1, 2]);
    await interactive.close();
  });

  it('passes cancellation to the upstream', async () => {
    const state: TestUpstreamState = {
      cancelled: 0,
      subscribed: [],
      unsolicitedRoots: undefined,
      logLevel: undefined,
    };
    await using hub = hubWith(state);
    await hub.start();
    const client = await connectLegacyClient(hub);
    const controller = new AbortController();
    const call = client.callTool(
      { name: 'alpha__slow', arguments: { ms: 30_000 } },
      { signal: controller.signal },
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort('stop');
    await expect(call).rejects.toThrow();
    await eventually(() => state.cancelled === 1);
    await client.close();
  });

  it('cancels the upstream call when a 2026-07-28 client aborts (closes the stream)', async () => {
    const state: TestUpstreamState = {
      cancelled: 0,
      subscribed: [],
      unsolicitedRoots: undefined,
      logLevel: undefined,
    };
    await using hub = hubWith(state);
    await hub.start();
    const { client, close } = await connectModernClient(hub);
    const controller = new AbortController();
    const call = client.callTool(
      { name: 'alpha__slow', arguments: { ms: 30_000 } },
      { signal: controller.signal },
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort('stop');
    await expect(call).rejects.toThrow();
    await eventually(() => state.cancelled === 1);
    await close();
  });

  it('brings sampling, elicitation and roots to a 2025-era v2 client', async () => {
    await using hub = hubWith();
    await hub.start();
    const includeContext: unknown[] = [];
    const client = await connectLegacyClient(hub, INTERACTIVE, (created) => {
      answerEverything(created, 'legacy');
      created.setRequestHandler('sampling/createMessage', async (request) => {
        includeContext.push(request.params.includeContext);
        return { model: 'm', role: 'assistant', content: { type: 'text', text: 'from-legacy' } };
      });
    });
    expect(
      textOf(await client.callTool({ name: 'alpha__sample', arguments: { prompt: 'hi' } })),
    ).toBe('sampled:from-legacy');
    // No sampling.context capability: the upstream's includeContext is downgraded to "none".
    expect(includeContext).toEqual(['none']);
    expect(textOf(await client.callTool({ name: 'alpha__elicit', arguments: {} }))).toBe(
      'elicited:accept:{"name":"legacy"}',
    );
    expect(textOf(await client.callTool({ name: 'alpha__roots', arguments: {} }))).toBe(
      'roots:[{"uri":"file:///legacy","name":"legacy"}]',
    );
    await client.close();
  });

  it('brings sampling, elicitation and roots to an SDK v1 client', async () => {
    await using hub = hubWith();
    await hub.start();
    const client = await connectV1Client(hub, INTERACTIVE);
    const { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema } =
      await import('@modelcontextprotocol/sdk/types.js');
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({
      model: 'v1',
      role: 'assistant',
      content: { type: 'text', text: 'from-v1' },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: [{ uri: 'file:///v1' }],
    }));
    expect(
      textOf(await client.callTool({ name: 'alpha__sample', arguments: { prompt: 'x' } })),
    ).toBe('sampled:from-v1');
    expect(textOf(await client.callTool({ name: 'alpha__elicit', arguments: {} }))).toBe(
      'elicited:decline:null',
    );
    expect(textOf(await client.callTool({ name: 'alpha__roots', arguments: {} }))).toBe(
      'roots:[{"uri":"file:///v1"}]',
    );
    await client.close();
  });

  it('brings sampling, elicitation and roots to a 2026-07-28 client through input_required', async () => {
    await using hub = hubWith();
    await hub.start();
    const { client, close } = await connectModernClient(hub, INTERACTIVE, (created) =>
      answerEverything(created, 'modern'),
    );
    expect(textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: 'm' } }))).toBe(
      'alpha:m',
    );
    expect(
      textOf(await client.callTool({ name: 'alpha__sample', arguments: { prompt: 'hi' } })),
    ).toBe('sampled:from-modern');
    expect(textOf(await client.callTool({ name: 'alpha__elicit', arguments: {} }))).toBe(
      'elicited:accept:{"name":"modern"}',
    );
    expect(textOf(await client.callTool({ name: 'alpha__roots', arguments: {} }))).toBe(
      'roots:[{"uri":"file:///modern","name":"modern"}]',
    );
    await close();
  });

  it('answers roots locally with no roots when the client declared none, and refuses sampling', async () => {
    await using hub = hubWith();
    await hub.start();
    const client = await connectLegacyClient(hub, { elicitation: {} });
    expect(textOf(await client.callTool({ name: 'alpha__roots', arguments: {} }))).toBe('roots:[]');
    const refused = await client
      .callTool({ name: 'alpha__sample', arguments: { prompt: 'x' } })
      .catch((error: unknown) => error);
    expect(JSON.stringify(refused)).toMatch(/sampling/);
    await client.close();
  });

  it('answers an unsolicited roots/list locally, never through another client', async () => {
    const state: TestUpstreamState = {
      cancelled: 0,
      subscribed: [],
      unsolicitedRoots: undefined,
      logLevel: undefined,
    };
    await using hub = hubWith(state);
    await hub.start();
    let asked = false;
    const bystander = await connectLegacyClient(hub, INTERACTIVE, (created) => {
      answerEverything(created, 'bystander');
      created.setRequestHandler('roots/list', async () => {
        asked = true;
        return { roots: [{ uri: 'file:///bystander' }] };
      });
    });
    const client = await connectLegacyClient(hub);
    await client.callTool({ name: 'alpha__ask-roots-later', arguments: {} });
    await eventually(() => state.unsolicitedRoots !== undefined);
    expect(state.unsolicitedRoots).toEqual({ roots: [] });
    expect(asked).toBe(false);
    await client.close();
    await bystander.close();
  });

  it('routes concurrent interactive calls of several clients to the client that caused them', async () => {
    await using hub = createHub({
      connect: memoryConnector({ alpha: () => createTestUpstream({ name: 'alpha' }).server }),
      upstreams: { alpha: { url: 'memory://alpha', maxConnections: 8 } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const legacy = await Promise.all(
      ['a', 'b', 'c'].map((tag) =>
        connectLegacyClient(hub, INTERACTIVE, (created) => answerEverything(created, tag)),
      ),
    );
    const modern = await connectModernClient(hub, INTERACTIVE, (created) =>
      answerEverything(created, 'd'),
    );
    const clients: Array<[string, Client]> = [
      ['a', legacy[0]!],
      ['b', legacy[1]!],
      ['c', legacy[2]!],
      ['d', modern.client],
    ];
    const results = await Promise.all(
      clients.flatMap(([tag, client]) => [
        client
          .callTool({ name: 'alpha__sample', arguments: { prompt: tag } })
          .then((result) => [tag, textOf(result)]),
        client
          .callTool({ name: 'alpha__elicit', arguments: {} })
          .then((result) => [tag, textOf(result)]),
      ]),
    );
    for (const [tag, text] of results) {
      expect([`sampled:from-${tag}`, `elicited:accept:{"name":"${tag}"}`]).toContain(text);
    }
    for (const client of legacy) await client.close();
    await modern.close();
  });

  it('subscribes upstream once and delivers mapped updates to subscribed clients only', async () => {
    const state: TestUpstreamState = {
      cancelled: 0,
      subscribed: [],
      unsolicitedRoots: undefined,
      logLevel: undefined,
    };
    await using hub = hubWith(state);
    await hub.start();
    const updates: Record<string, string[]> = { one: [], two: [], three: [] };
    const connect = (tag: string) =>
      connectLegacyClient(hub, {}, (client) =>
        client.setNotificationHandler('notifications/resources/updated', (notification) => {
          updates[tag]?.push(notification.params.uri);
        }),
      );
    const [one, two, three] = await Promise.all([connect('one'), connect('two'), connect('three')]);
    await one!.subscribeResource({ uri: 'fedmcp://alpha/test://item/1' });
    await two!.subscribeResource({ uri: 'fedmcp://alpha/test://item/1' });
    expect(state.subscribed).toEqual(['test://item/1']);
    await three!.callTool({ name: 'alpha__touch', arguments: { uri: 'test://item/1' } });
    await eventually(() => updates.one!.length === 1 && updates.two!.length === 1);
    expect(updates.one).toEqual(['fedmcp://alpha/test://item/1']);
    expect(updates.three).toEqual([]);
    await one!.unsubscribeResource({ uri: 'fedmcp://alpha/test://item/1' });
    expect(state.subscribed).toEqual(['test://item/1']);
    await two!.unsubscribeResource({ uri: 'fedmcp://alpha/test://item/1' });
    expect(state.subscribed).toEqual([]);
    for (const client of [one, two, three]) await client!.close();
  });

  it('propagates an upstream tools/list_changed to 2025 sessions and 2026 listen streams', async () => {
    await using hub = hubWith();
    await hub.start();
    let legacyChanged = 0;
    const client = await connectLegacyClient(hub, {}, (created) =>
      created.setNotificationHandler('notifications/tools/list_changed', () => {
        legacyChanged += 1;
      }),
    );
    const modern = await connectModernClient(hub);
    let modernChanged = 0;
    modern.client.setNotificationHandler('notifications/tools/list_changed', () => {
      modernChanged += 1;
    });
    const subscription = await modern.client.listen({ toolsListChanged: true });
    await client.callTool({ name: 'alpha__add-tool', arguments: {} });
    await eventually(() => legacyChanged === 1 && modernChanged === 1);
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('alpha__extra');
    await subscription.close();
    await client.close();
    await modern.close();
  });

  it('fans logging/setLevel out upstream and forwards log messages tagged with the upstream', async () => {
    const state: TestUpstreamState = {
      cancelled: 0,
      subscribed: [],
      unsolicitedRoots: undefined,
      logLevel: undefined,
    };
    await using hub = hubWith(state);
    await hub.start();
    const messages: unknown[] = [];
    const client = await connectLegacyClient(hub, {}, (created) =>
      created.setNotificationHandler('notifications/message', (notification) => {
        messages.push(notification.params);
      }),
    );
    await client.setLoggingLevel('warning');
    await eventually(() => state.logLevel === 'warning');
    await client.callTool({ name: 'alpha__log', arguments: { level: 'error' } });
    await eventually(() => messages.length === 1);
    expect(messages[0]).toMatchObject({ level: 'error', logger: 'alpha', data: 'hello' });
    await client.close();
  });

  it("sends an interactive call's upstream logs to its own client only, at its per-request level", async () => {
    await using hub = hubWith();
    await hub.start();
    const bystanderMessages: unknown[] = [];
    const bystander = await connectLegacyClient(hub, {}, (created) =>
      created.setNotificationHandler('notifications/message', (notification) => {
        bystanderMessages.push(notification.params);
      }),
    );
    const modernMessages: unknown[] = [];
    const modern = await connectModernClient(hub, INTERACTIVE, (created) =>
      created.setNotificationHandler('notifications/message', (notification) => {
        modernMessages.push(notification.params);
      }),
    );
    const call = (level: string, logLevel?: string) =>
      modern.client.callTool({
        name: 'alpha__log',
        arguments: { level },
        ...(logLevel ? { _meta: { 'io.modelcontextprotocol/logLevel': logLevel } } : {}),
      });
    await call('error', 'info');
    await call('debug', 'info'); // below the requested level
    await call('error'); // 2026-07-28: no level = no log messages
    expect(modernMessages).toEqual([{ level: 'error', logger: 'alpha', data: 'hello' }]);
    expect(bystanderMessages).toEqual([]);
    await modern.close();
    await bystander.close();
  });

  it('forwards URL-mode elicitation and its completion only to the initiating client', async () => {
    await using hub = hubWith();
    await hub.start();
    const completions: string[] = [];
    const client = await connectLegacyClient(hub, INTERACTIVE, (created) => {
      created.setRequestHandler('elicitation/create', async (request) => {
        expect(request.params).toMatchObject({
          mode: 'url',
          url: 'https://example.com/consent',
          elicitationId: 'consent-1',
        });
        return { action: 'accept' };
      });
      created.setNotificationHandler('notifications/elicitation/complete', (notification) => {
        completions.push(notification.params.elicitationId);
      });
    });
    expect(textOf(await client.callTool({ name: 'alpha__elicit-url', arguments: {} }))).toBe(
      'url:accept',
    );
    await client.close();
  });
});
