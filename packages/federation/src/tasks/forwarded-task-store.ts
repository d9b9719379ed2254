/**
 * The store's record of each task of a 2026-07-28 client forwarded to an upstream
 * (tasks/forwarded-tasks.ts): by the task id the client sees, who owns it, which upstream runs
 * it and under which id there. Kept for the task's retention; shared by replicas.
 */
import type { KeyValueStore } from '@fedmcp/store';

const FORWARDED = 'fedmcp:forwarded-task:';

/** What the store keeps of a forwarded task. */
export interface ForwardedTask {
  owner: string;
  upstream: string;
  /** The upstream's own task id. */
  taskId: string;
}

/** Forwarded tasks by exposed id, in the hub's store (shared by replicas). */
export class ForwardedTasks {
  readonly #kv: KeyValueStore;

  constructor(kv: KeyValueStore) {
    this.#kv = kv;
  }

  /** Records a forwarded task for `ttlMs` (its retention). */
  async set(exposedId: string, task: ForwardedTask, ttlMs: number): Promise<void> {
    await this.#kv.set(`${FORWARDED}${exposedId}`, JSON.stringify(task), {
      ttlMs: Math.max(1, ttlMs),
    });
  }

  /** A forwarded task, if it is known and not expired. */
  async get(exposedId: string): Promise<ForwardedTask | undefined> {
    const entry = await this.#kv.get(`${FORWARDED}${exposedId}`);
    return entry ? (JSON.parse(entry.value) as ForwardedTask) : undefined;
  }
}
