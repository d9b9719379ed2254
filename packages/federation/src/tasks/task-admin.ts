/**
 * The operator's view of hub-managed tasks, straight from the store (what `fedmcp tasks` uses):
 * every principal's tasks, without their arguments or results, and a cancel that reaches the hub
 * running the task through the store's pub/sub.
 */
import type { Store } from '@fedmcp/store';
import { hubError } from '../errors.js';
import { type HubTaskRecord, toSummary } from './hub-task.js';
import { CANCEL_CHANNEL } from './task-engine.js';
import { TaskStore } from './task-store.js';

type Params = Record<string, unknown>;

/** A task as an operator sees it: its state, tool, owner and progress (no arguments or result). */
export type TaskSummary = Params & {
  taskId: string;
  status: HubTaskRecord['status'];
  tool: string;
  /** The owning principal's subject (`anonymous` for an anonymous session's task). */
  owner: string;
};

/** See {@link createTaskAdmin}. */
export interface TaskAdmin {
  /** Every live task of every principal, oldest first. */
  list(): Promise<TaskSummary[]>;
  /** One task. @throws FedmcpError NOT_FOUND for an unknown or expired task. */
  get(taskId: string): Promise<TaskSummary>;
  /**
   * Cancels a running task (its hub aborts the upstream call). @throws FedmcpError NOT_FOUND
   * for an unknown task, INVALID_PARAMS for one already terminal.
   */
  cancel(taskId: string): Promise<TaskSummary>;
}

function ownerSubject(owner: string): string {
  if (!owner.startsWith('[')) return 'anonymous';
  const [subject] = JSON.parse(owner) as unknown[];
  return typeof subject === 'string' ? subject : 'anonymous';
}

function summaryOf(record: HubTaskRecord): TaskSummary {
  return { ...toSummary(record), owner: ownerSubject(record.owner) } as TaskSummary;
}

/**
 * The hub-managed tasks kept in `store` (the hub's `HubOptions.tasks.store`), for operators.
 *
 * @example
 * ```ts
 * const admin = createTaskAdmin(await createStore('sqlite:./.fedmcp/state.db'));
 * for (const task of await admin.list()) console.log(task.taskId, task.status, task.tool);
 * ```
 */
export function createTaskAdmin(store: Store): TaskAdmin {
  const records = new TaskStore(store.kv);
  const find = async (taskId: string) => {
    const record = await records.get(taskId);
    if (!record) throw hubError('NOT_FOUND', `No task ${taskId} (unknown, or past its retention).`);
    return record;
  };
  return {
    async list() {
      const all: HubTaskRecord[] = [];
      for await (const record of records.all()) all.push(record);
      return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map(summaryOf);
    },
    async get(taskId) {
      return summaryOf(await find(taskId));
    },
    async cancel(taskId) {
      await find(taskId);
      const { record, changed } = await records.update(taskId, (task) => ({
        ...task,
        status: 'cancelled',
        statusMessage: 'Cancelled by an operator.',
      }));
      if (!changed || !record) {
        throw hubError('INVALID_PARAMS', `Task ${taskId} is already ${record?.status}.`);
      }
      await store.pubsub.publish(CANCEL_CHANNEL, taskId);
      return summaryOf(record);
    },
  };
}
