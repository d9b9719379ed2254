import { PassThrough } from 'node:stream';
import { createStdioHost } from '@fedmcp/transports/node';
import { Client } from '@modelcontextprotocol/client';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { describe, expect, it } from 'vitest';
import { createTestUpstream, type TestUpstreamState } from '../../test/fixtures/test-upstream.js';
import { eventually, memoryConnector } from '../../test/helpers.js';
import { createHub } from './index.js';

describe('the hub behind the @fedmcp/transports stdio host', () => {
  it('feeds list_changed and subscribed resource updates to a 2026-07-28 listen stream', async () => {
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
      upstreams: { alpha: { url: 'memory://alpha' } },
      healthIntervalMs: 0,
      listChangedDebounceMs: 10,
    });
    await hub.start();
    const toHub = new PassThrough();
    const fromHub = new PassThrough();
    await using _host = createStdioHost({
      createServer: hub.createServer,
      bus: hub.bus,
      stdin: toHub,
      stdout: fromHub,
    });
    // The SDK's stdio server transport is plain newline-delimited JSON: it serves as the client end.
    const client = new Client(
      { name: 'stdio-modern', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    let listChanged = 0;
    const updates: string[] = [];
    client.setNotificationHandler('notifications/tools/list_changed', () => {
      listChanged += 1;
    });
    client.setNotificationHandler('notifications/resources/updated', (notification) => {
      updates.push(notification.params.uri);
    });
    await client.connect(new StdioServerTransport(fromHub, toHub));
    const uri = 'fedmcp://alpha/test://item/1';
    const subscription = await client.listen({
      toolsListChanged: true,
      resourceSubscriptions: [uri],
    });
    await eventually(() => state.subscribed.length === 1);
    expect(state.subscribed).toEqual(['test://item/1']);
    await client.callTool({ name: 'alpha__touch', arguments: { uri: 'test://item/1' } });
    await eventually(() => updates.length === 1);
    expect(updates).toEqual([uri]);
    await client.callTool({ name: 'alpha__add-tool', arguments: {} });
    await eventually(() => listChanged === 1);
    await subscription.close();
    await eventually(() => state.subscribed.length === 0);
    await client.close();
  }, 30_000);
});
