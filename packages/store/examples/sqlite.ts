import { createStore } from '@fedmcp/store/node';

await using store = await createStore('sqlite:./.fedmcp/state.db'); // WAL, fsync per commit
await store.streams.createGroup('webhooks', 'workers');
await store.streams.append('webhooks', JSON.stringify({ event: 'push' })); // on disk once resolved
const [message] = await store.streams.readGroup('webhooks', 'workers', 'worker-1', { count: 1 });
await store.streams.ack('webhooks', 'workers', [message!.id]); // after handling it
// A dead worker's messages are taken over once idle for 30 s; after 5 deliveries a message
// goes to 'webhooks:dead-letter' instead.
const { messages } = await store.streams.claim('webhooks', 'workers', 'worker-2', {
  minIdleMs: 30_000,
  maxDeliveries: 5,
});
export const outcome = { handled: message!.data, claimed: messages.length };
