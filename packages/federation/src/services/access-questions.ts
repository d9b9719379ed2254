/**
 * Questions of the access hook (consent) waiting for the client's answer, by id. Bounded per
 * hub and per caller, so a client cannot grow the hub's memory with unanswered questions; each
 * expires after the round timeout.
 *
 * Replicas: a 2026-07-28 client's retry carrying the answer may reach another replica than the
 * one that asked (the `requestState` naming the question is signed with a key the replicas share).
 * A question id ends with a digest of the caller and the call it asks about, so another replica
 * can {@link AccessQuestions.recall} it: the same call of the same caller is asked again there
 * (the same question, from the same access hook) and the answer applies to that.
 */
import { canonicalJson, type FedmcpError } from '@fedmcp/protocol';
import { hubError } from '../errors.js';
import type { AccessAsk, AccessRequest, AccessVerdict } from '../hub-access.js';

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
    const id = `${crypto.randomUUID()}.${callDigest(caller, request)}`;
    const timer = setTimeout(() => this.#entries.delete(id), this.#options.ttlMs);
    (timer as { unref?: () => void }).unref?.();
    this.#entries.set(id, { ask, request, caller, timer });
    return id;
  }

  /** The question `id`, still waiting, without taking it. */
  peek(id: string): PendingQuestion | undefined {
    return this.#entries.get(id);
  }

  /**
   * The question `id` about `request`: this hub's record, else — when the id names this caller
   * and call (asked by another replica) — the question `askAgain` asks now for the same call, if
   * it asks one. An access hook that now decides without asking (consent granted meanwhile)
   * answers with that decision.
   */
  async recall(
    id: string,
    request: AccessRequest,
    askAgain: () => AccessVerdict | Promise<AccessVerdict>,
  ): Promise<PendingQuestion | undefined> {
    const local = this.#entries.get(id);
    if (local) return local;
    const digest = id.slice(id.lastIndexOf('.') + 1);
    if (digest !== callDigest(this.#options.callerOf(request), request)) return undefined;
    const verdict = await askAgain();
    if (verdict.kind === 'ask') return { ask: verdict, request };
    return { ask: { kind: 'ask', elicitation: EMPTY_FORM, answer: () => verdict }, request };
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

const EMPTY_FORM: AccessAsk['elicitation'] = {
  message: '',
  requestedSchema: { type: 'object', properties: {} },
};

/**
 * A digest of a caller and a call (FNV-1a, two 32-bit lanes): binds a question id to what it asked
 * about. Not a secret: the id travels inside the signed `requestState`.
 */
function callDigest(caller: string, request: AccessRequest): string {
  const text = [
    caller,
    request.action,
    request.target,
    request.upstream,
    request.upstreamTarget,
    canonicalJson(request.arguments ?? {}),
  ].join('\u0000');
  let first = 0x811c9dc5;
  let second = 0x01000193 ^ 0x5bd1e995;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    first = Math.imul(first ^ code, 0x01000193) >>> 0;
    second = Math.imul(second ^ code, 0x01000193 + 0x1000) >>> 0;
  }
  return `${first.toString(16).padStart(8, '0')}${second.toString(16).padStart(8, '0')}`;
}
