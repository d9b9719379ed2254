import type { EventStore, JSONRPCMessage } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { createInMemoryEventStore } from './in-memory-event-store.js';
import { scopeEventStore } from './session-event-store.js';

function note(index: number): JSONRPCMessage {
  return { jsonrpc: '2.0', method: 'notifications/message', params: { index } };
}

async function replay(store: EventStore, lastEventId: string) {
  const sent: JSONRPCMessage[] = [];
  const streamId = await store.replayEventsAfter(lastEventId, {
    send: async (_eventId, message) => {
      sent.push(message);
    },
  });
  return { streamId, sent };
}

describe('scopeEventStore', () => {
  it("never replays another session's events, though the SDK names every GET stream alike", async () => {
    const sessions = scopeEventStore(createInMemoryEventStore());
    const alice = sessions.forSession('alice');
    const bob = sessions.forSession('bob');
    // The SDK's standalone stream id is the same in every session.
    const first = await alice.storeEvent('_GET_stream', note(1));
    await bob.storeEvent('_GET_stream', note(2));
    await alice.storeEvent('_GET_stream', note(3));
    expect(await replay(alice, first)).toEqual({ streamId: '_GET_stream', sent: [note(3)] });
    expect(await alice.getStreamIdForEventId?.(first)).toBe('_GET_stream');
    // Bob presenting Alice's event id resumes nothing of hers.
    expect(await bob.getStreamIdForEventId?.(first)).toBeUndefined();
    expect(await replay(bob, first)).toEqual({ streamId: '', sent: [] });
  });
});
