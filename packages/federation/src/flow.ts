/**
 * A Flow is one interactive upstream call in progress plus the questions (sampling,
 * elicitation, roots) the upstream asked while running it. It bridges both upstream eras to both
 * downstream eras (notes/mcp-sdk-v2.md §5): the upstream client's request handlers park a
 * promise here (`ask`), the hub's `tools/call` handler returns them downstream as
 * `input_required` (`next`), and the retried call delivers the answers (`resume`). For 2025-era
 * downstream sessions the SDK's legacy shim turns the same `input_required` into real pushes.
 */
import type { ClientCapabilities, Result } from '@modelcontextprotocol/server';
import { hubError } from './errors.js';

/** The server→client requests an upstream may send while serving a call. */
export type InteractiveMethod = 'sampling/createMessage' | 'elicitation/create' | 'roots/list';

/** One question an upstream asked, waiting for the downstream client's answer. */
export interface FlowQuestion {
  /** The key of this question in `inputRequests` / `inputResponses`. */
  readonly key: string;
  readonly method: InteractiveMethod;
  readonly params: Record<string, unknown>;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/** What a flow produces next: the upstream's outcome, or questions for the client. */
export type FlowEvent =
  | { type: 'result'; result: Result }
  | { type: 'error'; error: unknown }
  | { type: 'input'; questions: FlowQuestion[] };

/** Options of a {@link Flow}. */
export interface FlowOptions {
  /** The flow's id (its `requestState`). @default a random UUID */
  id?: string;
  /** Wait this long after the first question so concurrent questions share one round. @default 10 */
  batchDelayMs?: number;
  /** Called once the flow is over (result, error or cancel). */
  onFinish?: (flow: Flow) => void;
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Whether the client declared support for an elicitation mode (`{}` means form only). */
export function supportsElicitationMode(
  capabilities: ClientCapabilities,
  mode: 'form' | 'url',
): boolean {
  const elicitation = capabilities.elicitation as Record<string, unknown> | undefined;
  if (!elicitation) return false;
  if (mode === 'url') return elicitation.url !== undefined;
  return elicitation.form !== undefined || Object.keys(elicitation).length === 0;
}

/** One interactive upstream call and its pending questions. */
export class Flow {
  readonly id: string;
  /** Aborts the upstream call (downstream cancellation, round timeout, hub shutdown). */
  readonly abortController = new AbortController();
  /** The capabilities of the downstream client driving the current round. */
  capabilities: ClientCapabilities = {};
  /** Receives upstream progress for the current round, or drops it between rounds. */
  onProgress: ((progress: Record<string, unknown>) => void) | undefined;
  /** Receives upstream log messages arriving on the flow's leased connection, for the current round. */
  onLog: ((params: Record<string, unknown>) => void) | undefined;
  /** Timer that cancels the flow when the client never comes back with answers. */
  roundTimer: ReturnType<typeof setTimeout> | undefined;
  /** Called once when the flow ends (its outcome is known), before `next()` returns it. */
  onSettled: ((event: FlowEvent) => void) | undefined;

  private readonly batchDelayMs: number;
  private readonly onFinish: ((flow: Flow) => void) | undefined;
  private readonly unsent: FlowQuestion[] = [];
  private readonly sent = new Map<string, FlowQuestion>();
  private outcome: FlowEvent | undefined;
  private wake: (() => void) | undefined;
  private counter = 0;
  private finished = false;

  constructor(options: FlowOptions = {}) {
    this.id = options.id ?? crypto.randomUUID();
    this.batchDelayMs = options.batchDelayMs ?? 10;
    this.onFinish = options.onFinish;
  }

  /** Starts the upstream call; its outcome ends the flow. */
  run(call: (signal: AbortSignal) => Promise<Result>): void {
    call(this.abortController.signal).then(
      (result) => this.settle({ type: 'result', result }),
      (error: unknown) => this.settle({ type: 'error', error }),
    );
  }

  /**
   * Parks an upstream question until the downstream client answers it. Questions the client
   * cannot answer are settled here: undeclared `roots` get an empty list (never routed into
   * an unrelated call), undeclared sampling or elicitation modes are refused.
   */
  ask(method: InteractiveMethod, params: Record<string, unknown>): Promise<unknown> {
    if (this.outcome || this.finished) {
      return Promise.reject(
        hubError('INVALID_REQUEST', 'The call this request belongs to is over.'),
      );
    }
    const capabilities = this.capabilities;
    if (method === 'roots/list' && !capabilities.roots) return Promise.resolve({ roots: [] });
    if (method === 'sampling/createMessage' && !capabilities.sampling) {
      return Promise.reject(
        hubError(
          'INVALID_PARAMS',
          'The client does not support sampling (no sampling capability).',
        ),
      );
    }
    if (
      method === 'sampling/createMessage' &&
      params.includeContext !== undefined &&
      params.includeContext !== 'none' &&
      !(capabilities.sampling as Record<string, unknown> | undefined)?.context
    ) {
      // MCP 2025-11-25 client/sampling: includeContext other than "none" only for clients that
      // declare sampling.context; for the others the hub asks without it, as the spec's fallback.
      params = { ...params, includeContext: 'none' };
    }
    if (method === 'elicitation/create') {
      const mode = params.mode === 'url' ? 'url' : 'form';
      if (!supportsElicitationMode(capabilities, mode)) {
        // MCP 2025-11-25 client/elicitation: servers MUST NOT send modes the client does not support.
        return Promise.reject(
          hubError('INVALID_PARAMS', `The client does not support ${mode} mode elicitation.`),
        );
      }
    }
    return new Promise((resolve, reject) => {
      this.counter += 1;
      this.unsent.push({ key: `input-${this.counter}`, method, params, resolve, reject });
      this.wake?.();
    });
  }

  /**
   * The next event of the flow: the outcome of the upstream call, or the questions the client
   * has to answer before the call can go on (new ones plus any left unanswered last round).
   * Aborting `signal` cancels the whole flow.
   */
  async next(signal: AbortSignal): Promise<FlowEvent> {
    const onAbort = () => this.cancel(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      for (;;) {
        if (this.outcome) return this.outcome;
        if (this.unsent.length > 0) {
          await sleep(this.batchDelayMs);
          if (this.outcome) return this.outcome;
          for (const question of this.unsent.splice(0)) this.sent.set(question.key, question);
        }
        if (this.sent.size > 0) return { type: 'input', questions: [...this.sent.values()] };
        await new Promise<void>((resolve) => {
          this.wake = resolve;
        });
        this.wake = undefined;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Delivers the client's answers (`inputResponses`) to the parked questions. */
  resume(responses: Record<string, unknown>): void {
    for (const [key, response] of Object.entries(responses)) {
      const question = this.sent.get(key);
      if (!question) continue;
      this.sent.delete(key);
      question.resolve(response);
    }
  }

  /** Cancels the upstream call and refuses every parked question. */
  cancel(reason?: unknown): void {
    if (!this.abortController.signal.aborted) this.abortController.abort(reason);
    this.settle({
      type: 'error',
      error: reason ?? hubError('INVALID_REQUEST', 'The call was canceled.'),
    });
  }

  /** Whether the flow is over. */
  get done(): boolean {
    return this.finished;
  }

  private settle(event: FlowEvent): void {
    if (this.outcome) return;
    this.outcome = event;
    // The refusal (an Error with its stack) is built only when a question is still waiting:
    // most calls settle with none (a 2026-07-28 interactive client's profile showed it per call).
    if (this.unsent.length > 0 || this.sent.size > 0) {
      const refusal = hubError('INVALID_REQUEST', 'The call this request belongs to is over.');
      for (const question of [...this.unsent.splice(0), ...this.sent.values()]) {
        question.reject(refusal);
      }
      this.sent.clear();
    }
    this.onSettled?.(event);
    this.wake?.();
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.roundTimer) clearTimeout(this.roundTimer);
    this.onFinish?.(this);
  }
}
