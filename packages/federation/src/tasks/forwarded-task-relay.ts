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

/** Answers a relayed request in the holding replica (the owner was checked by the sender). */
export type RelayedRequestHandler = (request: RelayedRequest) => Promise<Params>;

interface Envelope extends RelayedRequest {
  id: string;
  /** The holder it is meant for. */
  holder: string;
  /** The replica waiting for the answer. */
  replyTo: string;
}

interface Reply {
  id: string;
  result?: Params;
  error?: { code: number; message: string; data?: unknown };
}

/** One replica's end of the relay; see the file comment. */
export class ForwardedTaskRelay {
  /** This process's id among the replicas. */
  readonly replica = `replica-${crypto.randomUUID()}`;
  readonly #kv: KeyValueStore;
  readonly #pubsub: PubSub | undefined;
  readonly #waiting = new Map<string, (reply: Reply | undefined) => void>();
  readonly #handlers = new Map<RelayKind, RelayedRequestHandler>();
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
    const handler = this.#handlers.get(envelope.kind ?? 'forwarded');
    if (envelope.holder !== this.replica || !handler || !this.#pubsub) return;
    const { id, replyTo, holder: _holder, ...request } = envelope;
    let reply: Reply;
    try {
      reply = { id, result: await handler(request) };
    } catch (error) {
      reply = { id, error: FedmcpError.from(error).toJsonRpcError() };
    }
    await this.#pubsub
      .publish(`${REPLIES}${replyTo}`, JSON.stringify(reply))
      .catch((error: unknown) =>
        this.#logger?.warn({ err: error, taskId: request.taskId }, 'forwarded task reply lost'),
      );
  }

  /**
   * Sends `request` to `holder` and resolves with its answer.
   * @throws FedmcpError the holder's own error, or UPSTREAM_UNAVAILABLE when the holder is gone
   * (its liveness key expired, or it did not answer in time).
   */
  async relay(holder: string, request: RelayedRequest, signal: AbortSignal): Promise<Params> {
    const pubsub = this.#pubsub;
    if (!pubsub || this.#closed) throw holderGone(request.taskId, 'this hub has no shared store');
    if (!(await this.#kv.get(`${ALIVE}${holder}`))) {
      throw holderGone(request.taskId, 'that replica has stopped');
    }
    this.#replies ??= pubsub.subscribe(`${REPLIES}${this.replica}`, (message) => {
      try {
        const reply = JSON.parse(message) as Reply;
        this.#waiting.get(reply.id)?.(reply);
      } catch {
        // not ours
      }
    });
    await this.#replies;
    const id = crypto.randomUUID();
    const reply = await new Promise<Reply | undefined>((resolve, reject) => {
      const done = (value: Reply | undefined) => {
        clearTimeout(timer);
        clearInterval(alive);
        signal.removeEventListener('abort', onAbort);
        this.#waiting.delete(id);
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
      const envelope: Envelope = { ...request, id, holder, replyTo: this.replica };
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

  /** Stops serving: this replica's liveness key is deleted, so others stop waiting for it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#renew);
    for (const wake of [...this.#waiting.values()]) wake(undefined);
    const subscriptions = [this.#serving, this.#replies].filter(Boolean);
    await Promise.all(
      subscriptions.map((subscription) =>
        subscription?.then((item) => item.unsubscribe()).catch(() => {}),
      ),
    );
    if (this.#serving) await this.#kv.delete(`${ALIVE}${this.replica}`).catch(() => {});
  }
}

/** The client's error for a task whose holding replica is gone. */
function holderGone(taskId: string, why: string): FedmcpError {
  return hubError(
    'UPSTREAM_UNAVAILABLE',
    `Task ${taskId} runs on an upstream session held by another hub replica, and ${why}: the task cannot be followed any more; call the tool again.`,
    { taskId },
  );
}
