/**
 * What sealing costs a pub/sub message (not a test; run it):
 *
 *   node --conditions=@fedmcp/source --import tsx packages/store/test/sealed-pubsub-cost.ts
 *
 * Prints the Web Crypto seal and open of one ~500-character message (awaited one at a time, as a
 * replica does), and a published-and-delivered message through one memory store and through Redis
 * (two connections, as two replicas), plain and sealed; best of three runs each.
 */
import {
  createMemoryStore,
  deriveClusterKey,
  openClusterText,
  type PubSub,
  sealClusterText,
  sealPubSub,
} from '../src/index.js';
import { createRedisStore } from '../src/node/index.js';
import { redisAvailable, redisUrl } from './redis-test-server.js';

const SECRET = 'a-cluster-secret-for-the-seal-cost-script-0123456789';
const COUNT = 2000;
const message = JSON.stringify({
  from: 'replica-1',
  nonce: 'n'.repeat(22),
  message: {
    jsonrpc: '2.0',
    method: 'notifications/progress',
    params: { progressToken: 7, progress: 3, total: 10, message: 'p'.repeat(300) },
  },
});

const micros = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

async function best(run: () => Promise<number>): Promise<number> {
  let fastest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round += 1) fastest = Math.min(fastest, await run());
  return fastest;
}

/** ms per message: published (awaited) on `from`, delivered on `to`. */
async function roundTrip(from: PubSub, to: PubSub): Promise<number> {
  let received = 0;
  let done = () => {};
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  const subscription = await to.subscribe('cost', () => {
    received += 1;
    if (received === COUNT) done();
  });
  const start = performance.now();
  for (let index = 0; index < COUNT; index += 1) await from.publish('cost', message);
  await all;
  const perMessage = (performance.now() - start) / COUNT;
  await subscription.unsubscribe();
  return perMessage;
}

const { key } = await deriveClusterKey(SECRET, 'cost');
const sealed: string[] = [];
const seal = await best(async () => {
  sealed.length = 0;
  const start = performance.now();
  for (let index = 0; index < COUNT; index += 1) {
    sealed.push(await sealClusterText(key, message, 'cost'));
  }
  return (performance.now() - start) / COUNT;
});
const open = await best(async () => {
  const start = performance.now();
  for (const text of sealed) await openClusterText(key, text, 'cost');
  return (performance.now() - start) / COUNT;
});
console.log(`message: ${message.length} characters`);
console.log(`seal ${micros(seal)}, open ${micros(open)}`);

await using memory = createMemoryStore();
const sealedMemory = sealPubSub(memory.pubsub, { secret: SECRET });
const memoryPlain = await best(() => roundTrip(memory.pubsub, memory.pubsub));
const memorySealed = await best(() => roundTrip(sealedMemory, sealedMemory));
console.log(`memory: plain ${micros(memoryPlain)}, sealed ${micros(memorySealed)} per message`);

if (redisAvailable) {
  const prefix = `fedmcp-seal-cost-${Date.now()}:`;
  await using one = await createRedisStore({ url: redisUrl, prefix });
  await using two = await createRedisStore({ url: redisUrl, prefix });
  const [sealedOne, sealedTwo] = [
    sealPubSub(one.pubsub, { secret: SECRET }),
    sealPubSub(two.pubsub, { secret: SECRET }),
  ];
  const redisPlain = await best(() => roundTrip(one.pubsub, two.pubsub));
  const redisSealed = await best(() => roundTrip(sealedOne, sealedTwo));
  console.log(`redis: plain ${micros(redisPlain)}, sealed ${micros(redisSealed)} per message`);
}
