import type { Server } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { freshState, startUpstream } from '../test/fixtures/direct-upstream.js';
import { createTestUpstream, type TestUpstreamState } from '../test/fixtures/test-upstream.js';
import {
  connectLegacyClient,
  eventually,
  INTERACTIVE,
  memoryConnector,
  textOf,
} from '../test/helpers.js';
import { createHub } from './index.js';

describe('UpstreamConnection.rawRequest', () => {
  it('forwards a request as it is and resolves with the raw response, beside SDK requests', async () => {
    const { upstream, connection } = await startUpstream(freshState());
    const [raw, failed, sdk] = await Promise.all([
      connection.rawRequest(
        'tools/call',
        { name: 'echo', arguments: { text: 'raw' } },
        { timeoutMs: 5_000 },
      ),
      connection.rawRequest('tools/call', { name: 'fail', arguments: {} }, { timeoutMs: 5_000 }),
      connection.client!.callTool({ name: 'echo', arguments: { text: 'sdk' } }),
    ]);
    expect(raw).toEqual({
      jsonrpc: '2.0',
      id: expect.stringMatching(/^fedmcp-raw-/),
      result: {
        content: [{ type: 'text', text: 'alpha:raw' }],
        structuredContent: { echoed: 'raw' },
      },
    });
    expect(failed).toMatchObject({
      error: { code: -32050, message: 'upstream refused', data: { reason: 'test', detail: 42 } },
    });
    expect(textOf(sdk)).toBe('alpha:sdk');
    await upstream.close();
  });

  it('cancels the request upstream when aborted, and rejects after timeoutMs', async () => {
    const state = freshState();
    const { upstream, connection } = await startUpstream(state);
    const controller = new AbortController();
    const slow = connection.rawRequest(
      'tools/call',
      { name: 'slow', arguments: { ms: 10_000 } },
      { timeoutMs: 5_000, signal: controller.signal },
    );
    controller.abort(new Error('caller gave up'));
    await expect(slow).rejects.toThrow('caller gave up');
    await eventually(() => state.cancelled === 1);
    await expect(
      connection.rawRequest('tools/call', { name: 'hang', arguments: {} }, { timeoutMs: 50 }),
    ).rejects.toMatchObject({ code: 'REQUEST_TIMEOUT' });
    expect(connection.rawPending.size).toBe(0);
    await upstream.close();
  });

  it('rejects the raw requests in flight when the connection closes', async () => {
    const { upstream, connection } = await startUpstream(freshState());
    const hanging = connection.rawRequest(
      'tools/call',
      { name: 'hang', arguments: {} },
      { timeoutMs: 5_000 },
    );
    await upstream.close();
    await expect(hanging).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
    await expect(
      connection.rawRequest('ping', undefined, { timeoutMs: 5_000 }),
    ).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });
});

describe('upstream resilience and pooling', () => {
  it('times out an upstream that never answers', async () => {
    await using hub = createHub({
      connect: memoryConnector({ alpha: () => createTestUpstream({ name: 'alpha' }).server }),
      upstreams: { alpha: { url: 'memory://alpha', timeoutMs: 300 } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const client = await connectLegacyClient(hub);
    await expect(client.callTool({ name: 'alpha__hang', arguments: {} })).rejects.toMatchObject({
      code: -32061,
      data: { fedmcpCode: 'REQUEST_TIMEOUT', upstream: 'alpha' },
    });
    await client.close();
  });

  it('opens the circuit after repeated failures, withdraws the tools, and recovers', async () => {
    await using hub = createHub({
      connect: memoryConnector({ alpha: () => createTestUpstream({ name: 'alpha' }).server }),
      upstreams: { alpha: { url: 'memory://alpha', timeoutMs: 200 } },
      healthIntervalMs: 0,
      failureThreshold: 2,
      reconnectBaseMs: 50,
      reconnectMaxMs: 100,
      listChangedDebounceMs: 5,
    });
    await hub.start();
    const states: string[] = [];
    hub.onUpstreamStateChange((change) => states.push(change.state));
    let listChanged = 0;
    const client = await connectLegacyClient(hub, {}, (created) =>
      created.setNotificationHandler('notifications/tools/list_changed', () => {
        listChanged += 1;
      }),
    );
    await expect(client.callTool({ name: 'alpha__hang', arguments: {} })).rejects.toMatchObject({
      code: -32061,
    });
    await expect(client.callTool({ name: 'alpha__hang', arguments: {} })).rejects.toMatchObject({
      code: -32061,
    });
    await eventually(() => states.includes('ready'));
    expect(states.slice(0, 4)).toEqual(['degraded', 'down', 'connecting', 'ready']);
    await eventually(() => listChanged >= 2);
    expect(
      textOf(await client.callTool({ name: 'alpha__echo', arguments: { text: 'back' } })),
    ).toBe('alpha:back');
    await client.close();
  });

  it('serves the others while an upstream is down at start, and picks it up when it appears', async () => {
    let betaExists = false;
    await using hub = createHub({
      connect: memoryConnector({
        alpha: () => createTestUpstream({ name: 'alpha' }).server,
        beta: () => {
          if (!betaExists) throw new Error('connection refused');
          return createTestUpstream({ name: 'beta' }).server;
        },
      }),
      upstreams: { alpha: { url: 'memory://alpha' }, beta: { url: 'memory://beta' } },
      healthIntervalMs: 0,
      reconnectBaseMs: 50,
      reconnectMaxMs: 100,
      listChangedDebounceMs: 5,
    });
    await hub.start();
    // beta is down, or already retrying (connecting) under a slow machine.
    expect(hub.upstreams.list().map((upstream) => upstream.state)).toEqual([
      'ready',
      expect.stringMatching(/^(down|connecting)$/),
    ]);
    let listChanged = 0;
    const client = await connectLegacyClient(hub, {}, (created) =>
      created.setNotificationHandler('notifications/tools/list_changed', () => {
        listChanged += 1;
      }),
    );
    const names = (await client.listTools()).tools.map((tool) => tool.name);
    expect(names).toContain('alpha__echo');
    expect(names).not.toContain('beta__echo');
    await expect(client.callTool({ name: 'beta__echo', arguments: {} })).rejects.toMatchObject({
      code: -32060,
      data: { fedmcpCode: 'UPSTREAM_UNAVAILABLE', upstream: 'beta' },
    });
    const before = listChanged;
    betaExists = true;
    await eventually(async () =>
      (await client.listTools()).tools.some((tool) => tool.name === 'beta__echo'),
    );
    await eventually(() => listChanged > before);
    expect(textOf(await client.callTool({ name: 'beta__echo', arguments: { text: 'up' } }))).toBe(
      'beta:up',
    );
    await client.close();
  });

  it('refuses requests in failureMode closed while an upstream is down', async () => {
    await using hub = createHub({
      connect: memoryConnector({
        alpha: () => createTestUpstream({ name: 'alpha' }).server,
        beta: () => {
          throw new Error('connection refused');
        },
      }),
      upstreams: { alpha: { url: 'memory://alpha' }, beta: { url: 'memory://beta' } },
      failureMode: 'closed',
      healthIntervalMs: 0,
      reconnectBaseMs: 60_000,
    });
    await hub.start();
    const client = await connectLegacyClient(hub);
    await expect(client.listTools()).rejects.toMatchObject({ code: -32060 });
    await client.close();
  });

  it('bounds concurrent interactive calls by maxConnections and reaps idle extra connections', async () => {
    let created = 0;
    await using hub = createHub({
      connect: memoryConnector({
        alpha: (): Server => {
          created += 1;
          return createTestUpstream({ name: 'alpha' }).server;
        },
      }),
      upstreams: { alpha: { url: 'memory://alpha', maxConnections: 2 } },
      healthIntervalMs: 50,
      idleConnectionMs: 20,
    });
    await hub.start();
    const clients = await Promise.all(
      ['a', 'b', 'c'].map((tag) =>
        connectLegacyClient(hub, INTERACTIVE, (client) =>
          client.setRequestHandler('sampling/createMessage', async () => {
            await new Promise((resolve) => setTimeout(resolve, 50));
            return { model: 'm', role: 'assistant', content: { type: 'text', text: tag } };
          }),
        ),
      ),
    );
    const results = await Promise.all(
      clients.map((client) =>
        client.callTool({ name: 'alpha__sample', arguments: { prompt: 'x' } }).then(textOf),
      ),
    );
    expect(results).toEqual(['sampled:a', 'sampled:b', 'sampled:c']);
    expect(created).toBe(2);
    await eventually(() => hub.upstreams.list()[0]?.connections === 1);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('gives each session its own upstream connection with isolation per-session', async () => {
    let created = 0;
    await using hub = createHub({
      connect: memoryConnector({
        alpha: (): Server => {
          created += 1;
          return createTestUpstream({ name: 'alpha' }).server;
        },
      }),
      upstreams: { alpha: { url: 'memory://alpha', isolation: 'per-session' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const [one, two] = await Promise.all([connectLegacyClient(hub), connectLegacyClient(hub)]);
    await one!.callTool({ name: 'alpha__echo', arguments: { text: '1' } });
    await one!.callTool({ name: 'alpha__echo', arguments: { text: '1' } });
    await two!.callTool({ name: 'alpha__echo', arguments: { text: '2' } });
    expect(created).toBe(3);
    expect(hub.upstreams.list()[0]?.connections).toBe(3);
    await one!.close();
    await eventually(() => hub.upstreams.list()[0]?.connections === 2);
    await two!.close();
  });

  it('forwards a client roots/list_changed to the upstream connection bound to it', async () => {
    const state: TestUpstreamState = {
      cancelled: 0,
      subscribed: [],
      unsolicitedRoots: undefined,
      logLevel: undefined,
    };
    await using hub = createHub({
      connect: memoryConnector({
        alpha: () => createTestUpstream({ name: 'alpha' }, state).server,
      }),
      upstreams: { alpha: { url: 'memory://alpha', isolation: 'per-session' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const client = await connectLegacyClient(hub, { roots: { listChanged: true } }, (created) =>
      created.setRequestHandler('roots/list', async () => ({ roots: [{ uri: 'file:///one' }] })),
    );
    await client.callTool({ name: 'alpha__echo', arguments: { text: 'bind' } });
    await client.sendRootsListChanged();
    await eventually(() => state.rootsChanged === 1);
    // The owned connection asks its own client, outside any call.
    await client.callTool({ name: 'alpha__ask-roots-later', arguments: {} });
    await eventually(() => state.unsolicitedRoots !== undefined);
    expect(state.unsolicitedRoots).toEqual({ roots: [{ uri: 'file:///one' }] });
    await client.close();
  });
});
