import { createPostgresStore } from '@fedmcp/store/postgres';

// The same code runs on Deno (Supabase Edge Functions) with `npm:@fedmcp/store/postgres`.
await using store = await createPostgresStore({
  url: 'postgres://postgres@127.0.0.1:5432/test',
  schema: 'fedmcp_example', // created on first use
});
// A webhook inbox: a worker waits for work; the append wakes it at once (LISTEN/NOTIFY).
await store.streams.createGroup('inbox', 'workers');
const waiting = store.streams.readGroup('inbox', 'workers', 'worker-1', { blockMs: 5_000 });
await store.streams.append('inbox', JSON.stringify({ event: 'transcript.ready' }));
const [message] = await waiting;
await store.streams.ack('inbox', 'workers', [message!.id]);
const pending = await store.streams.pending('inbox', 'workers');
export const outcome = { received: message!.data, pending: pending.length };
