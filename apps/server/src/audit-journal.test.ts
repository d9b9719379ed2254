/**
 * The audit journal of a hub on its embedded store: an event is in a 0600 journal when the sink
 * returns (so the call's answer need not wait for the SQLite commit), and a process killed with
 * SIGKILL before its commit leaves it there for the next `recoverAuditJournals` on the host, which
 * appends what the store does not hold yet, exactly once. Real SQLite stores throughout; the kill is
 * a real SIGKILL of a child process between its journal writes and their commit.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type AuditEvent, readAuditEvents } from '@fedmcp/proxy-auth';
import type { Store } from '@fedmcp/store';
import { createStore } from '@fedmcp/store/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  auditJournalFile,
  createJournaledAuditSink,
  recoverAuditJournals,
} from './audit-journal.js';

const serverRoot = fileURLToPath(new URL('..', import.meta.url));

const event = (target: string, time = new Date().toISOString()): AuditEvent => ({
  time,
  type: 'call',
  outcome: 'success',
  action: 'tools/call',
  target,
});

const logged = () => {
  const lines: Array<{ level: string; message: string }> = [];
  const logger = {
    child: () => logger,
    debug: () => {},
    info: (_details: unknown, message: string) => lines.push({ level: 'info', message }),
    warn: (_details: unknown, message: string) => lines.push({ level: 'warn', message }),
    error: (_details: unknown, message: string) => lines.push({ level: 'error', message }),
  };
  return { logger, lines };
};

const targets = async (store: Store): Promise<string[]> =>
  (await readAuditEvents(store.streams, { limit: 10_000 })).map(({ event }) => event.target ?? '');

/** Resolves once the sink has committed everything (the store commits in the next turn). */
const committed = async (sink: { pending(): number }): Promise<void> => {
  while (sink.pending() > 0) await new Promise((resolve) => setImmediate(resolve));
};

let directory: string;
let store: Store;
beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'fedmcp-audit-journal-'));
  store = await createStore(`sqlite:${join(directory, 'state.db')}`);
});
afterEach(async () => {
  await store.close();
  await rm(directory, { recursive: true, force: true });
});

describe('the audit journal', () => {
  it('holds an event (0600) when the sink returns, and the store has it right after', async () => {
    const { logger } = logged();
    const sink = createJournaledAuditSink({ directory, streams: store.streams, logger });
    expect(sink.write(event('first'))).toBeUndefined(); // nothing for the call to wait for
    expect(await readFile(sink.file, 'utf8')).toContain('"target":"first"');
    expect((await stat(sink.file)).mode & 0o777).toBe(0o600);
    await committed(sink);
    expect(await targets(store)).toEqual(['first']);
    await sink.close();
    // Everything it held is in the store: nothing is left to replay.
    await expect(stat(sink.file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps through a SIGKILL the events written before it, and the next recovery replays those the store lacks, once', async () => {
    // A real process: one event committed, two written to the journal, then SIGKILL before
    // the turn in which the store would commit them.
    const child = `
      import { createStore } from '@fedmcp/store/node';
      import { createJournaledAuditSink } from './src/audit-journal.ts';
      const directory = process.env.JOURNAL_DIR;
      const store = await createStore('sqlite:' + directory + '/state.db');
      const quiet = { child: () => quiet, debug() {}, info() {}, warn() {}, error() {} };
      const sink = createJournaledAuditSink({ directory, streams: store.streams, logger: quiet });
      const event = (target) => ({ time: new Date().toISOString(), type: 'call', outcome: 'success', action: 'tools/call', target });
      sink.write(event('committed'));
      while (sink.pending() > 0) await new Promise((resolve) => setImmediate(resolve));
      sink.write(event('answered-1'));
      sink.write(event('answered-2'));
      process.stdout.write(String(process.pid));
      process.kill(process.pid, 'SIGKILL');
    `;
    const outcome = await promisify(execFile)(
      process.execPath,
      ['--conditions=@fedmcp/source', '--import', 'tsx', '--input-type=module', '-e', child],
      { cwd: serverRoot, env: { ...process.env, JOURNAL_DIR: directory }, timeout: 60_000 },
    ).then(
      () => ({ signal: null, stdout: '' }),
      (error: { signal: string | null; stdout: string }) => error,
    );
    expect(outcome.signal).toBe('SIGKILL');
    const pid = Number(outcome.stdout);
    const journal = auditJournalFile({ directory, pid });
    const lines = (await readFile(journal, 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => (JSON.parse(line) as AuditEvent).target)).toEqual([
      'committed',
      'answered-1',
      'answered-2',
    ]);
    expect(await targets(store)).toEqual(['committed']);

    expect(await recoverAuditJournals({ directory, streams: store.streams })).toBe(2);
    expect(await targets(store)).toEqual(['committed', 'answered-1', 'answered-2']);
    expect(await readdir(directory)).not.toContain(journal.split('/').at(-1));
    // Nothing is left for a second recovery.
    expect(await recoverAuditJournals({ directory, streams: store.streams })).toBe(0);
    expect(await targets(store)).toHaveLength(3);
  }, 60_000);

  it('replays an event the store holds fewer times than the journal, and skips a line cut short', async () => {
    const same = event('twice', '2026-12-07T10:00:00.000Z');
    const data = JSON.stringify(same);
    await store.streams.append('audit', data); // committed once before the kill
    const journal = auditJournalFile({ directory, pid: 999_999_999 });
    const cut = JSON.stringify(event('cut short')).slice(0, 40);
    await writeFile(journal, `${data}\n${data}\n${cut}`, { mode: 0o600 });
    const replayed = await recoverAuditJournals({
      directory,
      streams: store.streams,
      isAlive: () => false,
    });
    expect(replayed).toBe(1);
    expect(await targets(store)).toEqual(['twice', 'twice']);
  });

  it('leaves alone the journal of a process that still runs, and of another host', async () => {
    const running = auditJournalFile({ directory, pid: 4242 });
    const elsewhere = auditJournalFile({ directory, pid: 4343, host: 'other-host' });
    await writeFile(running, `${JSON.stringify(event('running'))}\n`);
    await writeFile(elsewhere, `${JSON.stringify(event('elsewhere'))}\n`);
    const replayed = await recoverAuditJournals({
      directory,
      streams: store.streams,
      isAlive: (pid) => pid === 4242,
    });
    expect(replayed).toBe(0);
    expect(await targets(store)).toEqual([]);
    expect((await readdir(directory)).filter((name) => name.startsWith('audit-journal-'))).toEqual(
      [elsewhere, running].map((file) => file.split('/').at(-1)).sort(),
    );
  });

  it('replays a journal once when two processes recover at the same time, and one whose replayer died', async () => {
    const journal = auditJournalFile({ directory, pid: 111 });
    await writeFile(journal, `${JSON.stringify(event('left'))}\n`);
    // A replay cut short by a kill: the file is claimed by a process that is gone.
    await writeFile(
      `${auditJournalFile({ directory, pid: 222 })}.claimed-333`,
      `${JSON.stringify(event('half-replayed'))}\n`,
    );
    const running = (pid: number) => pid === 7001 || pid === 7002;
    const counts = await Promise.all([
      recoverAuditJournals({ directory, streams: store.streams, pid: 7001, isAlive: running }),
      recoverAuditJournals({ directory, streams: store.streams, pid: 7002, isAlive: running }),
    ]);
    expect(counts[0] + counts[1]).toBe(2);
    expect((await targets(store)).sort()).toEqual(['half-replayed', 'left']);
    expect((await readdir(directory)).filter((name) => name.startsWith('audit-journal-'))).toEqual(
      [],
    );
  });

  it('is cut back once all it holds is committed, and sets aside a file left under its own name', async () => {
    const { logger } = logged();
    // An earlier process with this pid (a container's pid 1) left an uncommitted event.
    const ownName = auditJournalFile({ directory, pid: 1 });
    await writeFile(ownName, `${JSON.stringify(event('earlier pid 1'))}\n`);
    const a = event('a');
    const line = Buffer.byteLength(`${JSON.stringify(a)}\n`);
    const sink = createJournaledAuditSink({
      directory,
      streams: store.streams,
      logger,
      pid: 1,
      truncateBytes: 2 * line, // cut back after two events, not after one
    });
    sink.write(a);
    sink.write(event('b'));
    await committed(sink);
    expect(await readFile(sink.file, 'utf8')).toBe('');
    const c = event('c');
    sink.write(c);
    await committed(sink);
    expect(await readFile(sink.file, 'utf8')).toBe(`${JSON.stringify(c)}\n`);
    // The set-aside file is replayed (this process, pid 1, replays its own claim).
    expect(
      await recoverAuditJournals({
        directory,
        streams: store.streams,
        pid: 1,
        isAlive: () => true,
      }),
    ).toBe(1);
    expect(await targets(store)).toEqual(['a', 'b', 'c', 'earlier pid 1']);
    await sink.close();
  });

  it('gives two sinks of one process on one directory a journal each, and replays neither while open', async () => {
    const { logger } = logged();
    const never = { append: () => new Promise<never>(() => {}) }; // nothing is ever committed
    const first = createJournaledAuditSink({ directory, streams: never, logger });
    const second = createJournaledAuditSink({ directory, streams: never, logger });
    expect(second.file).not.toBe(first.file);
    first.write(event('first hub'));
    second.write(event('second hub'));
    // A third hub of this process starting on the directory finds nothing to replay.
    expect(await recoverAuditJournals({ directory, streams: store.streams })).toBe(0);
    expect(await readFile(first.file, 'utf8')).toContain('first hub');
    expect(await readFile(second.file, 'utf8')).toContain('second hub');
    await Promise.all([first.close(1), second.close(1)]);
    // Closed with their events uncommitted: the next process replays both.
    expect(
      await recoverAuditJournals({
        directory,
        streams: store.streams,
        pid: process.pid + 1,
        isAlive: () => false,
      }),
    ).toBe(2);
  });

  it('keeps an event the store refused in the journal and commits it on a retry', async () => {
    const { logger, lines } = logged();
    let down = true;
    const streams = {
      append: (stream: string, data: string) =>
        down
          ? Promise.reject(new Error('SQLITE_BUSY: database is locked'))
          : store.streams.append(stream, data),
    };
    const sink = createJournaledAuditSink({
      directory,
      streams,
      logger,
      truncateBytes: 1,
      retryMs: 1,
    });
    sink.write(event('refused'));
    while (lines.length === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([
      { level: 'warn', message: expect.stringMatching(/kept in the journal and retried/) },
    ]);
    // Not cut back while the store lacks it.
    expect(await readFile(sink.file, 'utf8')).toContain('"target":"refused"');
    expect(sink.pending()).toBe(1);
    // Refused again on a few retries before the store is back.
    let attempts = 0;
    const refusing = streams.append;
    streams.append = (stream, data) => {
      attempts += 1;
      return refusing(stream, data);
    };
    while (attempts < 3) await new Promise((resolve) => setTimeout(resolve, 1));
    down = false;
    while (sink.pending() > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(await targets(store)).toEqual(['refused']);
    expect(await readFile(sink.file, 'utf8')).toBe('');
    expect(lines.map(({ level }) => level)).toEqual(['warn', 'info']); // once each, however many retries
    await sink.close();
  });

  it('keeps at close what the store has not taken, for the next recovery', async () => {
    const { logger, lines } = logged();
    const sink = createJournaledAuditSink({
      directory,
      streams: { append: () => new Promise(() => {}) }, // a store that never answers
      logger,
    });
    sink.write(event('never committed'));
    await sink.close(10);
    expect(lines.at(-1)?.message).toMatch(/kept in the journal/);
    // The next hub to start on the directory (this process's too, once the sink is closed).
    expect(await recoverAuditJournals({ directory, streams: store.streams })).toBe(1);
    expect(await targets(store)).toEqual(['never committed']);
  });

  it('falls back to waiting for the commit when the journal cannot be opened, and says so', async () => {
    const { logger, lines } = logged();
    const blocked = join(directory, 'not-a-directory');
    await writeFile(blocked, '');
    const sink = createJournaledAuditSink({ directory: blocked, streams: store.streams, logger });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        message: expect.stringMatching(/cannot be opened/),
      }),
    ]);
    const written = sink.write(event('committed first'));
    expect(written).toBeInstanceOf(Promise);
    await written;
    expect(await targets(store)).toEqual(['committed first']);
    await sink.close();
  });
});
