/**
 * In-call sign-in for per-user OAuth upstreams: a request whose upstream connection needs the
 * caller to sign in fails with `-32042` (URL elicitation required, MCP 2025-11-25) carrying the
 * authorization URL. For a client that declares URL elicitation (`elicitation: { url: {} }`) the
 * hub answers instead with an `input_required` round whose question is an `elicitation/create`
 * in `mode: "url"` (the SDK's legacy shim sends it to 2025-11-25 clients inside the call; a
 * 2026-07-28 client gets the round). On the retry that accepts it, the hub waits until the
 * sign-in ends (the `/oauth/callback` may land on any replica: {@link UpstreamSignIns.wait}),
 * tells a 2025-era client `notifications/elicitation/complete`, and runs the request again, now
 * with the caller's new token. Clients without URL elicitation keep the `-32042` error, whose
 * message says which URL to open before retrying.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { ElicitResult, RequestStateCodec, ServerContext } from '@modelcontextprotocol/server';
import { hubError } from '../errors.js';
import { supportsElicitationMode } from '../flow.js';
import { clientCapabilities, type SessionScope } from '../handlers/session-scope.js';
import type { HubRequestHandler } from '../sdk-seams.js';
import { inputRequiredReply, notifyOnRequest } from '../sdk-seams.js';
import type { HubSession } from '../services/session-registry.js';
import { signInBeforeTask } from './sign-in-before-task.js';

/** The key of the hub's sign-in question among a round's input requests. */
export const SIGN_IN_INPUT_KEY = 'io.fedmcp/sign-in';
/** The prefix of a `requestState` that answers a sign-in question. */
export const SIGN_IN_STATE = 'signin:';
/** The JSON-RPC code of "URL elicitation required" (MCP 2025-11-25). */
const URL_ELICITATION_REQUIRED = -32042;

/**
 * How the hub learns that a user's sign-in ended (`HubOptions.upstreamSignIns`): the connector's
 * `authorize` of a per-user OAuth upstream throws the `-32042` error with an `elicitationId`, and
 * whoever completes that sign-in (the hub's OAuth callback, on any replica) settles it.
 */
export interface UpstreamSignIns {
  /**
   * Whether the hub itself asked for this sign-in (a pending sign-in of its own). An upstream's
   * own `-32042` error (its URL elicitation, which the hub cannot complete) is not one: it reaches
   * the client unchanged.
   */
  owns(elicitationId: string): Promise<boolean>;
  /**
   * Resolves when the sign-in of `elicitationId` ended: `'completed'` (the caller's token is
   * stored) or `'failed'`.
   * @throws the signal's reason when it aborts first.
   */
  wait(elicitationId: string, signal: AbortSignal): Promise<'completed' | 'failed'>;
}

/** What the sign-in rounds need. */
export interface SignInRoundsContext {
  readonly signIns: UpstreamSignIns | undefined;
  readonly codec: RequestStateCodec<string>;
  readonly session: HubSession;
  /** How long the retry waits for the sign-in to end. */
  readonly waitMs: number;
}

interface UrlElicitation {
  elicitationId: string;
  url: string;
  message: string;
}

/** The URL elicitation a `-32042` error carries (its first), if it is one. */
export function urlElicitationOf(error: unknown): UrlElicitation | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { jsonRpcCode, code, data } = error as {
    jsonRpcCode?: unknown;
    code?: unknown;
    data?: unknown;
  };
  if ((FedmcpError.isInstance(error) ? jsonRpcCode : code) !== URL_ELICITATION_REQUIRED) {
    return undefined;
  }
  const [first] = ((data as { elicitations?: unknown } | undefined)?.elicitations ??
    []) as unknown[];
  const { mode, elicitationId, url, message } = (first ?? {}) as Record<string, unknown>;
  if (mode !== 'url' || typeof elicitationId !== 'string' || typeof url !== 'string') {
    return undefined;
  }
  return { elicitationId, url, message: typeof message === 'string' ? message : `Open ${url}.` };
}

/** The request context without the sign-in's state and answer (the request runs afresh). */
function withoutSignIn(ctx: ServerContext): ServerContext {
  return {
    ...ctx,
    mcpReq: {
      ...ctx.mcpReq,
      inputResponses: undefined,
      requestState: (() => undefined) as ServerContext['mcpReq']['requestState'],
    },
  } as ServerContext;
}

/** Waits for the sign-in a retry answers; throws what the caller must do when it did not end well. */
async function awaitSignIn(
  context: SignInRoundsContext,
  signIns: UpstreamSignIns,
  elicitationId: string,
  ctx: ServerContext,
  answer = ctx.mcpReq.inputResponses?.[SIGN_IN_INPUT_KEY] as ElicitResult | undefined,
): Promise<void> {
  if (answer?.action !== 'accept') {
    throw hubError(
      'UNAUTHENTICATED',
      'The sign-in was declined or cancelled, so the request was not sent. Call again to be asked to sign in again.',
    );
  }
  const timeout = AbortSignal.timeout(context.waitMs);
  let outcome: 'completed' | 'failed';
  try {
    outcome = await signIns.wait(elicitationId, AbortSignal.any([ctx.mcpReq.signal, timeout]));
  } catch (error) {
    if (!timeout.aborted) throw error;
    throw hubError(
      'UNAUTHENTICATED',
      `The sign-in did not finish within ${Math.round(context.waitMs / 1000)} s. Call again to get a new sign-in link.`,
    );
  }
  if (outcome !== 'completed') {
    throw hubError(
      'UNAUTHENTICATED',
      'The sign-in did not succeed (see the page the browser showed). Call again to get a new sign-in link.',
    );
  }
  // MCP 2025-11-25 client/elicitation (URL mode): the server MAY tell the client the
  // out-of-band interaction is complete. 2026-07-28 clients learn it from the answer itself.
  if (context.session.era === 'legacy') {
    await notifyOnRequest(ctx, 'notifications/elicitation/complete', { elicitationId }).catch(
      () => {},
    );
  }
}

/**
 * Wraps a request handler (tools/call, prompts/get, resources/read, completion/complete) with the
 * sign-in rounds described in the file comment. Without `signIns` the handler runs unchanged.
 */
export function withSignInRounds(
  context: SignInRoundsContext,
  handler: HubRequestHandler,
): HubRequestHandler {
  const { signIns } = context;
  if (!signIns) return handler;
  return async (request, ctx) => {
    let current = ctx;
    const state = ctx.mcpReq.requestState<string>();
    if (typeof state === 'string' && state.startsWith(SIGN_IN_STATE)) {
      await awaitSignIn(context, signIns, state.slice(SIGN_IN_STATE.length), ctx);
      current = withoutSignIn(ctx);
    }
    try {
      return await handler(request, current);
    } catch (error) {
      const elicitation = urlElicitationOf(error);
      const capabilities = clientCapabilities(current, context.session);
      if (!elicitation || !supportsElicitationMode(capabilities, 'url')) throw error;
      if (!(await signIns.owns(elicitation.elicitationId).catch(() => false))) throw error;
      return inputRequiredReply(
        {
          [SIGN_IN_INPUT_KEY]: {
            method: 'elicitation/create',
            params: { mode: 'url', ...elicitation },
          },
        },
        await context.codec.mint(`${SIGN_IN_STATE}${elicitation.elicitationId}`, current),
      );
    }
  };
}

/**
 * A 2025-11-25 client's task-augmented call whose caller must sign in: its answer must be a
 * `CreateTaskResult`, so the hub asks the URL elicitation inside the call (a server request on
 * the call, as MCP 2025-11-25 allows while a request is processed), waits for the sign-in, and
 * the task is created after it. Anything else is thrown as it came.
 */
async function signInInCall(
  context: SignInRoundsContext,
  error: unknown,
  ctx: ServerContext,
): Promise<void> {
  const { signIns } = context;
  const elicitation = urlElicitationOf(error);
  const capabilities = clientCapabilities(ctx, context.session);
  if (!signIns || !elicitation || !supportsElicitationMode(capabilities, 'url')) throw error;
  if (!(await signIns.owns(elicitation.elicitationId).catch(() => false))) throw error;
  const request = { method: 'elicitation/create', params: { mode: 'url', ...elicitation } };
  const answer = (await ctx.mcpReq.send(request as never, {
    signal: ctx.mcpReq.signal,
  })) as ElicitResult;
  await awaitSignIn(context, signIns, elicitation.elicitationId, ctx, answer);
}

/**
 * {@link withSignInRounds} in a session's scope (`HubOptions.upstreamSignIns`). A task-augmented
 * `tools/call` signs in before its task is created ({@link signInBeforeTask}): a 2026-07-28
 * client by the same `input_required` round as a plain call, a 2025-11-25 client inside the call.
 */
export function signInRounds(scope: SessionScope, handler: HubRequestHandler): HubRequestHandler {
  const { settings, codec } = scope.services;
  const context: SignInRoundsContext = {
    signIns: settings.signIns,
    codec,
    session: scope.session,
    waitMs: settings.roundTimeoutMs,
  };
  if (!settings.signIns) return handler;
  return withSignInRounds(context, async (request, ctx) => {
    if (ctx.mcpReq.method === 'tools/call') {
      const params = request.params ?? {};
      await signInBeforeTask(scope, params, ctx).catch(async (error: unknown) => {
        if (scope.session.era !== 'legacy') throw error;
        await signInInCall(context, error, ctx);
        await signInBeforeTask(scope, params, ctx);
      });
    }
    return handler(request, ctx);
  });
}
