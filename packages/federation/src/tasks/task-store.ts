/**
 * Hub-managed task records in `@fedmcp/store`'s key/value space, so any process on the same
 * store (a restarted hub, another replica, `fedmcp tasks`) reads them: one key per task, an index
 * per owner, and an index of the tasks still running (what recovery scans). Every key expires with
 * the task's retention; updates are compare-and-set, so a late result never overwrites a cancel.
 */
import type { KeyValueStore } from '@fedmcp/store';
import { hubError } from '../errors.js';
import { type HubTaskRecord, isTerminal } from './hub-task.js';

const RECORD = 'fedmcp:task:';
const BY_OWNER = 'fedmcp:task-owner:';
const RUNNING = 'fedmcp:task-running:';

/** The most compare-and-set retries of one update (each one lost to a concurrent writer). */
const MAX_UPDATE_ATTEMPTS = 16;

/** A short, stable digest of an owner key, for index keys (the owner key itself may be long). */
export async function ownerDigest(owner: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(owner));
  return [...new Uint8Array(digest, 0, 16)]
    .map((byte) => byte.toString(16).padStart(2, '0'))
    .join('');
}

/** Task records over a key/value store; see the file comment. */
export class TaskStore {
  readonly #kv: KeyValueStore;
  readonly #now: () => number;

  constructor(kv: KeyValueStore, now: () => number = Date.now) {
    this.#kv = kv;
    this.#now = now;
  }

  /** Milliseconds the record of a task has left (at least 1: the store needs a positive TTL). */
  #remaining(record: HubTaskRecord): number {
    return Math.max(1, Date.parse(record.createdAt) + record.ttlMs - this.#now());
  }

  /** Stores a new task (durably: `tasks/get` finds it once this resolves) and indexes it. */
  async create(record: HubTaskRecord): Promise<void> {
    const ttlMs = this.#remaining(record);
    const owner = await ownerDigest(record.owner);
    await this.#kv.set(`${RECORD}${record.taskId}`, JSON.stringify(record), { ttlMs });
    await this.#kv.set(`${BY_OWNER}${owner}:${record.taskId}`, record.taskId, { ttlMs });
    if (!isTerminal(record.status)) {
      await this.#kv.set(`${RUNNING}${owner}:${record.taskId}`, record.taskId, { ttlMs });
    }
  }

  /** A task's record, if it exists and has not expired. */
  async get(taskId: string): Promise<HubTaskRecord | undefined> {
    const entry = await this.#kv.get(`${RECORD}${taskId}`);
    return entry ? (JSON.parse(entry.value) as HubTaskRecord) : undefined;
  }

  /**
   * Changes a task atomically: `change` gets the current record and returns the next one, or
   * `undefined` to leave it. A terminal record is never changed. Resolves with the record as
   * stored afterwards and whether this call changed it.
   */
  async update(
    taskId: string,
    change: (record: HubTaskRecord) => HubTaskRecord | undefined,
  ): Promise<{ record: HubTaskRecord | undefined; changed: boolean }> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const entry = await this.#kv.get(`${RECORD}${taskId}`);
      if (!entry) return { record: undefined, changed: false };
      const current = JSON.parse(entry.value) as HubTaskRecord;
      if (isTerminal(current.status)) return { record: current, changed: false };
      const proposed = change(current);
      if (!proposed) return { record: current, changed: false };
      const next = { ...proposed, lastUpdatedAt: new Date(this.#now()).toISOString() };
      const written = await this.#kv.compareAndSet(`${RECORD}${taskId}`, JSON.stringify(next), {
        expectedVersion: entry.version,
        ttlMs: this.#remaining(next),
      });
      if (!written.ok) continue;
      if (isTerminal(next.status)) {
        await this.#kv.delete(`${RUNNING}${await ownerDigest(next.owner)}:${taskId}`);
      }
      return { record: next, changed: true };
    }
    throw hubError(
      'INTERNAL',
      `Task ${taskId} changed concurrently too often to be updated; retry.`,
    );
  }

  /** The ids of an owner's tasks, at most `limit`, newest last by id order of the index. */
  async idsOf(owner: string, options: { cursor?: string; limit: number }) {
    const page = await this.#kv.list({
      prefix: `${BY_OWNER}${await ownerDigest(owner)}:`,
      limit: options.limit,
      ...(options.cursor ? { cursor: options.cursor } : {}),
    });
    return { ids: page.entries.map((entry) => entry.value), cursor: page.cursor };
  }

  /** How many of an owner's tasks are still running (counting up to `upTo`). */
  async runningCount(owner: string, upTo: number): Promise<number> {
    const page = await this.#kv.list({
      prefix: `${RUNNING}${await ownerDigest(owner)}:`,
      limit: upTo,
    });
    return page.entries.length;
  }

  /** The ids of every task still marked running, by any owner (what recovery looks at). */
  async *runningIds(): AsyncGenerator<string> {
    let cursor: string | undefined;
    do {
      const page = await this.#kv.list({
        prefix: RUNNING,
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      for (const entry of page.entries) yield entry.value;
      cursor = page.cursor;
    } while (cursor);
  }

  /** Forgets a running-index entry whose record is gone (expired). */
  async dropRunning(owner: string | undefined, taskId: string): Promise<void> {
    if (owner !== undefined) {
      await this.#kv.delete(`${RUNNING}${await ownerDigest(owner)}:${taskId}`);
      return;
    }
    const stale = await this.#kv.list({ prefix: RUNNING, limit: 1000 });
    for (const entry of stale.entries) {
      if (entry.value === taskId) await this.#kv.delete(entry.key);
    }
  }

  /** Every task record (all owners): for operators (`fedmcp tasks list` on the store). */
  async *all(): AsyncGenerator<HubTaskRecord> {
    let cursor: string | undefined;
    do {
      const page = await this.#kv.list({
        prefix: RECORD,
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      for (const entry of page.entries) yield JSON.parse(entry.value) as HubTaskRecord;
      cursor = page.cursor;
    } while (cursor);
  }
}
