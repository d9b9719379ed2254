/**
 * A session's handlers are installed on first use (hub-session.ts, the HubServer seam): an idle
 * session holds none, the installation table lists exactly what each group registers, and the
 * handlers then work as eagerly registered ones did (the SDK's logging/setLevel stays replaced).
 * The 2026-07-28 task methods (registered with schemas, asked for before their handler) are
 * exercised by the tasks tests (task-extension-forward.test.ts and others).
 */

import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { createTestUpstream, type TestUpstreamState } from '../test/fixtures/test-upstream.js';
import { eventually, memoryConnector } from '../test/helpers.js';
import { sessionMethods } from './hub-session.js';
import { createHub } from './index.js';

function hubWith(state?: TestUpstreamState) {
  return createHub({
    connect: memoryConnector({ alpha: () => createTestUpstream({ name: 'alpha' }, state).server }),
    upstreams: { alpha: { url: 'memory://alpha' } },
    healthIntervalMs: 0,
  });
}

/** The SDK Protocol's handler tables (private in SDK 2.4.0), read as plain maps. */
function tables(server: object) {
  const fields = server as {
    _requestHandlers: Map<string, unknown>;
    _notificationHandlers: Map<string, unknown>;
  };
  const keys = (map: Map<string, unknown>) => new Set(Map.prototype.keys.call(map));
  return {
    requests: fields._requestHandlers,
    notifications: fields._notificationHandlers,
    registered: () =>
      new Set([...keys(fields._requestHandlers), ...keys(fields._notificationHandlers)]),
  };
}

describe('session handlers installed on first use', () => {
  it('an idle session holds none of them; looking a method up installs exactly its group', async () => {
    await using hub = hubWith();
    await hub.start();
    const server = hub.createServer({ era: 'legacy', transport: 'in-memory' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'idle', version: '1.0.0' }, { capabilities: {} });
    await client.connect(clientSide);
    const table = tables(server);
    const idle = table.registered();
    for (const method of sessionMethods) expect(idle.has(method)).toBe(false);
    for (const method of sessionMethods) {
      const before = table.registered();
      const map = method.startsWith('notifications/') ? table.notifications : table.requests;
      expect(map.get(method)).toBeTypeOf('function');
      // Whatever the group added is in the table (nothing registered behind its back).
      for (const added of table.registered()) {
        if (!before.has(added)) expect(sessionMethods.has(added)).toBe(true);
      }
    }
    const all = table.registered();
    for (const method of sessionMethods) expect(all.has(method)).toBe(true);
    await client.close();
  });

  it('answers through installed handlers, the hub own logging/setLevel included', async () => {
    const state: TestUpstreamState = {
      cancelled: 0,
      subscribed: [],
      unsolicitedRoots: undefined,
      logLevel: undefined,
    };
    await using hub = hubWith(state);
    await hub.start();
    const server = hub.createServer({ era: 'legacy', transport: 'in-memory' });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'lazy', version: '1.0.0' }, { capabilities: {} });
    await client.connect(clientSide);
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain('alpha__echo');
    await client.setLoggingLevel('debug');
    // The hub's handler applies the level upstream (the SDK's own would only keep it locally).
    await eventually(() => expect(state.logLevel).toBe('debug'));
    await client.close();
  });
});
