/**
 * @fedmcp/store throughput per engine: KV get/set, compare-and-set, stream append and
 * consume (readGroup + ack), one awaited operation at a time (the latency a caller sees), best
 * of three runs, with memory as the baseline. Run: node --conditions=@fedmcp/source --import tsx bench/store/store.bench.ts
 * Redis is read from FEDMCP_BENCH_REDIS_URL (default redis://127.0.0.1:6379) and PostgreSQL from
 * FEDMCP_BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test, in a schema of its
 * own, dropped afterwards); each is skipped if absent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, type Store } from '@fedmcp/store';
import { createPostgresStore, createRedisStore, createSqliteStore } from '@fedmcp/store/node';
import postgres from 'postgres';
import { benchDurationMs, measureOpsPerSecond } from '../measure.js';

const durationMs = benchDurationMs;
const redisUrl = process.env.FEDMCP_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const directory = mkdtempSync(join(tmpdir(), 'fedmcp-store-bench-'));
const runPrefix = `fedmcp-bench:${process.pid}:`;
const postgresUrl =
  process.env.FEDMCP_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const postgresSchema = `fedmcp_bench_${process.pid}`;

async function benchEngine(store: Store): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  await store.kv.set('bench:key', 'x'.repeat(100));
  // Warm the engine up as a whole first (connections, JIT of the client library, caches): the
  // first second of a Redis connection measures several times slower than the rest.
  const warmUpUntil = performance.now() + 1_000;
  while (performance.now() < warmUpUntil) {
    await store.kv.get('bench:key');
    await store.kv.increment('bench:warm-up');
  }
  results['kv.get'] = await measureOpsPerSecond(() => store.kv.get('bench:key'));
  results['kv.set'] = await measureOpsPerSecond((index) =>
    store.kv.set(`bench:set:${index % 1000}`, 'x'.repeat(100)),
  );
  let version = (await store.kv.set('bench:cas', '0')).version;
  results['kv.compareAndSet'] = await measureOpsPerSecond(async (index) => {
    const result = await store.kv.compareAndSet('bench:cas', String(index), {
      expectedVersion: version,
    });
    if (!result.ok) throw new Error('CAS lost a race it cannot lose');
    version = result.entry.version;
  });
  results['kv.increment'] = await measureOpsPerSecond(() => store.kv.increment('bench:counter'));
  await store.streams.createGroup('bench:stream', 'workers');
  results['streams.append'] = await measureOpsPerSecond((index) =>
    store.streams.append('bench:stream', `{"n":${index}}`),
  );
  // Consume what the append run produced: readGroup batches of 50, ack each batch; figures per message.
  const started = performance.now();
  let consumed = 0;
  while (performance.now() - started < durationMs) {
    const batch = await store.streams.readGroup('bench:stream', 'workers', 'c1', { count: 50 });
    if (batch.length === 0) break;
    await store.streams.ack(
      'bench:stream',
      'workers',
      batch.map((message) => message.id),
    );
    consumed += batch.length;
  }
  results['streams.readGroup+ack (batch 50)'] = consumed / ((performance.now() - started) / 1000);
  return results;
}

const engines: [string, () => Promise<Store>][] = [
  ['memory', async () => createMemoryStore()],
  ['sqlite (full)', async () => createSqliteStore({ path: join(directory, 'full.db') })],
  [
    'sqlite (normal)',
    async () => createSqliteStore({ path: join(directory, 'normal.db'), synchronous: 'normal' }),
  ],
  ['redis', () => createRedisStore({ url: redisUrl, prefix: runPrefix, connectTimeoutMs: 1_000 })],
  [
    'postgres',
    () =>
      createPostgresStore({ url: postgresUrl, schema: postgresSchema, connectTimeoutMs: 1_000 }),
  ],
];

const figures = new Map<string, Record<string, number>>();
for (const [name, open] of engines) {
  let store: Store;
  try {
    store = await open();
  } catch (error) {
    console.log(`notice: skipping ${name}: ${(error as Error).message}`);
    continue;
  }
  try {
    figures.set(name, await benchEngine(store));
  } finally {
    // Leave nothing behind (this matters on a shared Redis).
    for (;;) {
      const page = await store.kv.list({ prefix: 'bench:', limit: 500 });
      for (const entry of page.entries) await store.kv.delete(entry.key);
      if (!page.cursor) break;
    }
    await store.streams.delete('bench:stream');
    await store.close();
  }
}
rmSync(directory, { recursive: true, force: true });
if (figures.has('postgres')) {
  const admin = postgres(postgresUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`DROP SCHEMA IF EXISTS "${postgresSchema}" CASCADE`);
  await admin.end();
}

const baseline = figures.get('memory')!;
const names = [...figures.keys()];
const operations = Object.keys(baseline);
const format = (value: number): string => Math.round(value).toLocaleString('en-US');
const header = ['operation (ops/s, ×memory)', ...names];
const rows = operations.map((operation) => [
  operation,
  ...names.map((name) => {
    const value = figures.get(name)![operation]!;
    const ratio = value / baseline[operation]!;
    return name === 'memory' ? format(value) : `${format(value)} (${ratio.toPrecision(2)}×)`;
  }),
]);
const widths = header.map((cell, column) =>
  Math.max(cell.length, ...rows.map((row) => row[column]!.length)),
);
const line = (cells: string[]): string =>
  `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
console.log(
  `\n@fedmcp/store — one awaited operation at a time, best of 3 × ${durationMs} ms per figure, Node ${process.version}\n`,
);
console.log(line(header));
console.log(`|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`);
for (const row of rows) console.log(line(row));
