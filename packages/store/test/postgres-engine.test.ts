import type { Logger } from '@fedmcp/protocol';
import {
  dropSchema,
  postgresAvailable,
  postgresUrl,
  runSchema,
  withAdmin,
} from '@fedmcp/test-support/postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../src/index.js';
import { createPostgresStore, type PostgresStoreOptions } from '../src/postgres/index.js';
import { waitFor } from './store-contract.js';
import { startTcpProxy } from './tcp-proxy.js';

/** A logger that keeps what it is told. */
function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  const at =
    (level: string) =>
    (first: unknown, second?: unknown): void => {
      lines.push({ level, message: String(typeof first === 'string' ? first : second) });
    };
  const logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  } as unknown as Logger;
  return {
    logger,
    lines,
    has: (text: string) => lines.some((line) => line.message.includes(text)),
  };
}

const codeOf = (error: unknown): unknown => StoreError.isInstance(error) && error.code;

describe.runIf(postgresAvailable)('postgres engine', () => {
  const schema = runSchema('engine');
  const schemas = [schema];
  afterAll(async () => {
    await Promise.all(schemas.map(dropSchema));
  });
  const open = (options: Partial<PostgresStoreOptions> = {}) =>
    createPostgresStore({ url: postgresUrl, schema, ...options });

  it('creates its schema once when replicas start together, and refuses a newer one', async () => {
    const fresh = runSchema('migrate');
    schemas.push(fresh);
    const stores = await Promise.all(
      [1, 2, 3].map(() => createPostgresStore({ url: postgresUrl, schema: fresh })),
    );
    await stores[0]!.kv.set('k', 'v');
    expect((await stores[2]!.kv.get('k'))?.value).toBe('v');
    await Promise.all(stores.map((store) => store.close()));
    const versions = await withAdmin((sql) =>
      sql.unsafe(`SELECT version FROM "${fresh}".schema_version ORDER BY version`),
    );
    expect(versions.map((row) => row.version)).toEqual([1]);

    await withAdmin((sql) => sql.unsafe(`INSERT INTO "${fresh}".schema_version VALUES (99)`));
    const error = await createPostgresStore({ url: postgresUrl, schema: fresh }).catch(
      (caught: unknown) => caught,
    );
    expect(codeOf(error)).toBe('STORE_FAILED');
    expect((error as Error).message).toMatch(/version 99, newer than/);
  });

  it('refuses a schema name it cannot quote safely, and a URL it cannot parse', async () => {
    const error = await open({ schema: 'x"; DROP TABLE y; --' }).catch((caught: unknown) => caught);
    expect(codeOf(error)).toBe('STORE_INVALID_ARGUMENT');
    const badUrl = await open({ url: 'postgres://user:secret@a b/x' }).catch(
      (caught: unknown) => caught,
    );
    expect(codeOf(badUrl)).toBe('STORE_INVALID_ARGUMENT');
    expect(JSON.stringify(badUrl) + String((badUrl as Error).message)).not.toContain('secret');
  });

  it('turns input PostgreSQL cannot hold into STORE_INVALID_ARGUMENT', async () => {
    await using store = await open({ prefix: 'input:' });
    const nul = await store.kv.set('k', 'a\u0000b').catch((caught: unknown) => caught);
    expect(codeOf(nul)).toBe('STORE_INVALID_ARGUMENT');
    const large = await store.pubsub
      .publish('news', 'x'.repeat(8_000))
      .catch((caught: unknown) => caught);
    expect(codeOf(large)).toBe('STORE_INVALID_ARGUMENT');
    expect(await store.kv.set('k', 'fine')).toMatchObject({ value: 'fine', version: 1 });
  });

  it('deletes expired keys and leases in its sweep', async () => {
    await using store = await open({ prefix: 'sweep:', sweepIntervalMs: 40 });
    for (let index = 0; index < 10; index += 1) {
      await store.kv.set(`short:${index}`, 'x', { ttlMs: 20 });
    }
    await store.kv.set('kept', 'x');
    await store.leases.acquire('lease', { ttlMs: 20 });
    const count = async (table: string, column: string): Promise<number> => {
      const [row] = await withAdmin((sql) =>
        sql.unsafe(
          `SELECT count(*)::int AS count FROM "${schema}".${table} WHERE ${column} LIKE 'sweep:%'`,
        ),
      );
      return row!.count as number;
    };
    // Expired rows are invisible at once; the sweep deletes them from the tables.
    while ((await count('kv', 'key')) !== 1 || (await count('leases', 'name')) !== 0) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await store.kv.get('kept'))?.value).toBe('x');
  });

  it('wakes a blocked reader with NOTIFY, not by polling', { timeout: 30_000 }, async () => {
    // The reader would only look again after a minute: the append must wake it.
    await using consumer = await open({ prefix: 'wake:', pollIntervalMs: 60_000 });
    await using producer = await open({ prefix: 'wake:' });
    await consumer.streams.createGroup('s', 'g');
    const waiting = consumer.streams.readGroup('s', 'g', 'c', { blockMs: 30_000 });
    await waitFor(() => false, 100).catch(() => undefined); // let the reader block
    const id = await producer.streams.append('s', 'late');
    expect((await waiting).map((message) => message.id)).toEqual([id]);
  });

  it('delivers each message once to concurrent readers and claimers on several replicas', async () => {
    const replicas = await Promise.all([1, 2, 3, 4].map(() => open({ prefix: 'race:' })));
    try {
      const [first] = replicas;
      await first!.streams.createGroup('jobs', 'workers');
      const sent = await Promise.all(
        Array.from({ length: 40 }, (_, index) => first!.streams.append('jobs', `job${index}`)),
      );
      // Four replicas read at once, batches of 3, until the stream is drained; nobody acks.
      const delivered = await Promise.all(
        replicas.map(async (replica, index) => {
          const ids: string[] = [];
          for (;;) {
            const batch = await replica.streams.readGroup('jobs', 'workers', `r${index}`, {
              count: 3,
            });
            if (batch.length === 0) return ids;
            ids.push(...batch.map((message) => message.id));
          }
        }),
      );
      expect(delivered.flat().sort()).toEqual([...sent].sort());
      // Once idle, four replicas claim at once: SKIP LOCKED gives each message to one of them.
      await new Promise((resolve) => setTimeout(resolve, 30));
      const claimed = await Promise.all(
        replicas.map((replica, index) =>
          replica.streams.claim('jobs', 'workers', `c${index}`, { minIdleMs: 20, count: 40 }),
        ),
      );
      const claimedIds = claimed.flatMap((result) => result.messages.map((message) => message.id));
      expect(claimedIds).toHaveLength(40);
      expect(new Set(claimedIds).size).toBe(40);
      expect(claimed.flatMap((result) => result.messages).every((m) => m.deliveryCount === 2)).toBe(
        true,
      );
      const pending = await first!.streams.pending('jobs', 'workers', { limit: 100 });
      expect(pending).toHaveLength(40);
      expect(pending.filter((entry) => entry.deliveryCount === 2)).toHaveLength(claimedIds.length);
    } finally {
      await Promise.all(replicas.map((replica) => replica.close()));
    }
  });

  it('keeps at most maxConnections connections and maxPendingOperations waiting', async () => {
    const applicationName = `fedmcp-test-pool-${process.pid}`;
    await using store = await open({ prefix: 'pool:', maxConnections: 2, applicationName });
    await Promise.all(Array.from({ length: 30 }, () => store.kv.increment('n')));
    expect((await store.kv.get('n'))?.value).toBe('30');
    const [row] = await withAdmin((sql) =>
      sql.unsafe(
        `SELECT count(*)::int AS count FROM pg_stat_activity WHERE application_name = $1`,
        [applicationName],
      ),
    );
    expect(row!.count).toBeLessThanOrEqual(2);

    await using bounded = await open({ prefix: 'pool:', maxPendingOperations: 5 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => bounded.kv.get('n')),
    );
    const refused = outcomes.filter(
      (outcome) => outcome.status === 'rejected' && codeOf(outcome.reason) === 'STORE_UNAVAILABLE',
    );
    expect([outcomes.length - refused.length, refused.length]).toEqual([5, 15]);
  });

  it('fails with STORE_UNAVAILABLE during an outage, logs it, and recovers with the data intact', {
    timeout: 30_000,
  }, async () => {
    await using proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    const url = postgresUrl.replace(/@[^/]+\//, `@127.0.0.1:${proxy.port}/`);
    const { logger, has } = recordingLogger();
    await using store = await createPostgresStore({
      url,
      schema,
      prefix: 'outage:',
      logger,
      connectTimeoutMs: 1_000,
    });
    const received: string[] = [];
    await store.pubsub.subscribe('news', (message) => received.push(message));
    await store.kv.set('k', 'before');

    await proxy.cut();
    const error = await store.kv.get('k').catch((caught: unknown) => caught);
    expect(codeOf(error)).toBe('STORE_UNAVAILABLE');
    expect(has('lost PostgreSQL')).toBe(true);

    await proxy.restore();
    let value: string | undefined;
    while (value === undefined) {
      value = await store.kv.get('k').then(
        (entry) => entry?.value,
        (caught: unknown) => {
          expect(codeOf(caught)).toBe('STORE_UNAVAILABLE');
          return undefined;
        },
      );
    }
    expect(value).toBe('before');
    expect(has('reconnected to PostgreSQL')).toBe(true);
    // The LISTEN connection comes back too, and the subscription with it.
    await waitFor(() => has('re-subscribed'), 15_000);
    await store.pubsub.publish('news', 'after');
    await waitFor(() => received.includes('after'));
  });
});
