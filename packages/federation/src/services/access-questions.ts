/**
 * Questions of the access hook (consent) waiting for the client's answer, by id. Bounded per
 * hub and per caller, so a client cannot grow the hub's memory with unanswered questions; each
 * expires after the round timeout.
 */
import type { FedmcpError } from '@fedmcp/protocol';
import { hubError } from '../errors.js';
import type { AccessAsk, AccessRequest } from '../hub-access.js';

/** A question waiting for its answer, with the request it was asked about. */
export interface PendingQuestion {
  readonly ask: AccessAsk;
  readonly request: AccessRequest;
}

/** Options of {@link AccessQuestions}. */
export interface AccessQuestionsOptions {
  /** How long a question waits for its answer, in ms. */
  ttlMs: number;
  /** Who asked: two requests of one caller give the same key. */
  callerOf(request: AccessRequest): string;
  /** The most questions waiting at once, per hub. @default 10_000 */
  maxPending?: number;
  /** The most questions one caller may leave unanswered at once. @default 32 */
  maxPendingPerCaller?: number;
}

interface Entry extends PendingQuestion {
  readonly caller: string;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** The pending access questions of a hub; see the file comment. */
export class AccessQuestions {
  readonly #entries = new Map<string, Entry>();
  readonly #options: Required<AccessQuestionsOptions>;

  constructor(options: AccessQuestionsOptions) {
    this.#options = { maxPending: 10_000, maxPendingPerCaller: 32, ...options };
  }

  /**
   * Records a question and returns its id.
   * @throws FedmcpError RATE_LIMITED when the hub or this caller has too many waiting.
   */
  open(ask: AccessAsk, request: AccessRequest): string {
    const caller = this.#options.callerOf(request);
    let waiting = 0;
    for (const entry of this.#entries.values()) if (entry.caller === caller) waiting += 1;
    if (
      this.#entries.size >= this.#options.maxPending ||
      waiting >= this.#options.maxPendingPerCaller
    ) {
      throw this.#tooMany();
    }
    const id = crypto.randomUUID();
    const timer = setTimeout(() => this.#entries.delete(id), this.#options.ttlMs);
    (timer as { unref?: () => void }).unref?.();
    this.#entries.set(id, { ask, request, caller, timer });
    return id;
  }

  /** The question `id`, still waiting, without taking it. */
  peek(id: string): PendingQuestion | undefined {
    return this.#entries.get(id);
  }

  /** Takes the question `id` out (it is being answered). */
  take(id: string): PendingQuestion | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    this.#entries.delete(id);
    clearTimeout(entry.timer);
    return entry;
  }

  /** Drops every waiting question (the hub is closing). */
  close(): void {
    for (const entry of this.#entries.values()) clearTimeout(entry.timer);
    this.#entries.clear();
  }

  #tooMany(): FedmcpError {
    return hubError(
      'RATE_LIMITED',
      'Too many questions are waiting for answers on this hub; answer or cancel them, then call again.',
      { retryAfterMs: 10_000 },
    );
  }
}
