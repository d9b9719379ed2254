/**
 * Questions of a 2025-11-25 upstream task forwarded for a 2026-07-28 client (issue #19). A 2025
 * upstream task that needs its client (`input_required`) sends its elicitation / sampling / roots
 * requests on the stream of a `tasks/result` request, marked with the related task
 * (`_meta["io.modelcontextprotocol/related-task"]`). The hub holds such a `tasks/result` open on
 * the connection the task was created on (2025 upstream tasks belong to their session) and parks
 * the questions arriving on it; the 2026 client sees them as the task's `inputRequests` (in
 * `tasks/get` and `notifications/tasks`), and its `tasks/update` `inputResponses` answer the
 * upstream's requests. The held `tasks/result` ends with the task (or a `tasks/cancel`).
 *
 * Routing is by the related-task mark: a `Flow` subclass sits on the shared connection while
 * tasks are held and passes each question to its task; a question of anything else on that
 * connection is answered as the hub answers questions on a shared connection (roots: none;
 * sampling / elicitation: the spec's -32602 for a missing capability). The held requests are
 * process-local, on the replica holding the task's upstream session: a client's `tasks/get` and
 * `tasks/update` on another replica are relayed there (tasks/forwarded-task-relay.ts).
 *
 * The same routing carries the questions of a 2025-era session's own upstream task to the
 * `tasks/result` request that session made ({@link HeldTasks.route}; tasks/upstream-task-questions.ts).
 */
import { ResultSchema } from '@modelcontextprotocol/core';
import type { ClientCapabilities } from '@modelcontextprotocol/server';
import { hubError } from '../errors.js';
import { Flow, type InteractiveMethod, supportsElicitationMode } from '../flow.js';
import type { FlowRegistry } from '../services/flow-registry.js';
import type { Upstream } from '../upstream.js';
import type { UpstreamConnection } from '../upstream-connection.js';
import type { TaskInputRequests } from './hub-task.js';

type Params = Record<string, unknown>;

const RELATED_TASK = 'io.modelcontextprotocol/related-task';

/** One question of a held task, waiting for the client's answer. */
interface Question {
  method: InteractiveMethod;
  params: Params;
  resolve(answer: unknown): void;
  reject(error: unknown): void;
}

/** Whoever takes the questions of one upstream task arriving on its connection. */
export interface TaskQuestionTaker {
  /** A question (its params without the upstream's related-task mark). */
  ask(method: InteractiveMethod, params: Params): Promise<unknown>;
  /** The connection's routing ended (closed, or the hub closes). */
  end?(): void;
}

/** A 2025 upstream task whose `tasks/result` the hub holds, and its outstanding questions. */
export class HeldTask implements TaskQuestionTaker {
  readonly abort = new AbortController();
  readonly #questions = new Map<string, Question>();
  readonly #waiters = new Set<() => void>();
  readonly #capabilities: ClientCapabilities;
  #counter = 0;
  #ended = false;

  constructor(capabilities: ClientCapabilities) {
    this.#capabilities = capabilities;
  }

  /** An upstream question: parked for the client, or refused if it cannot answer it. */
  ask(method: InteractiveMethod, params: Params): Promise<unknown> {
    if (this.#ended) return Promise.reject(hubError('INVALID_REQUEST', 'The task is over.'));
    const capabilities = this.#capabilities;
    if (method === 'roots/list' && !capabilities.roots) return Promise.resolve({ roots: [] });
    if (method === 'sampling/createMessage' && !capabilities.sampling) {
      return Promise.reject(missing(method, params));
    }
    if (
      method === 'elicitation/create' &&
      !supportsElicitationMode(capabilities, params.mode === 'url' ? 'url' : 'form')
    ) {
      return Promise.reject(missing(method, params));
    }
    return new Promise((resolve, reject) => {
      this.#counter += 1;
      // Keys are unique over the task's life (the extension requires it).
      this.#questions.set(`input-${this.#counter}`, { method, params, resolve, reject });
      for (const wake of this.#waiters) wake();
    });
  }

  /**
   * The outstanding questions as the extension's `inputRequests`; when there are none yet, waits
   * up to `waitMs` for the first (the upstream sends it once `tasks/result` reached it).
   */
  async outstanding(waitMs: number): Promise<TaskInputRequests> {
    if (this.#questions.size === 0 && !this.#ended && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, waitMs);
        this.#waiters.add(done);
      });
    }
    const requests: TaskInputRequests = {};
    for (const [key, question] of this.#questions) {
      requests[key] = { method: question.method, params: question.params };
    }
    return requests;
  }

  /** Delivers the client's answers; keys not outstanding are ignored (the extension's rule). */
  answer(responses: Params): void {
    for (const [key, response] of Object.entries(responses)) {
      const question = this.#questions.get(key);
      if (!question) continue;
      this.#questions.delete(key);
      question.resolve(response);
    }
  }

  /** Ends the hold: outstanding questions are refused, waiters released. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.abort.signal.aborted) this.abort.abort(hubError('CANCELED', 'The task is over.'));
    const refusal = hubError('INVALID_REQUEST', 'The task this request belongs to is over.');
    for (const question of this.#questions.values()) question.reject(refusal);
    this.#questions.clear();
    for (const wake of [...this.#waiters]) wake();
  }
}

/** The spec's -32602 for a question the client declared no capability for. */
export function missing(method: InteractiveMethod, params: Params) {
  if (method === 'elicitation/create') {
    const mode = params.mode === 'url' ? 'url' : 'form';
    return hubError('INVALID_PARAMS', `The client does not support ${mode} mode elicitation.`);
  }
  return hubError(
    'INVALID_PARAMS',
    'The client does not support sampling (no sampling capability).',
  );
}

/** A question's params without the upstream's related-task mark (its own task id). */
function withoutRelatedTask(params: Params): Params {
  const meta = params._meta as Params | undefined;
  if (!meta || !(RELATED_TASK in meta)) return params;
  const { [RELATED_TASK]: _related, ...rest } = meta;
  const { _meta: _dropped, ...body } = params;
  return Object.keys(rest).length > 0 ? { ...body, _meta: rest } : body;
}

/**
 * Sits on a shared connection while tasks are held there: each question goes to the held task
 * it names (see the file comment).
 */
class HeldTaskDispatch extends Flow {
  /** Held tasks (and other takers) on this connection, by the upstream's task id. */
  readonly held = new Map<string, TaskQuestionTaker>();

  override ask(method: InteractiveMethod, params: Record<string, unknown>): Promise<unknown> {
    const related = (params._meta as Params | undefined)?.[RELATED_TASK] as
      | { taskId?: unknown }
      | undefined;
    const task = typeof related?.taskId === 'string' ? this.held.get(related.taskId) : undefined;
    if (task) return task.ask(method, withoutRelatedTask(params));
    // Anything else on a shared connection: as the hub answers it without a flow there.
    if (method === 'roots/list') return Promise.resolve({ roots: [] });
    return Promise.reject(missing(method, params));
  }

  override cancel(reason?: unknown): void {
    for (const task of this.held.values()) task.end?.();
    this.held.clear();
    super.cancel(reason);
  }
}

/** The held `tasks/result` requests of one hub, by exposed task id; see the file comment. */
export class HeldTasks {
  readonly #tasks = new Map<string, HeldTask>();
  readonly #dispatches = new WeakMap<UpstreamConnection, HeldTaskDispatch>();
  #flows: FlowRegistry | undefined;

  /** The hub's flows, on which the dispatch of a connection is registered (set once). */
  bind(flows: FlowRegistry): void {
    this.#flows ??= flows;
  }

  /** A held task, if this process holds it. */
  get(exposedId: string): HeldTask | undefined {
    return this.#tasks.get(exposedId);
  }

  /** Stops holding every task (the hub closes). */
  endAll(): void {
    for (const task of [...this.#tasks.values()]) task.end();
  }

  /** Stops holding a task (its `tasks/result` is cancelled upstream). */
  drop(exposedId: string): void {
    this.#tasks.get(exposedId)?.end();
  }

  /**
   * Holds `tasks/result` of an upstream task on the shared connection it was created on, unless
   * held already; `undefined` when that connection is not free for it (leased by an interactive
   * call, owned by a session, or down).
   */
  hold(
    upstream: Upstream,
    exposedId: string,
    upstreamTaskId: string,
    capabilities: ClientCapabilities,
    timeoutMs: number,
  ): HeldTask | undefined {
    const existing = this.#tasks.get(exposedId);
    if (existing) return existing;
    let connection: UpstreamConnection;
    try {
      connection = upstream.primary();
    } catch {
      return undefined;
    }
    const client = connection.client;
    const held = client && this.#dispatchOn(connection);
    if (!client || !held) return undefined;
    const task = new HeldTask(capabilities);
    held.held.set(upstreamTaskId, task);
    this.#tasks.set(exposedId, task);
    // Counted as a plain call: no interactive call leases this connection while the task is held.
    connection.plainCalls += 1;
    client
      .request({ method: 'tasks/result', params: { taskId: upstreamTaskId } }, ResultSchema, {
        signal: task.abort.signal,
        timeout: timeoutMs,
      })
      .catch(() => {})
      .finally(() => {
        connection.plainCalls -= 1;
        if (held.held.get(upstreamTaskId) === task) held.held.delete(upstreamTaskId);
        if (this.#tasks.get(exposedId) === task) this.#tasks.delete(exposedId);
        task.end();
        if (held.held.size === 0) held.cancel();
      });
    return task;
  }

  /**
   * Routes the questions of the upstream task `upstreamTaskId` arriving on `connection` (a shared
   * connection a request about it runs on) to `taker`, until the returned release is called;
   * `undefined` when the connection is not free for it (as for {@link HeldTasks.hold}).
   */
  route(
    connection: UpstreamConnection,
    upstreamTaskId: string,
    taker: TaskQuestionTaker,
  ): (() => void) | undefined {
    const held = this.#dispatchOn(connection);
    if (!held) return undefined;
    held.held.set(upstreamTaskId, taker);
    // No interactive call leases this connection while the questions are routed here.
    connection.plainCalls += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      connection.plainCalls -= 1;
      if (held.held.get(upstreamTaskId) === taker) held.held.delete(upstreamTaskId);
      if (held.held.size === 0) held.cancel();
    };
  }

  /** The dispatch on a shared connection, made if no other flow holds it. */
  #dispatchOn(connection: UpstreamConnection): HeldTaskDispatch | undefined {
    const flows = this.#flows;
    if (!flows || connection.leased || connection.owner !== undefined) return undefined;
    let dispatch = this.#dispatches.get(connection);
    if (!dispatch || dispatch.done) {
      if (flows.onConnection(connection)) return undefined;
      dispatch = new HeldTaskDispatch();
      this.#dispatches.set(connection, dispatch);
      flows.attach(dispatch, connection);
    }
    return dispatch;
  }
}
