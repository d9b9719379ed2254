import { afterAll, describe, expect, it } from 'vitest';
import { createRedisStore } from '../src/node/index.js';
import { deleteKeys, redisAvailable, redisUrl, runPrefix, withAdmin } from './redis-test-server.js';
import { describeStoreContract, sleep } from './store-contract.js';

describe.runIf(redisAvailable)('redis engine', () => {
  afterAll(async () => {
    await deleteKeys(`${runPrefix}contract:`);
  });

  describeStoreContract({
    name: 'redis',
    sharesState: true,
    open: (prefix) => createRedisStore({ url: redisUrl, prefix: `${runPrefix}contract:${prefix}` }),
  });
});

describe.runIf(redisAvailable)('redis engine blocking reads', () => {
  const prefix = `${runPrefix}blocking:`;
  afterAll(async () => {
    await deleteKeys(prefix);
  });

  it('serves more blocked readers than maxBlockingConnections by polling', async () => {
    await using store = await createRedisStore({
      url: redisUrl,
      prefix,
      maxBlockingConnections: 1,
    });
    await using producer = await createRedisStore({ url: redisUrl, prefix });
    await store.streams.createGroup('s', 'g');
    const readers = ['a', 'b', 'c'].map((consumer) =>
      store.streams.readGroup('s', 'g', consumer, { count: 1, blockMs: 10_000 }),
    );
    await sleep(100);
    for (const data of ['one', 'two', 'three']) await producer.streams.append('s', data);
    const delivered = (await Promise.all(readers)).flat().map((message) => message.data);
    expect(delivered.sort()).toEqual(['one', 'three', 'two']);
  });
});

describe.runIf(redisAvailable)('redis engine key index', () => {
  const prefix = `${runPrefix}index:`;
  afterAll(async () => {
    await deleteKeys(prefix);
  });

  it('drops expired keys from its index on later writes, so the index cannot grow without bound', async () => {
    await using store = await createRedisStore({ url: redisUrl, prefix });
    // Sent together, so they are all written long before the first one expires.
    await Promise.all(
      Array.from({ length: 60 }, (_, index) => store.kv.increment(`rate:${index}`, { ttlMs: 300 })),
    );
    await store.kv.set('kept', 'x', { ttlMs: 300 });
    await store.kv.set('kept', 'y'); // a plain set clears the TTL: never swept
    expect(await withAdmin((client) => client.zcard(`${prefix}kv-index`))).toBe(61);
    await sleep(400);
    for (let index = 0; index < 4; index += 1) await store.kv.set(`live:${index}`, 'v');
    const indexSize = await withAdmin((client) => client.zcard(`${prefix}kv-index`));
    const expiriesSize = await withAdmin((client) => client.zcard(`${prefix}kv-expiries`));
    expect([indexSize, expiriesSize]).toEqual([5, 0]);
    expect((await store.kv.list()).entries.map((entry) => entry.key)).toEqual([
      'kept',
      'live:0',
      'live:1',
      'live:2',
      'live:3',
    ]);
  });
});
