import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/index.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract({
  name: 'memory',
  sharesState: false,
  open: async (prefix) => createMemoryStore({ prefix }),
});

describe('createMemoryStore', () => {
  it('follows an injected clock for TTLs, leases and idle times', async () => {
    let time = 1_000;
    await using store = createMemoryStore({ now: () => time });
    await store.kv.set('k', 'v', { ttlMs: 100 });
    expect(await store.kv.get('k')).toEqual({ key: 'k', value: 'v', version: 1, expiresAt: 1_100 });
    time = 1_100;
    expect(await store.kv.get('k')).toBeUndefined();
    const lease = await store.leases.acquire('l', { ttlMs: 10 });
    time = 1_110;
    expect(await store.leases.renew(lease!, { ttlMs: 10 })).toBeUndefined();
    await store.streams.createGroup('s', 'g');
    await store.streams.append('s', 'x');
    await store.streams.readGroup('s', 'g', 'a');
    time = 1_150;
    expect((await store.streams.pending('s', 'g'))[0]?.idleMs).toBe(40);
  });
});
