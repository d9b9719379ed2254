/**
 * The set-up of a suite running replicas on a redis-server of its own: whether it runs here, and
 * the redis-server with a temporary directory for the replicas' files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  redisServerAvailable,
  startTestRedisServer,
  type TestRedisServer,
} from './redis-server.js';

/**
 * Whether a suite needing redis-server runs here. With `CI=true` a missing redis-server fails the
 * suite (CI must install it); elsewhere the suite is skipped with a printed notice naming it.
 * @throws Error when redis-server or redis-cli is missing and `CI=true`.
 */
export function redisServerRequired(suite: string): boolean {
  if (redisServerAvailable()) return true;
  if (process.env.CI === 'true') {
    throw new Error(
      'redis-server and redis-cli are required in CI (apt-get install redis-server).',
    );
  }
  console.warn(`notice: redis-server not installed; skipping ${suite}.`);
  return false;
}

/** A redis-server of the test and a temporary directory; both gone once disposed. */
export interface RedisTestBed extends AsyncDisposable {
  readonly redis: TestRedisServer;
  /** A fresh directory under the system's temporary one, for the replicas' files. */
  readonly directory: string;
}

/** Starts a redis-server on a free port and makes a temporary directory named `prefix…`. */
export async function startRedisTestBed(prefix: string): Promise<RedisTestBed> {
  const redis = await startTestRedisServer();
  let directory: string;
  try {
    directory = await mkdtemp(join(tmpdir(), prefix));
  } catch (error) {
    await redis[Symbol.asyncDispose]();
    throw error;
  }
  return {
    redis,
    directory,
    async [Symbol.asyncDispose]() {
      await redis[Symbol.asyncDispose]();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
