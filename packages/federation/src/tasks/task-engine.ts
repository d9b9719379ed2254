/**
 * The engine of hub-managed tasks: creates a task durably, runs its call under a lease renewed
 * by a heartbeat, keeps progress, result or error in the store, and answers get / wait / list /
 * cancel for the task's owner only. A sweep (at start and every half lease) takes over tasks whose
 * runner stopped renewing its lease — a hub killed mid-call: an idempotent tool runs again, any
 * other call is marked failed with a reason that says why. Cancels reach the runner's process
 * through the store's pub/sub.
 */
import { FedmcpError, type Logger } from '@fedmcp/protocol';
import type { Lease, Store, Subscription } from '@fedmcp/store';
import type { Result } from '@modelcontextprotocol/server';
import { hubError } from '../errors.js';
import { ForwardedTasks } from './forwarded-task-store.js';
import { type HubTaskOrigin, type HubTaskRecord, isTerminal, newHubTaskId } from './hub-task.js';
import type { HubTaskSettings } from './hub-task-options.js';
import { TaskInputs } from './task-input.js';
import { createProgressWriter, waitForChange } from './task-progress.js';
import { lostRunnerOutcome, resumedRecord } from './task-recovery.js';
import { TaskStore } from './task-store.js';

type Params = Record<string, unknown>;

/** Runs a task's call: resolves with the tool result, throws a JSON-RPC-shaped failure. */
export type TaskRun = (
  record: HubTaskRecord,
  signal: AbortSignal,
  onprogress: (progress: Params) => void,
) => Promise<Result>;

/** What a new task is made of. */
export interface NewTask {
  owner: string;
  tool: string;
  idempotent: boolean;
  arguments?: Params;
  origin?: HubTaskOrigin;
  ttlMs?: number;
  callbackUrl?: string;
}

/** The pub/sub channel on which a cancelled task's id reaches the process running it. */
export const CANCEL_CHANNEL = 'fedmcp:task-cancel';
/**
 * The pub/sub channel on which every status change of a task reaches every hub on the store
 * (`{ taskId, status, lastUpdatedAt }`, never the result): what feeds the 2026-07-28 listen
 * streams that follow a task, on whichever replica they are open.
 */
export const STATUS_CHANNEL = 'fedmcp:task-status';
const LEASE = 'fedmcp:task-lease:';

/** Hub-managed tasks; see the file comment. */
export class TaskEngine {
  readonly records: TaskStore;
  /** Questions of tasks waiting for their client, and the answers (`input_required`). */
  readonly inputs: TaskInputs;
  /** Tasks of 2026-07-28 clients forwarded to upstreams that run them (tasks/forwarded-tasks.ts). */
  readonly forwarded: ForwardedTasks;
  readonly #store: Store;
  readonly #settings: HubTaskSettings;
  readonly #logger: Logger;
  readonly #holder = `hub-${crypto.randomUUID()}`;
  readonly #running = new Map<string, AbortController>();
  readonly #changes = new EventTarget();
  readonly #listeners = new Set<(record: HubTaskRecord) => void>();
  /** Followers of tasks' status, by task id (listen streams; see {@link TaskEngine.watch}). */
  readonly #watchers = new Map<string, Set<(record: HubTaskRecord) => void>>();
  readonly #closing = new AbortController();
  #resume: TaskRun | undefined;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #subscription: Promise<Subscription> | undefined;
  #statusSubscription: Promise<Subscription> | undefined;
  #closed = false;

  constructor(store: Store, settings: HubTaskSettings, logger: Logger) {
    this.#store = store;
    this.records = new TaskStore(store.kv);
    this.forwarded = new ForwardedTasks(store.kv, store.pubsub);
    this.inputs = new TaskInputs(store.pubsub, (taskId, change) => this.#finish(taskId, change));
    this.#settings = settings;
    this.#logger = logger;
  }

  /** The hub settings of tasks. */
  get settings(): HubTaskSettings {
    return this.#settings;
  }

  /** Aborts when the engine closes (what ends the listen streams that follow tasks). */
  get closing(): AbortSignal {
    return this.#closing.signal;
  }

  /**
   * Calls `listener` with the record of `taskId` after each of its status changes, made by this
   * hub or by any other on the same store (through the store's pub/sub; the record is read back
   * from the store, so a quick succession may be seen once, at its latest state). Needs
   * {@link TaskEngine.start}. Returns the function that stops it.
   */
  watch(taskId: string, listener: (record: HubTaskRecord) => void): () => void {
    let set = this.#watchers.get(taskId);
    if (!set) {
      set = new Set();
      this.#watchers.set(taskId, set);
    }
    set.add(listener);
    return () => {
      const current = this.#watchers.get(taskId);
      current?.delete(listener);
      if (current?.size === 0) this.#watchers.delete(taskId);
    };
  }

  /** Calls `listener` with every change of a task this process sees (its own runs). */
  onChange(listener: (record: HubTaskRecord) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Starts the sweep and listens for cancels; `resume` re-runs an idempotent task. */
  async start(resume: TaskRun): Promise<void> {
    this.#resume = resume;
    this.#subscription ??= this.#store.pubsub.subscribe(CANCEL_CHANNEL, (taskId) => {
      const controller = this.#running.get(taskId);
      if (!controller || controller.signal.aborted) return; // not here, or cancelled here
      controller.abort(hubError('CANCELED', 'The task was cancelled.'));
      // Cancelled elsewhere (another replica, an operator): this process tells its session.
      void this.records.get(taskId).then((record) => record && this.#changed(record));
    });
    await this.#subscription;
    this.#statusSubscription ??= this.#store.pubsub.subscribe(STATUS_CHANNEL, (message) => {
      const taskId = statusMessageTaskId(message);
      if (taskId === undefined || !this.#watchers.has(taskId)) return;
      void this.records.get(taskId).then(
        (record) => record && this.#notifyWatchers(record),
        (error: unknown) =>
          this.#logger.debug({ err: (error as Error).message }, 'task status read failed'),
      );
    });
    await this.#statusSubscription;
    await this.inputs.start();
    await this.sweep();
    this.#sweepTimer ??= setInterval(
      () => {
        this.sweep().catch((error) =>
          this.#logger.warn({ err: (error as Error).message }, 'task sweep failed'),
        );
      },
      Math.max(50, this.#settings.leaseMs / 2),
    );
  }

  /**
   * Creates a task and starts `run` for it; resolves once the task is stored (a `tasks/get`
   * finds it). @throws FedmcpError RATE_LIMITED beyond `maxRunningPerPrincipal`.
   */
  async create(input: NewTask, run: TaskRun): Promise<HubTaskRecord> {
    const { maxRunningPerPrincipal: limit } = this.#settings;
    if ((await this.records.runningCount(input.owner, limit)) >= limit) {
      throw hubError(
        'RATE_LIMITED',
        `You have ${limit} tasks running, the most allowed; wait for one to finish or cancel one.`,
      );
    }
    const taskId = newHubTaskId();
    // The lease first: a sweep elsewhere never takes a task that is being created.
    const lease = await this.#acquire(taskId);
    if (!lease) throw hubError('INTERNAL', 'Could not take the lease of a new task.');
    const now = new Date().toISOString();
    const ttlMs = Math.min(input.ttlMs ?? this.#settings.defaultTtlMs, this.#settings.maxTtlMs);
    const record: HubTaskRecord = {
      taskId,
      owner: input.owner,
      status: 'working',
      createdAt: now,
      lastUpdatedAt: now,
      ttlMs,
      pollIntervalMs: this.#settings.pollIntervalMs,
      tool: input.tool,
      idempotent: input.idempotent,
      ...(input.idempotent && input.arguments ? { arguments: input.arguments } : {}),
      ...(input.idempotent && input.origin ? { origin: input.origin } : {}),
      ...(input.callbackUrl ? { callbackUrl: input.callbackUrl } : {}),
      attempts: 1,
    };
    await this.records.create(record);
    void this.#execute(record, lease, run);
    return record;
  }

  /** A task of `owner`. @throws FedmcpError INVALID_PARAMS for an unknown or someone else's task. */
  async get(taskId: string, owner: string): Promise<HubTaskRecord> {
    const record = await this.records.get(taskId);
    // Another principal's task is answered as if it did not exist (tasks are bound to their requestor).
    if (!record || record.owner !== owner) {
      throw hubError('INVALID_PARAMS', `Failed to retrieve task: unknown task ${taskId}.`);
    }
    return record;
  }

  /**
   * Waits until a task of `owner` is terminal (MCP 2025-11-25 `tasks/result` blocks); `onWaiting`
   * sees the record each time it is found still running (a task waiting for input).
   */
  async waitTerminal(
    taskId: string,
    owner: string,
    signal: AbortSignal,
    onWaiting?: (record: HubTaskRecord) => Promise<void>,
  ): Promise<HubTaskRecord> {
    for (;;) {
      const record = await this.get(taskId, owner);
      if (isTerminal(record.status)) return record;
      signal.throwIfAborted();
      await onWaiting?.(record);
      await waitForChange(this.#changes, taskId, record.pollIntervalMs, signal);
    }
  }

  /**
   * Cancels a task of `owner`. @throws FedmcpError INVALID_PARAMS for an unknown task or one
   * already terminal (MCP 2025-11-25: cancelling a terminal task is -32602).
   */
  async cancel(taskId: string, owner: string): Promise<HubTaskRecord> {
    const current = await this.get(taskId, owner);
    const { record, changed } = await this.records.update(taskId, (task) => ({
      ...task,
      status: 'cancelled',
      statusMessage: 'Cancelled at the request of its owner.',
    }));
    if (!changed || !record) {
      throw hubError(
        'INVALID_PARAMS',
        `Cannot cancel task ${taskId}: it is already ${record?.status ?? current.status}.`,
      );
    }
    this.#running.get(taskId)?.abort(hubError('CANCELED', 'The task was cancelled.'));
    await this.#store.pubsub.publish(CANCEL_CHANNEL, taskId);
    this.#changed(record);
    return record;
  }

  /** Takes over tasks whose runner's lease lapsed: resumes idempotent ones, fails the rest. */
  async sweep(): Promise<void> {
    for await (const taskId of this.records.runningIds()) {
      if (this.#closed) return;
      if (this.#running.has(taskId)) continue;
      const lease = await this.#acquire(taskId);
      if (!lease) continue; // its runner is alive
      const record = await this.records.get(taskId);
      if (!record || isTerminal(record.status)) {
        await this.records.dropRunning(record?.owner, taskId);
        await this.#store.leases.release(lease);
        continue;
      }
      if (record.idempotent && this.#resume) {
        const { record: resumed } = await this.records.update(taskId, resumedRecord);
        if (resumed && !isTerminal(resumed.status)) {
          void this.#execute(resumed, lease, this.#resume);
          continue;
        }
      } else {
        await this.#finish(taskId, lostRunnerOutcome(record));
      }
      await this.#store.leases.release(lease).catch(() => false);
    }
  }

  /** Stops the sweep and aborts this process's runs (their leases lapse; another hub takes them). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#closing.abort();
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    for (const controller of this.#running.values()) {
      controller.abort(hubError('CANCELED', 'The hub is shutting down.'));
    }
    await (await this.#subscription?.catch(() => undefined))?.unsubscribe().catch(() => {});
    await (await this.#statusSubscription?.catch(() => undefined))?.unsubscribe().catch(() => {});
    this.#watchers.clear();
    await this.inputs.close();
    await this.forwarded.close();
  }

  /** Closes the store (when the engine owns it). */
  async closeStore(): Promise<void> {
    await this.#store.close();
  }

  #acquire(taskId: string): Promise<Lease | undefined> {
    return this.#store.leases.acquire(`${LEASE}${taskId}`, {
      ttlMs: this.#settings.leaseMs,
      holder: this.#holder,
    });
  }

  async #execute(record: HubTaskRecord, first: Lease, run: TaskRun): Promise<void> {
    const controller = new AbortController();
    const { taskId } = record;
    this.#running.set(taskId, controller);
    let lease: Lease | undefined = first;
    const heartbeat = setInterval(async () => {
      lease =
        lease &&
        (await this.#store.leases
          .renew(lease, { ttlMs: this.#settings.leaseMs })
          .catch(() => lease));
    }, this.#settings.leaseMs / 3);
    const onprogress = createProgressWriter(this.records, taskId);
    try {
      const result = await run(record, controller.signal, onprogress);
      await this.#finish(taskId, { status: 'completed', result: result as Params });
    } catch (error) {
      // A closing hub leaves the task to the sweep of the next one (its lease lapses).
      if (!this.#closed && !controller.signal.aborted) {
        const failure = FedmcpError.from(error).toJsonRpcError();
        await this.#finish(taskId, {
          status: 'failed',
          statusMessage: failure.message,
          error: failure,
        }).catch(() => undefined);
      }
    } finally {
      clearInterval(heartbeat);
      this.#running.delete(taskId);
      if (!this.#closed && lease) await this.#store.leases.release(lease).catch(() => false);
    }
  }

  async #finish(taskId: string, outcome: Partial<HubTaskRecord>): Promise<void> {
    const { record, changed } = await this.records.update(taskId, (task) => ({
      ...task,
      ...outcome,
    }));
    if (changed && record) this.#changed(record);
  }

  #notifyWatchers(record: HubTaskRecord): void {
    for (const watcher of this.#watchers.get(record.taskId) ?? []) {
      try {
        watcher(record);
      } catch (error) {
        this.#logger.warn({ err: (error as Error).message }, 'task watcher failed');
      }
    }
  }

  #changed(record: HubTaskRecord): void {
    this.#changes.dispatchEvent(new Event(record.taskId));
    // Every hub on the store (this one included: its pub/sub delivers to itself) tells the listen
    // streams that follow the task; this one tells its own at once too (watchers drop repeats).
    this.#notifyWatchers(record);
    const { taskId, status, lastUpdatedAt } = record;
    this.#store.pubsub
      .publish(STATUS_CHANNEL, JSON.stringify({ taskId, status, lastUpdatedAt }))
      .catch((error: unknown) =>
        this.#logger.debug({ err: (error as Error).message }, 'task status publish failed'),
      );
    for (const listener of this.#listeners) {
      try {
        listener(record);
      } catch (error) {
        this.#logger.warn({ err: (error as Error).message }, 'task listener failed');
      }
    }
  }
}

/** The task id of a {@link STATUS_CHANNEL} message, if it is one. */
function statusMessageTaskId(message: string): string | undefined {
  try {
    const taskId = (JSON.parse(message) as { taskId?: unknown }).taskId;
    return typeof taskId === 'string' ? taskId : undefined;
  } catch {
    return undefined;
  }
}
