/**
 * The store's record of each task of a 2026-07-28 client forwarded to an upstream
 * (tasks/forwarded-tasks.ts): by the task id the client sees, who owns it, which upstream runs
 * it and under which id there. Kept for the task's retention; shared by replicas.
 */
import type { KeyValueStore, PubSub } from '@fedmcp/store';
import { HeldTasks } from './forwarded-task-questions.js';
import { ForwardedTaskRelay } from './forwarded-task-relay.js';

const FORWARDED = 'fedmcp:forwarded-task:';
/** The upstream tasks of one owner (2025-era sessions' tasks, for `tasks/list` on any replica). */
const BY_OWNER = 'fedmcp:upstream-tasks-of:';

/** What the store keeps of a forwarded task. */
export interface ForwardedTask {
  owner: string;
  upstream: string;
  /** The upstream's own task id. */
  taskId: string;
  /** `'modern'`: a 2026-07-28 upstream's extension task; else a 2025-11-25 upstream task. */
  era?: 'modern';
  /** The client's sampling, elicitation and roots capabilities (what its task may ask). */
  capabilities?: Record<string, unknown>;
  /**
   * The replica that created a 2025-11-25 upstream task (its upstream session and held
   * `tasks/result` live there; tasks/forwarded-task-relay.ts).
   */
  replica?: string;
  /** The client's progress token of the call (progress tied to the task goes out with it). */
  progressToken?: string | number;
  /**
   * `'upstream'`: an upstream task a 2025-era session created itself (its `tools/call` carried
   * `task`; tasks/upstream-task-replicas.ts), not a task forwarded for a 2026-07-28 client.
   */
  kind?: 'upstream';
  /**
   * The task runs on its caller's own upstream connection (`isolation: 'per-principal'` or
   * `'per-session'`: the caller's credentials), so every request about it goes there too, never on
   * the shared connection (which may carry no or another identity).
   */
  ownConnection?: true;
}

/** A task's own connection owner, kept in this process for the task's retention. */
class ConnectionOwners {
  readonly #owners = new Map<string, object>();

  remember(exposedId: string, owner: object, ttlMs: number): void {
    this.#owners.set(exposedId, owner);
    const timer = setTimeout(
      () => {
        if (this.#owners.get(exposedId) === owner) this.#owners.delete(exposedId);
      },
      Math.min(Math.max(1, ttlMs), 2_147_483_647),
    );
    timer.unref?.();
  }

  of(exposedId: string): object | undefined {
    return this.#owners.get(exposedId);
  }
}

/** Forwarded tasks by exposed id, in the hub's store (shared by replicas). */
export class ForwardedTasks {
  readonly #kv: KeyValueStore;
  /** The `tasks/result` requests this process holds for their questions (2025 upstreams). */
  readonly held = new HeldTasks();
  /** Requests about 2025 upstream tasks relayed to the replica holding them. */
  readonly relay: ForwardedTaskRelay;
  /** The connection owners of the tasks created here on their callers' own connections. */
  readonly owners = new ConnectionOwners();

  constructor(kv: KeyValueStore, pubsub?: PubSub) {
    this.#kv = kv;
    this.relay = new ForwardedTaskRelay(kv, pubsub);
  }

  /** Stops relaying (this replica is no longer a holder others wait for). */
  async close(): Promise<void> {
    this.held.endAll();
    await this.relay.close();
  }

  /** Records a forwarded task for `ttlMs` (its retention). */
  async set(exposedId: string, task: ForwardedTask, ttlMs: number): Promise<void> {
    await this.#kv.set(`${FORWARDED}${exposedId}`, JSON.stringify(task), {
      ttlMs: Math.max(1, ttlMs),
    });
  }

  /** Lists `exposedId` among the upstream tasks of `owner` for `ttlMs`. */
  async index(owner: string, exposedId: string, ttlMs: number): Promise<void> {
    await this.#kv.set(`${BY_OWNER}${owner}:${exposedId}`, exposedId, {
      ttlMs: Math.max(1, ttlMs),
    });
  }

  /** The exposed ids of `owner`'s upstream tasks (at most `limit`). */
  async indexed(owner: string, limit: number): Promise<string[]> {
    const page = await this.#kv.list({ prefix: `${BY_OWNER}${owner}:`, limit });
    return page.entries.map((entry) => entry.value);
  }

  /** A forwarded task, if it is known and not expired. */
  async get(exposedId: string): Promise<ForwardedTask | undefined> {
    const entry = await this.#kv.get(`${FORWARDED}${exposedId}`);
    return entry ? (JSON.parse(entry.value) as ForwardedTask) : undefined;
  }
}
