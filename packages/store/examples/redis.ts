import { createStore } from '@fedmcp/store/node';

await using store = await createStore('redis://127.0.0.1:6379', { prefix: 'example-hub:' });
// Leader election: one replica holds the lease, renews it well before it expires.
const lease = await store.leases.acquire('leader', { ttlMs: 10_000, holder: 'replica-1' });
const renewed = lease && (await store.leases.renew(lease, { ttlMs: 10_000 }));
if (renewed) await store.leases.release(renewed);
// Fan-out to every replica, e.g. "the upstream list changed".
const received = new Promise<string>((resolve) => {
  void store.pubsub
    .subscribe('upstreams', resolve)
    .then(() => store.pubsub.publish('upstreams', 'changed'));
});
export const outcome = { leader: lease?.holder, message: await received };
