import { createMemoryStore } from '@fedmcp/store';

await using store = createMemoryStore(); // tests and ephemeral runs
await store.kv.set('session:42', JSON.stringify({ user: 'ada' }), { ttlMs: 60_000 });
const session = await store.kv.get('session:42');
// Optimistic update: only wins if nobody wrote the key since we read it.
const update = await store.kv.compareAndSet('session:42', JSON.stringify({ user: 'grace' }), {
  expectedVersion: session!.version,
});
// A fixed-window rate limit: the counter expires 60 s after the first hit.
const hits = await store.kv.increment('rate:ada', { ttlMs: 60_000 });
export const outcome = { updated: update.ok, hits };
