/**
 * A 2025-11-25 upstream task forwarded for a 2026-07-28 client lives in one hub process: its
 * upstream task belongs to that process's upstream session, and the `tasks/result` the hub holds
 * for its questions (tasks/forwarded-task-questions.ts) is in that process's memory. On a shared
 * store with several replicas, a `tasks/get`, `tasks/update` or `tasks/cancel` of such a task
 * landing on another replica is relayed to that holder over the store's pub/sub, keyed by the
 * hub's task id, the way the hub's own tasks pass cancels and status (`fedmcp:task-status`):
 *
 * - the holder (the replica that created the task) keeps a liveness key
 *   (`fedmcp:forwarded-replica:<replica>`, renewed while it serves, deleted when it closes) and
 *   listens on `fedmcp:forwarded-task:requests`;
 * - another replica publishes the request there and waits for the answer on its own reply
 *   channel; a holder whose liveness key is gone, or that does not answer within
 *   {@link RELAY_ANSWER_WAIT_MS}, gives the client a clear error (the task cannot go on without
 *   the process its upstream session lived in).
 *
 * The same relay carries the requests of 2025-11-25 sessions about the upstream tasks they
 * created (`kind: 'upstream'`, tasks/upstream-task-replicas.ts): `tasks/result` may wait for its
 * task to end, so such a request may wait longer (`waitMs`), while the holder's liveness key is
 * checked every {@link ALIVE_RENEW_MS}.
 *
 * A relayed request may carry questions back: a 2025-era session's `tasks/result` relayed to the
 * holder, whose upstream asks the task's client something on that stream (elicitation,
 * sampling, roots). The holder publishes each question on the sender's reply channel; the
 * sender asks its client and publishes the answer on the requests channel for the holder. A
 * sender that stops waiting (its client went away, or its wait ended) tells the holder, which
 * ends its part; a holder asking a sender that is gone (its liveness key expired) gives up.
 */
import { FedmcpError, type Logger } from '@fedmcp/protocol';
import type { KeyValueStore, PubSub, Subscription } from '@fedmcp/store';
import { hubError } from '../errors.js';

type Params = Record<string, unknown>;

const REQUESTS = 'fedmcp:forwarded-task:requests';
const REPLIES = 'fedmcp:forwarded-task:replies:';
const ALIVE = 'fedmcp:forwarded-replica:';

/** How long a replica's liveness key lasts unless renewed. */
const ALIVE_TTL_MS = 30_000;
/** How often a serving replica renews its liveness key. */
const ALIVE_RENEW_MS = 10_000;
/** How long a relayed request waits for its holder's answer. */
export const RELAY_ANSWER_WAIT_MS = 15_000;

/** A request about a forwarded task, relayed to the replica holding it. */
export interface RelayedRequest {
  /** The hub's task id (what the client sees). */
  taskId: string;
  method: 'tasks/get' | 'tasks/update' | 'tasks/cancel' | 'tasks/result';
  inputResponses?: Params;
  /** Which handler of the holder answers: `'forwarded'` (the default) or `'upstream'`. */
  kind?: RelayKind;
  /** The client's other params (an upstream task request passes them on). */
  params?: Params;
  /** How long the sender waits for the answer (the holder bounds its work by it too). */
  waitMs?: number;
}

/** The kinds of relayed requests: see the file comment. */
export type RelayKind = 'forwarded' | 'upstream';

/** Asks the client of a relayed request a question (see the file comment). */
export type RelayedAsk = (method: string, params: Params) => Promise<unknown>;

/** What the holder has of a relayed request besides the request itself. */
export interface RelayedRequestContext {
  /** Ends when the sender stops waiting (or its wait is over). */
  signal: AbortSignal;
  /** Asks the sender's client a question; only when the sender takes questions. */
  ask?: RelayedAsk;
}

/** Answers a relayed request in the holding replica (the owner was checked by the sender). */
export type RelayedRequestHandler = (
  request: RelayedRequest,
  context: RelayedRequestContext,
) => Promise<unknown>;

type WireError = { code: number; message: string; data?: unknown };

/** A message on the requests channel: a request, an answer to a question, or a sender's stop. */
interface Envelope extends RelayedRequest {
  id: string;
  /** The holder it is meant for. */
  holder: string;
  /** The replica waiting for the answer. */
  replyTo: string;
  /** The sender takes questions (see the file comment). */
  asks?: true;
  /** This is the sender's answer to question `id` (`result` / `error`), not a request. */
  answer?: { result?: unknown; error?: WireError };
  /** The sender of request `id` stopped waiting. */
  stop?: true;
}

/** A message on a reply channel: the answer to request `id`, or a question of it. */
interface Reply {
  id: string;
  result?: Params;
  error?: WireError;
  question?: { id: string; method: string; params: Params };
}

/** One replica's end of the relay; see the file comment. */
export class ForwardedTaskRelay {
  /** This process's id among the replicas. */
  readonly replica = `replica-${crypto.randomUUID()}`;
  readonly #kv: KeyValueStore;
  readonly #pubsub: PubSub | undefined;
  readonly #waiting = new Map<string, (reply: Reply | undefined) => void>();
  readonly #handlers = new Map<RelayKind, RelayedRequestHandler>();
  /** Questions of relayed requests this replica holds, waiting for their senders' answers. */
  readonly #questions = new Map<string, (answer: Envelope['answer']) => void>();
  /** Relayed requests this replica works on, by id: aborted when their sender stops. */
  readonly #working = new Map<string, AbortController>();
  /** Requests this replica relayed that take questions: their askers, by request id. */
  readonly #askers = new Map<string, (question: NonNullable<Reply['question']>) => void>();
  #logger: Logger | undefined;
  #serving: Promise<Subscription> | undefined;
  #replies: Promise<Subscription> | undefined;
  #renew: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(kv: KeyValueStore, pubsub: PubSub | undefined) {
    this.#kv = kv;
    this.#pubsub = pubsub;
  }

  /** Whether requests can be relayed at all (a store with pub/sub). */
  get enabled(): boolean {
    return this.#pubsub !== undefined && !this.#closed;
  }

  /**
   * Serves relayed requests of `kind` for the tasks this replica holds, with `handler` (the first
   * one of each kind); resolves once this replica is known alive and listening.
   */
  async serve(
    handler: RelayedRequestHandler,
    logger?: Logger,
    kind: RelayKind = 'forwarded',
  ): Promise<void> {
    const pubsub = this.#pubsub;
    if (!pubsub || this.#closed) return;
    if (!this.#handlers.has(kind)) this.#handlers.set(kind, handler);
    this.#logger ??= logger;
    await this.#listen(pubsub);
  }

  /** Listens on the requests channel and keeps this replica's liveness key (once). */
  async #listen(pubsub: PubSub): Promise<void> {
    if (!this.#serving) {
      this.#serving = pubsub.subscribe(REQUESTS, (message) => void this.#answer(message));
      const alive = () =>
        this.#kv.set(`${ALIVE}${this.replica}`, '1', { ttlMs: ALIVE_TTL_MS }).catch(() => {});
      this.#renew = setInterval(() => void alive(), ALIVE_RENEW_MS);
      (this.#renew as { unref?: () => void }).unref?.();
      await alive();
    }
    await this.#serving;
  }

  async #answer(message: string): Promise<void> {
    let envelope: Envelope;
    try {
      envelope = JSON.parse(message) as Envelope;
    } catch {
      return;
    }
    if (envelope.holder !== this.replica) return;
    if (envelope.answer) return this.#questions.get(envelope.id)?.(envelope.answer);
    if (envelope.stop) return this.#working.get(envelope.id)?.abort(stopped());
    const handler = this.#handlers.get(envelope.kind ?? 'forwarded');
    if (!handler || !this.#pubsub) return;
    const { id, replyTo, holder: _holder, asks, ...request } = envelope;
    const working = new AbortController();
    this.#working.set(id, working);
    const signal = AbortSignal.any([
      working.signal,
      AbortSignal.timeout(request.waitMs ?? RELAY_ANSWER_WAIT_MS),
    ]);
    let reply: Reply;
    try {
      const ask = asks ? this.#asker(id, replyTo, signal, request.taskId) : undefined;
      const result = (await handler(request, { signal, ...(ask ? { ask } : {}) })) as Params;
      reply = { id, result };
    } catch (error) {
      // Cut short by this replica's shutdown: the sender's client hears that, not its effects.
      const cause = this.#closed ? holderGone(request.taskId, 'that replica has stopped') : error;
      reply = { id, error: FedmcpError.from(cause).toJsonRpcError() };
    } finally {
      this.#working.delete(id);
    }
    await this.#publish(`${REPLIES}${replyTo}`, reply, request.taskId);
  }

  async #publish(channel: string, message: unknown, taskId: string): Promise<void> {
    await this.#pubsub
      ?.publish(channel, JSON.stringify(message))
      .catch((error: unknown) =>
        this.#logger?.warn({ err: error, taskId }, 'forwarded task message lost'),
      );
  }

  /**
   * How the holder asks the sender of request `id` a question: published on its reply channel,
   * answered on the requests channel; ends with `signal`, or when the sender is known gone.
   */
  #asker(id: string, replyTo: string, signal: AbortSignal, taskId: string): RelayedAsk {
    return (method, params) =>
      new Promise((resolve, reject) => {
        const questionId = crypto.randomUUID();
        const done = (answer: Envelope['answer'] | undefined, error?: unknown) => {
          clearInterval(alive);
          signal.removeEventListener('abort', onAbort);
          this.#questions.delete(questionId);
          if (error !== undefined) reject(error);
          else if (answer?.error) reject(FedmcpError.fromJsonRpcError(answer.error));
          else resolve(answer?.result ?? {});
        };
        const onAbort = () => done(undefined, signal.reason);
        const alive = setInterval(() => {
          this.#kv.get(`${ALIVE}${replyTo}`).then(
            (entry) => entry || done(undefined, stopped()),
            () => {},
          );
        }, ALIVE_RENEW_MS);
        if (signal.aborted) return done(undefined, signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        this.#questions.set(questionId, (answer) => done(answer));
        const question = { id: questionId, method, params };
        void this.#publish(`${REPLIES}${replyTo}`, { id, question }, taskId);
      });
  }

  /**
   * Sends `request` to `holder` and resolves with its answer.
   * @throws FedmcpError the holder's own error, or UPSTREAM_UNAVAILABLE when the holder is gone
   * (its liveness key expired, or it did not answer in time).
   */
  async relay(
    holder: string,
    request: RelayedRequest,
    signal: AbortSignal,
    ask?: RelayedAsk,
  ): Promise<Params> {
    const pubsub = this.#pubsub;
    if (!pubsub || this.#closed) throw holderGone(request.taskId, 'this hub has no shared store');
    if (!(await this.#kv.get(`${ALIVE}${holder}`))) {
      throw holderGone(request.taskId, 'that replica has stopped');
    }
    this.#replies ??= pubsub.subscribe(`${REPLIES}${this.replica}`, (message) => {
      try {
        const reply = JSON.parse(message) as Reply;
        if (reply.question) this.#askers.get(reply.id)?.(reply.question);
        else this.#waiting.get(reply.id)?.(reply);
      } catch {
        // not ours
      }
    });
    await this.#replies;
    // A sender taking questions is known alive to the holder asking it.
    if (ask) await this.#listen(pubsub);
    const id = crypto.randomUUID();
    if (ask) {
      const { taskId } = request;
      this.#askers.set(id, (question) => void this.#ask(holder, taskId, question, ask));
    }
    const reply = await new Promise<Reply | undefined>((resolve, reject) => {
      const done = (value: Reply | undefined) => {
        clearTimeout(timer);
        clearInterval(alive);
        signal.removeEventListener('abort', onAbort);
        this.#waiting.delete(id);
        this.#askers.delete(id);
        if (!value && ask) {
          // The holder stops its part (its upstream request and questions) too.
          const stop: Envelope = { ...request, id, holder, replyTo: this.replica, stop: true };
          void this.#publish(REQUESTS, stop, request.taskId);
        }
        resolve(value);
      };
      const onAbort = () => {
        done(undefined);
        reject(signal.reason);
      };
      const timer = setTimeout(() => done(undefined), request.waitMs ?? RELAY_ANSWER_WAIT_MS);
      // A long wait ends as soon as the holder is known gone.
      const alive = setInterval(() => {
        this.#kv.get(`${ALIVE}${holder}`).then(
          (entry) => entry || done(undefined),
          () => {},
        );
      }, ALIVE_RENEW_MS);
      this.#waiting.set(id, done);
      signal.addEventListener('abort', onAbort, { once: true });
      const envelope: Envelope = {
        ...request,
        id,
        holder,
        replyTo: this.replica,
        ...(ask ? { asks: true as const } : {}),
      };
      pubsub.publish(REQUESTS, JSON.stringify(envelope)).catch((error: unknown) => {
        done(undefined);
        reject(
          hubError('UPSTREAM_UNAVAILABLE', `The hub's store could not be reached: ${error}`, {
            taskId: request.taskId,
          }),
        );
      });
    });
    if (!reply) throw holderGone(request.taskId, 'that replica does not answer');
    if (reply.error) throw FedmcpError.fromJsonRpcError(reply.error);
    return reply.result ?? {};
  }

  /** Asks this replica's client a question of the holder's, and sends the answer back. */
  async #ask(
    holder: string,
    taskId: string,
    question: NonNullable<Reply['question']>,
    ask: RelayedAsk,
  ): Promise<void> {
    let answer: Envelope['answer'];
    try {
      answer = { result: await ask(question.method, question.params) };
    } catch (error) {
      answer = { error: FedmcpError.from(error).toJsonRpcError() };
    }
    const envelope = { taskId: '', method: 'tasks/result', id: question.id, holder, answer };
    await this.#publish(REQUESTS, { ...envelope, replyTo: this.replica }, taskId);
  }

  /** Stops serving: this replica's liveness key is deleted, so others stop waiting for it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#renew);
    for (const wake of [...this.#waiting.values()]) wake(undefined);
    for (const working of this.#working.values()) working.abort(stopped());
    const subscriptions = [this.#serving, this.#replies].filter(Boolean);
    await Promise.all(
      subscriptions.map((subscription) =>
        subscription?.then((item) => item.unsubscribe()).catch(() => {}),
      ),
    );
    if (this.#serving) await this.#kv.delete(`${ALIVE}${this.replica}`).catch(() => {});
  }
}

/** Why a holder's work for a relayed request ended: its sender stopped waiting. */
function stopped(): FedmcpError {
  return hubError('CANCELED', 'The replica that relayed this request stopped waiting for it.');
}

/** The client's error for a task whose holding replica is gone. */
function holderGone(taskId: string, why: string): FedmcpError {
  return hubError(
    'UPSTREAM_UNAVAILABLE',
    `Task ${taskId} runs on an upstream session held by another hub replica, and ${why}: the task cannot be followed any more; call the tool again.`,
    { taskId },
  );
}
