import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore } from './in-memory-event-store.js';

function note(index: number): JSONRPCMessage {
  return { jsonrpc: '2.0', method: 'notifications/message', params: { index } };
}

async function replay(store: ReturnType<typeof createInMemoryEventStore>, lastEventId: string) {
  const sent: [string, JSONRPCMessage][] = [];
  const streamId = await store.replayEventsAfter(lastEventId, {
    send: async (eventId, message) => {
      sent.push([eventId, message]);
    },
  });
  return { streamId, sent };
}

describe('createInMemoryEventStore', () => {
  it('replays the events after the given id, from the same stream only', async () => {
    const store = createInMemoryEventStore();
    const first = await store.storeEvent('a', note(1));
    await store.storeEvent('b', note(2));
    const third = await store.storeEvent('a', note(3));
    const { streamId, sent } = await replay(store, first);
    expect(streamId).toBe('a');
    expect(sent).toEqual([[third, note(3)]]);
    expect(await store.getStreamIdForEventId?.(third)).toBe('a');
  });

  it('forgets the oldest events beyond maxEvents', async () => {
    const store = createInMemoryEventStore({ maxEvents: 2 });
    const first = await store.storeEvent('a', note(1));
    const second = await store.storeEvent('a', note(2));
    await store.storeEvent('a', note(3));
    expect(await store.getStreamIdForEventId?.(first)).toBeUndefined();
    expect((await replay(store, first)).sent).toEqual([]);
    expect((await replay(store, second)).sent).toHaveLength(1);
  });
});
