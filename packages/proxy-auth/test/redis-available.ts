/**
 * Whether Redis answers at 127.0.0.1:6379. A missing Redis fails the run when CI=true, and skips
 * the Redis tests with a printed notice elsewhere.
 */
import { createRedisStore } from '@fedmcp/store/node';

export const redisUrl = 'redis://127.0.0.1:6379';

async function probe(): Promise<boolean> {
  try {
    const store = await createRedisStore({ url: redisUrl, connectTimeoutMs: 1_000 });
    await store.close();
    return true;
  } catch {
    return false;
  }
}

export const redisAvailable = await probe();
if (!redisAvailable) {
  if (process.env.CI === 'true') {
    throw new Error(
      `Redis is required in CI but not reachable at ${redisUrl}; start it and rerun.`,
    );
  }
  console.warn(`notice: Redis not reachable at ${redisUrl}; skipping the Redis rate limit tests.`);
}
