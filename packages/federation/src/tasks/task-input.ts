/**
 * `input_required` of hub-managed tasks: an upstream that asks its client something (elicitation,
 * sampling, roots) while the hub runs its call as a task. The runner records the questions in the
 * task (`input_required`, `inputRequests`) and waits; the answers come from the task's owner —
 * MCP 2025-11-25 through `tasks/result` (the hub sends the questions on that request, marked with
 * the related task), the 2026-07-28 tasks extension through `tasks/update` (`inputResponses`) —
 * on any hub sharing the store: they reach the runner's process through the store's pub/sub.
 * Then the task is `working` again.
 */
import type { PubSub, Subscription } from '@fedmcp/store';
import { hubError } from '../errors.js';
import type { HubTaskRecord, TaskInputRequests } from './hub-task.js';

type Params = Record<string, unknown>;

/** The pub/sub channel on which a task's answers reach the process running it. */
export const INPUT_CHANNEL = 'fedmcp:task-input';

/** Changes a running task's record (and tells its session), as the engine does. */
export type TaskTransition = (taskId: string, change: Partial<HubTaskRecord>) => Promise<void>;

/** The questions of this process's tasks and the answers reaching them; see the file comment. */
export class TaskInputs {
  readonly #pubsub: PubSub;
  readonly #transition: TaskTransition;
  /** Tasks of this process waiting for answers: the keys asked, and where the answers go. */
  readonly #waiting = new Map<
    string,
    { keys: Set<string>; deliver: (responses: Params) => void }
  >();
  #subscription: Promise<Subscription> | undefined;

  constructor(pubsub: PubSub, transition: TaskTransition) {
    this.#pubsub = pubsub;
    this.#transition = transition;
  }

  /** Listens for answers published by other processes. */
  async start(): Promise<void> {
    this.#subscription ??= this.#pubsub.subscribe(INPUT_CHANNEL, (message) => {
      const { taskId, responses } = parse(message);
      if (typeof taskId === 'string' && responses) this.#deliver(taskId, responses);
    });
    await this.#subscription;
  }

  /** Stops listening. */
  async close(): Promise<void> {
    await (await this.#subscription?.catch(() => undefined))?.unsubscribe().catch(() => {});
  }

  /**
   * The runner's side: marks the task `input_required` with `requests`, waits for answers (to
   * some or all of them), and marks it `working` again. Rejects when `signal` aborts (a cancel)
   * or `deadline` (epoch ms: the task's expiry) passes first.
   */
  async ask(
    taskId: string,
    requests: TaskInputRequests,
    signal: AbortSignal,
    deadline: number,
  ): Promise<Params> {
    let settle: () => void = () => {};
    const answered = new Promise<Params>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            hubError('REQUEST_TIMEOUT', 'The client did not answer the task’s questions in time.'),
          ),
        Math.max(0, deadline - Date.now()),
      );
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      settle = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      this.#waiting.set(taskId, { keys: new Set(Object.keys(requests)), deliver: resolve });
    });
    answered.catch(() => {}); // awaited below; a cancel may come while the task is being marked
    try {
      const methods = [...new Set(Object.values(requests).map((request) => request.method))];
      await this.#transition(taskId, {
        status: 'input_required',
        statusMessage: `Waiting for the client to answer: ${methods.join(', ')}.`,
        inputRequests: requests,
      });
      const responses = await answered;
      await this.#transition(taskId, {
        status: 'working',
        statusMessage: undefined,
        inputRequests: undefined,
      });
      return responses;
    } finally {
      settle();
      this.#waiting.delete(taskId);
    }
  }

  /**
   * The owner's side: delivers answers to the questions of a task waiting for input (keys it did
   * not ask are ignored), to this process's runner or through the store to another's.
   */
  async answer(record: HubTaskRecord, responses: Params): Promise<void> {
    if (record.status !== 'input_required' || !record.inputRequests) return;
    const asked = record.inputRequests;
    const known = Object.fromEntries(Object.entries(responses).filter(([key]) => key in asked));
    if (Object.keys(known).length === 0) return;
    if (this.#deliver(record.taskId, known)) return;
    await this.#pubsub.publish(
      INPUT_CHANNEL,
      JSON.stringify({ taskId: record.taskId, responses: known }),
    );
  }

  /**
   * Hands answers to this process's runner of a task, if it waits here: only those to questions
   * it asked (an answer to an earlier run's question is dropped). Whether the task waits here.
   */
  #deliver(taskId: string, responses: Params): boolean {
    const waiting = this.#waiting.get(taskId);
    if (!waiting) return false;
    const asked = Object.entries(responses).filter(([key]) => waiting.keys.has(key));
    if (asked.length > 0) waiting.deliver(Object.fromEntries(asked));
    return true;
  }
}

function parse(message: string): { taskId?: unknown; responses?: Params } {
  try {
    const value = JSON.parse(message) as { taskId?: unknown; responses?: unknown };
    const responses =
      value.responses && typeof value.responses === 'object'
        ? (value.responses as Params)
        : undefined;
    return { taskId: value.taskId, ...(responses ? { responses } : {}) };
  } catch {
    return {};
  }
}
