/**
 * Redis for tests: a reachability probe (a missing Redis fails the run when CI=true, and skips
 * the Redis tests with a printed notice elsewhere) and a per-run key prefix cleaned up afterwards.
 */
import { Redis } from 'ioredis';

/** Tests may point elsewhere with FEDMCP_TEST_REDIS_URL. */
export const redisUrl = process.env.FEDMCP_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function probe(): Promise<boolean> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    connectTimeout: 1_000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // the outcome is reported below
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export const redisAvailable = await probe();
if (!redisAvailable) {
  if (process.env.CI === 'true') {
    throw new Error(
      `Redis is required in CI but not reachable at ${redisUrl}; start it (redis-server) and rerun.`,
    );
  }
  console.warn(`notice: Redis not reachable at ${redisUrl}; skipping the redis engine tests.`);
}

/** A prefix unique to this test run. */
export const runPrefix = `fedmcp-test:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}:`;

/** Deletes every key under `prefix`. */
export async function deleteKeys(prefix: string): Promise<number> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
  return deleted;
}

/** Runs a command on a separate admin connection. */
export async function withAdmin<T>(operation: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    return await operation(client);
  } finally {
    client.disconnect();
  }
}

/** Kills, from the server side, every connection named `connectionName`; resolves with how many. */
export async function killConnections(connectionName: string): Promise<number> {
  return withAdmin(async (client) => {
    const list = (await client.client('LIST')) as string;
    const ids = list
      .split('\n')
      .filter((line) => line.includes(` name=${connectionName} `))
      .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => id !== undefined);
    for (const id of ids) await client.client('KILL', 'ID', id);
    return ids.length;
  });
}
