/**
 * A 2025-era cluster session restored on a replica without a copy while the shared store is
 * unreachable: the client is told so (503, retry), not that the replica is at its session limit.
 */
import { Server } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import { createClusterSessions } from '../cluster-sessions.js';
import type { SessionStateStore } from '../session-revocations.js';
import { createMcpHttpHost, type McpHttpHost } from './index.js';

const secret = 'a-cluster-secret-of-at-least-32-characters';

/** A store shared by the replicas of the test that can be taken down. */
function outageStore() {
  const values = new Map<string, string>();
  const state = { down: false };
  const unreachable = () =>
    Object.assign(new Error('store unreachable'), { code: 'STORE_UNAVAILABLE' });
  const store: SessionStateStore = {
    kv: {
      async get(key) {
        if (state.down) throw unreachable();
        const value = values.get(key);
        return value === undefined ? undefined : { value };
      },
      async set(key, value) {
        if (state.down) throw unreachable();
        values.set(key, value);
        return {};
      },
      async list() {
        if (state.down) throw unreachable();
        return { entries: [] };
      },
    },
    pubsub: {
      async publish() {
        if (state.down) throw unreachable();
      },
      async subscribe() {
        return { unsubscribe: async () => {} };
      },
    },
  };
  const eventStore = {
    forSession: () => ({
      async storeEvent() {
        if (state.down) throw unreachable();
        return `stream~${crypto.randomUUID()}`;
      },
      async replayEventsAfter() {
        return '_GET_stream';
      },
    }),
    dropSession: async () => {},
  };
  return { store, eventStore, state };
}

const hosts: McpHttpHost[] = [];
afterEach(async () => {
  await Promise.allSettled(hosts.splice(0).map((host) => host.close()));
});

async function replica(shared: ReturnType<typeof outageStore>) {
  const host = createMcpHttpHost({
    createServer: () =>
      new Server({ name: 'replica', version: '1.0.0' }, { capabilities: { tools: {} } }),
    cluster: createClusterSessions({ secret, store: shared.store }),
    eventStore: shared.eventStore,
  });
  hosts.push(host);
  return (await host.listen()).url;
}

const headers = {
  accept: 'application/json, text/event-stream',
  'content-type': 'application/json',
};

describe('restoring a cluster session during a store outage', () => {
  it('answers 503 saying the shared store is unreachable', async () => {
    const shared = outageStore();
    const [first, second] = [await replica(shared), await replica(shared)];
    const opened = await fetch(`${first}/mcp`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        },
      }),
    });
    expect(await opened.text()).toContain('"result"');
    const sessionId = opened.headers.get('mcp-session-id') ?? '';
    shared.state.down = true;
    const listed = await fetch(`${second}/mcp`, {
      method: 'POST',
      headers: { ...headers, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(listed.status).toBe(503);
    expect(listed.headers.get('retry-after')).toBe('1');
    const text = await listed.text();
    expect(text).toContain('shared store is unreachable');
    expect(text).not.toContain('session limit');
  });
});
