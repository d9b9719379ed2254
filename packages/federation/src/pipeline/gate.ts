/**
 * Stage 3 of the pipeline — the access hook decides a request before it is forwarded: policy,
 * rate limits, consent, through `HubAccess.check`. A refusal is recorded (`refused`) and thrown;
 * a question for the user (consent) becomes an `input_required` round (the SDK's legacy shim
 * pushes it to 2025-era clients), and its answer, on the retry, decides. An allowed request gets
 * the finish that records how it ended.
 */
import type { FedmcpError } from '@fedmcp/protocol';
import { canonicalJson } from '@fedmcp/protocol';
import type {
  ClientCapabilities,
  ElicitResult,
  RequestStateCodec,
  Result,
  ServerContext,
} from '@modelcontextprotocol/server';
import { hubError, upstreamError } from '../errors.js';
import { supportsElicitationMode } from '../flow.js';
import type { AccessRequest, AccessVerdict, HubAccess } from '../hub-access.js';
import { endRequestSpan, spanMeta, startRequestSpan } from '../observe/request-spans.js';
import { inputRequiredReply } from '../sdk-seams.js';
import type { AccessQuestions } from '../services/access-questions.js';
import { type Finish, NO_FINISH, spanFinish, startFinish } from './finish.js';
import { principalKey } from './meta.js';

/** The key of the hub's own question (consent) among a round's input requests. */
export const ACCESS_INPUT_KEY = 'io.fedmcp/consent';
/** The prefix of a `requestState` that answers an access question. */
export const ASK_STATE = 'ask:';

/** An access request as a handler describes it; the gate adds who asks and what they can answer. */
export type GateRequest = Omit<AccessRequest, 'principal' | 'canElicit'>;

/** What the gate needs. */
export interface GateContext {
  readonly access: HubAccess | undefined;
  readonly questions: AccessQuestions;
  readonly codec: RequestStateCodec<string>;
}

/** The gate's decision: forward (and record with `finish`), or answer with a question first. */
export type GateOutcome = { finish: Finish } | { reply: Result };

/** Whether two access requests are about the same call by the same caller. */
function sameCall(a: AccessRequest, b: AccessRequest): boolean {
  return (
    a.action === b.action &&
    a.target === b.target &&
    a.upstream === b.upstream &&
    a.upstreamTarget === b.upstreamTarget &&
    canonicalJson(a.arguments ?? {}) === canonicalJson(b.arguments ?? {}) &&
    principalKey(a.principal) === principalKey(b.principal)
  );
}

/** The verdict carried by the retry that answers an access question. */
async function answeredVerdict(
  context: GateContext,
  full: AccessRequest,
  id: string,
  ctx: ServerContext,
): Promise<AccessVerdict> {
  // Asked by another replica when this one has no record (services/access-questions.ts).
  const pending = await context.questions.recall(
    id,
    full,
    () => context.access?.check?.(full) ?? { kind: 'allow' },
  );
  if (!pending) {
    throw hubError(
      'INVALID_PARAMS',
      'This consent question is over or expired; call again to be asked again.',
    );
  }
  // A question answers for the caller and the call it was asked about, nothing else.
  if (!sameCall(pending.request, full)) {
    throw hubError(
      'INVALID_PARAMS',
      'This answer belongs to another call or caller; call the tool again to be asked.',
    );
  }
  const response = ctx.mcpReq.inputResponses?.[ACCESS_INPUT_KEY] as ElicitResult | undefined;
  if (!response) {
    throw hubError(
      'INVALID_PARAMS',
      `The retry carries no answer to "${ACCESS_INPUT_KEY}"; answer the consent question.`,
    );
  }
  context.questions.take(id);
  return pending.ask.answer(response);
}

/**
 * Refuses a request the hub itself decided against before asking the access hook (an MCP Apps
 * UI resource whose tools the caller may not see): recorded with `refused`, as a policy refusal
 * is, then thrown.
 * @throws the given error, always.
 */
export async function refuse(
  context: GateContext,
  request: GateRequest,
  caller: { principal: unknown; capabilities: ClientCapabilities },
  error: Error,
): Promise<never> {
  const full: AccessRequest = {
    ...request,
    principal: caller.principal,
    canElicit: supportsElicitationMode(caller.capabilities, 'form'),
  };
  await Promise.resolve(context.access?.refused?.(full, error)).catch(() => {});
  throw error;
}

/** The reply of a gate told to decline questions (`declineQuestions`): ask on the SDK path. */
export const DECLINED_QUESTION: Result = Object.freeze({});

/**
 * Decides a request (see the file comment). With `declineQuestions` (the fast path, which cannot
 * ask), a question is neither opened nor recorded: the reply is {@link DECLINED_QUESTION}, and
 * the SDK path, deciding again, asks it.
 * @throws FedmcpError the refusal (policy, rate limit, declined consent, a question the client
 * cannot answer), after recording it with `refused`.
 */
export async function gate(
  context: GateContext,
  request: GateRequest,
  caller: { principal: unknown; capabilities: ClientCapabilities },
  ctx: ServerContext,
  declineQuestions = false,
): Promise<GateOutcome> {
  const access = context.access;
  const span = startRequestSpan(request, ctx);
  if (!access?.check && !access?.completed) {
    return { finish: span ? spanFinish(NO_FINISH, span, request) : NO_FINISH };
  }
  const full: AccessRequest = {
    ...request,
    principal: caller.principal,
    canElicit: supportsElicitationMode(caller.capabilities, 'form'),
  };
  if (span) full.meta = spanMeta(request.meta, span);
  // The refusal is recorded (audited) before the client hears of it.
  const refuse = async (error: FedmcpError | Error): Promise<never> => {
    await Promise.resolve(access.refused?.(full, error)).catch(() => {});
    if (span) endRequestSpan(span, request, { ok: false, error });
    throw error;
  };
  let verdict: AccessVerdict = { kind: 'allow' };
  const state = ctx.mcpReq.requestState<string>();
  try {
    if (state?.startsWith(ASK_STATE)) {
      verdict = await answeredVerdict(context, full, state.slice(ASK_STATE.length), ctx);
    } else if (access.check) {
      // A verdict given at once is not awaited (no turn of the microtask queue per call).
      const checked = access.check(full);
      verdict =
        typeof (checked as Partial<PromiseLike<AccessVerdict>>).then === 'function'
          ? await checked
          : (checked as AccessVerdict);
    }
  } catch (error) {
    await refuse(upstreamError(error));
  }
  if (verdict.kind === 'deny') await refuse(verdict.error);
  if (verdict.kind === 'ask') {
    if (!full.canElicit) {
      // Nobody can answer a question the client cannot receive.
      await refuse(
        hubError(
          'CONSENT_REQUIRED',
          `Calling ${full.target} needs an answer from the user, and this client cannot answer questions (no form elicitation).`,
          { target: full.target },
        ),
      );
    }
    if (declineQuestions) {
      if (span) endRequestSpan(span, request, { ok: true });
      return { reply: DECLINED_QUESTION };
    }
    let id = '';
    try {
      id = context.questions.open(verdict, full);
    } catch (error) {
      await refuse(error as FedmcpError);
    }
    // The question is this request's answer; its retry is a request (and a span) of its own.
    if (span) endRequestSpan(span, request, { ok: true });
    return {
      reply: inputRequiredReply(
        {
          [ACCESS_INPUT_KEY]: { method: 'elicitation/create', params: { ...verdict.elicitation } },
        },
        await context.codec.mint(`${ASK_STATE}${id}`, ctx),
      ),
    };
  }
  const finish = startFinish(access, full);
  return { finish: span ? spanFinish(finish, span, request) : finish };
}
