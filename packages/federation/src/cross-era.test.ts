import type { Client } from '@modelcontextprotocol/client';
import { describe, expect, it } from 'vitest';
import { createTestUpstream } from '../test/fixtures/test-upstream.js';
import {
  connectLegacyClient,
  connectModernClient,
  connectV1Client,
  eventually,
  INTERACTIVE,
  modernConnector,
  textOf,
} from '../test/helpers.js';
import { createHub } from './index.js';

function answer(client: Client, tag: string) {
  client.setRequestHandler('sampling/createMessage', async () => ({
    model: 'm',
    role: 'assistant',
    content: { type: 'text', text: tag },
  }));
  client.setRequestHandler('elicitation/create', async () => ({
    action: 'accept',
    content: { name: tag },
  }));
  client.setRequestHandler('roots/list', async () => ({ roots: [{ uri: `file:///${tag}` }] }));
}

describe('across protocol eras', () => {
  it('serves 2025-era and 2026-07-28 clients in front of a 2026-07-28 upstream', async () => {
    await using hub = createHub({
      connect: modernConnector({
        modern: (notify) =>
          createTestUpstream({
            name: 'modern',
            onResourceUpdated: (uri) => notify.resourceUpdated(uri),
          }).server,
      }),
      upstreams: { modern: { url: 'memory://modern' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    expect(hub.upstreams.list()[0]).toMatchObject({ state: 'ready', era: 'modern' });

    const legacy = await connectLegacyClient(hub, INTERACTIVE, (client) =>
      answer(client, 'legacy'),
    );
    expect(textOf(await legacy.callTool({ name: 'modern__echo', arguments: { text: 'x' } }))).toBe(
      'modern:x',
    );
    const progress: number[] = [];
    await legacy.callTool(
      { name: 'modern__progress', arguments: { steps: 2 } },
      { onprogress: (update) => progress.push(update.progress) },
    );
    expect(progress).toEqual([1, 2]);
    expect(
      textOf(await legacy.callTool({ name: 'modern__sample', arguments: { prompt: 'p' } })),
    ).toBe('sampled:legacy');
    expect(textOf(await legacy.callTool({ name: 'modern__elicit', arguments: {} }))).toBe(
      'elicited:accept:{"name":"legacy"}',
    );
    expect(textOf(await legacy.callTool({ name: 'modern__roots', arguments: {} }))).toBe(
      'roots:[{"uri":"file:///legacy"}]',
    );

    const v1 = await connectV1Client(hub);
    expect(textOf(await v1.callTool({ name: 'modern__echo', arguments: { text: 'v1' } }))).toBe(
      'modern:v1',
    );
    expect(textOf(await v1.callTool({ name: 'modern__roots', arguments: {} }))).toBe('roots:[]');

    const modern = await connectModernClient(hub, INTERACTIVE, (client) => answer(client, 'new'));
    expect(
      textOf(await modern.client.callTool({ name: 'modern__sample', arguments: { prompt: 'p' } })),
    ).toBe('sampled:new');
    await expect(
      modern.client.callTool({ name: 'modern__fail', arguments: {} }),
    ).rejects.toMatchObject({
      code: -32050,
      data: { reason: 'test', detail: 42 },
    });
    await modern.close();
    await v1.close();
    await legacy.close();
  });

  it('subscribes to a 2026-07-28 upstream resource through its listen stream', async () => {
    await using hub = createHub({
      connect: modernConnector({
        modern: (notify) =>
          createTestUpstream({
            name: 'modern',
            onResourceUpdated: (uri) => notify.resourceUpdated(uri),
          }).server,
      }),
      upstreams: { modern: { url: 'memory://modern' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const updates: string[] = [];
    const client = await connectLegacyClient(hub, {}, (created) =>
      created.setNotificationHandler('notifications/resources/updated', (notification) => {
        updates.push(notification.params.uri);
      }),
    );
    await client.subscribeResource({ uri: 'fedmcp://modern/test://item/1' });
    await client.callTool({ name: 'modern__touch', arguments: { uri: 'test://item/1' } });
    await eventually(() => updates.length === 1);
    expect(updates).toEqual(['fedmcp://modern/test://item/1']);
    await client.close();
  });

  it('stamps the client log level on requests to a 2026-07-28 upstream and relays its logs to the caller', async () => {
    await using hub = createHub({
      connect: modernConnector({ modern: () => createTestUpstream({ name: 'modern' }).server }),
      upstreams: { modern: { url: 'memory://modern' } },
      healthIntervalMs: 0,
    });
    await hub.start();
    const legacyMessages: unknown[] = [];
    const legacy = await connectLegacyClient(hub, {}, (created) =>
      created.setNotificationHandler('notifications/message', (notification) => {
        legacyMessages.push(notification.params);
      }),
    );
    await legacy.setLoggingLevel('warning');
    await legacy.callTool({ name: 'modern__log', arguments: { level: 'info' } }); // below warning
    await legacy.callTool({ name: 'modern__log', arguments: { level: 'error' } });
    await eventually(() => legacyMessages.length === 1);
    expect(legacyMessages).toEqual([{ level: 'error', logger: 'modern', data: 'hello' }]);

    const modernMessages: unknown[] = [];
    const modern = await connectModernClient(hub, {}, (created) =>
      created.setNotificationHandler('notifications/message', (notification) => {
        modernMessages.push(notification.params);
      }),
    );
    const call = (level: string, logLevel?: string) =>
      modern.client.callTool({
        name: 'modern__log',
        arguments: { level },
        ...(logLevel ? { _meta: { 'io.modelcontextprotocol/logLevel': logLevel } } : {}),
      });
    await call('notice', 'info');
    await call('debug', 'info'); // below the requested level
    await call('error'); // no level on the request = no log messages
    expect(modernMessages).toEqual([{ level: 'notice', logger: 'modern', data: 'hello' }]);
    expect(legacyMessages).toHaveLength(1); // the 2026-07-28 client's logs stayed its own
    await modern.close();
    await legacy.close();
  });
});
