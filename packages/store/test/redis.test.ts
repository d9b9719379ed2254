import { afterAll, describe } from 'vitest';
import { createRedisStore } from '../src/node/index.js';
import { deleteKeys, redisAvailable, redisUrl, runPrefix } from './redis-test-server.js';
import { describeStoreContract } from './store-contract.js';

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
