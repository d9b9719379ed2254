/**
 * The spill file of the buffered audit sink: a replica killed during a Redis outage leaves its
 * queued audit events in a 0600 file, and the next replica to start on the host replays them into
 * the store; files of processes still running, or of other hosts, are left alone. The outage is a
 * real redis-server the test stops and starts; the killed replica is a sink whose store connection
 * is closed (it can never write again), with a process id that no longer runs.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readAuditEvents } from '@fedmcp/proxy-auth';
import { createStore } from '@fedmcp/store/node';
import { redisServerAvailable, startTestRedisServer } from '@fedmcp/test-support';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBufferedAuditSink } from './buffered-audit-sink.js';
import { createAuditSpill } from './buffered-audit-sink-spill.js';

const available = redisServerAvailable();
if (!available && process.env.CI === 'true') {
  throw new Error('redis-server and redis-cli are required in CI (apt-get install redis-server).');
}
if (!available) console.warn('notice: redis-server not installed; skipping the audit spill test.');

const event = (target: string) => ({
  time: new Date().toISOString(),
  type: 'call' as const,
  outcome: 'ok' as const,
  action: 'tools/call',
  target,
});

const quiet = () => {
  const lines: Array<{ level: string; details: unknown; message: string }> = [];
  const logger = {
    child: () => logger,
    debug: () => {},
    info: (details: unknown, message: string) => lines.push({ level: 'info', details, message }),
    warn: (details: unknown, message: string) => lines.push({ level: 'warn', details, message }),
    error: (details: unknown, message: string) => lines.push({ level: 'error', details, message }),
  };
  return { logger, lines };
};

let directory = '';
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-audit-spill-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('createAuditSpill', () => {
  it('claims the files of processes gone on this host, and leaves running ones and other hosts alone', async () => {
    await writeFile(join(directory, 'audit-spill-box-100.jsonl'), '{"a":1}\n{"a":2}\n{"a"');
    await writeFile(join(directory, 'audit-spill-box-200.jsonl'), '{"b":1}\n');
    await writeFile(join(directory, 'audit-spill-other-100.jsonl'), '{"c":1}\n');
    await writeFile(join(directory, 'unrelated.jsonl'), '{"d":1}\n');
    const spill = createAuditSpill({
      directory,
      host: 'box',
      pid: 300,
      isAlive: (pid) => pid === 200,
    });
    // The line the kill cut short is not an event.
    expect(spill.recover()).toEqual(['{"a":1}', '{"a":2}']);
    expect((await readdir(directory)).sort()).toEqual([
      'audit-spill-box-200.jsonl',
      'audit-spill-box-300.jsonl',
      'audit-spill-other-100.jsonl',
      'unrelated.jsonl',
    ]);
    expect(await readFile(spill.file, 'utf8')).toBe('{"a":1}\n{"a":2}\n');
    expect((await stat(spill.file)).mode & 0o777).toBe(0o600);
    // Claimed once: a second replica starting finds nothing more.
    expect(
      createAuditSpill({ directory, host: 'box', pid: 400, isAlive: () => true }).recover(),
    ).toEqual([]);
    spill.clear();
    expect(await readdir(directory)).not.toContain('audit-spill-box-300.jsonl');
  });
});

describe.runIf(available)('createBufferedAuditSink with a spill file', () => {
  it('loses nothing a replica killed during a Redis outage had queued: the next start replays it', async () => {
    await using redis = await startTestRedisServer();
    const killed = quiet();
    const killedStore = await createStore(redis.url, { redis: { offlineWaitMs: 0 } });
    const killedSpill = createAuditSpill({ directory, pid: 999_999_001, isAlive: () => false });
    const sink = createBufferedAuditSink({
      streams: killedStore.streams,
      retryMs: 20,
      closeTimeoutMs: 100,
      spill: killedSpill,
      logger: killed.logger,
    });
    sink.write(event('before'));
    await sink.flush();
    await redis.stop();
    sink.write(event('one'));
    await expect(sink.flush()).rejects.toThrow(/Redis/);
    sink.write(event('two'));
    sink.write(event('three'));
    const spilled = (await readFile(killedSpill.file, 'utf8')).trim().split('\n');
    expect(spilled.map((line) => JSON.parse(line).target)).toEqual(['one', 'two', 'three']);
    expect((await stat(killedSpill.file)).mode & 0o777).toBe(0o600);
    // The replica dies: its store connection is gone for good, its memory with it.
    await killedStore.close();
    await sink.close();
    expect(killed.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', details: { pending: 3, file: killedSpill.file } }),
    );

    await redis.start();
    await using store = await createStore(redis.url);
    const next = quiet();
    const nextSink = createBufferedAuditSink({
      streams: store.streams,
      spill: createAuditSpill({ directory }),
      logger: next.logger,
    });
    expect(next.lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        details: expect.objectContaining({ recovered: 3 }),
      }),
    );
    await vi.waitFor(() => expect(nextSink.pending()).toBe(0), { timeout: 15_000, interval: 50 });
    nextSink.write(event('after'));
    await nextSink.flush();
    // Redis restarted empty: what it holds came from the spill file, then the new event.
    const targets = (await readAuditEvents(store.streams)).map(({ event }) => event.target);
    expect(targets).toEqual(['one', 'two', 'three', 'after']);
    // Replayed and written: no spill file is left.
    expect((await readdir(directory)).filter((name) => name.startsWith('audit-spill-'))).toEqual(
      [],
    );
    await nextSink.close();
  }, 30_000);
});
