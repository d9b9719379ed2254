/**
 * Stage 4 for an interactive tools/call (its client can answer sampling, elicitation or roots,
 * or wants its logs): the upstream call runs in a `Flow` on a leased connection (a quiet tool's
 * call on a shared one, see `sharesConnections`), and its questions come back to the client as
 * `input_required` rounds (pushed to 2025-era clients by the SDK's legacy shim); each retry
 * carries the answers and drives the flow on, until the upstream answers. The flow's end is mapped and recorded once (stages 5 and 6).
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { LoggingLevel, Result, ServerContext } from '@modelcontextprotocol/server';
import {
  type ForwardedRound,
  type HeldRoundOutcome,
  type RoundNotify,
  type RoundQuestion,
  wireError,
} from '../cluster/flow-forwarding.js';
import { forwardRound, serveForwardedRounds } from '../cluster/forwarded-rounds.js';
import { asClientError, hubError } from '../errors.js';
import type { InteractiveMethod } from '../flow.js';
import { clientCapabilities } from '../handlers/session-scope.js';
import { inputRequiredReply } from '../sdk-seams.js';
import type { FlowEntry, FlowRegistry } from '../services/flow-registry.js';
import type { HubServices } from '../services/hub-services.js';
import { passesLevel } from '../services/notification-router.js';
import type { HubSession } from '../services/session-registry.js';
import type { Upstream } from '../upstream.js';
import { mayShare, noteAskingTool, noteQuietCall } from './attributed-questions.js';
import { callUpstream, type UpstreamCall } from './call-upstream.js';
import type { Finish } from './finish.js';
import { stripDownstreamMeta } from './meta.js';
import { createProgressRelay } from './progress-relay.js';

/** How an interactive call ends: mapped for the client, then recorded. */
export interface InteractiveOutcome {
  upstream: Upstream;
  map(result: Result): Result;
  finish: Finish;
}

/** The flows of interactive tools/calls. */
export type InteractiveFlows = FlowRegistry<InteractiveOutcome>;

/** One downstream round of an interactive call. */
export interface Round {
  services: HubServices;
  session: HubSession;
  /** The client's log level for this round, if it wants log messages. */
  logLevel: LoggingLevel | undefined;
}

/**
 * Whether an interactive call goes on a shared lease, as an attributed call
 * (attributed-questions.ts), instead of holding a connection alone: when its tool (of a 2025-era
 * upstream) has answered `QUIET_CALLS` calls without a question, as a quiet tool's calls do on the
 * fast path. An exclusive lease per call made an interactive client's calls queue for
 * `maxConnections` stdio processes (2026-07-28 clients, and 2025-era clients the fast path does not
 * serve: issue #18). A round that relays log messages keeps its own connection (an upstream's logs
 * reach a call's client alone only from a connection the call holds).
 */
function sharesConnections(round: Round, upstream: Upstream, name: string): boolean {
  return round.logLevel === undefined && upstream.era === 'legacy' && mayShare(upstream, name);
}

/** The flows whose upstream asked their client something (their tool is not quiet). */
const asked = new WeakSet<object>();

/** The flows a round is waiting on; a flow that ends between rounds is recorded on its own. */
const driven = new WeakSet<object>();

/** Starts an interactive call and drives its first round. */
export async function startInteractiveCall(
  round: Round,
  owner: string,
  call: UpstreamCall,
  outcome: InteractiveOutcome,
  ctx: ServerContext,
): Promise<Result> {
  const flows = round.services.flows as InteractiveFlows;
  const entry = flows.open(round.session, owner, outcome);
  const { flow } = entry;
  flow.capabilities = clientCapabilities(ctx, round.session);
  // Ended while no round waits (the client did not answer in time, its session closed, the
  // upstream connection dropped): nobody will map the end for a client, but it is recorded.
  flow.onSettled = (event) => {
    if (driven.has(flow) || event.type === 'input') return;
    void outcome.finish(
      event.type === 'error'
        ? { ok: false, error: asClientError(event.error, outcome.upstream.id) }
        : { ok: true, result: outcome.map(event.result) },
    );
  };
  const upstream = call.upstream;
  const name = String(call.params.name);
  const shares = sharesConnections(round, upstream, name);
  // Progress is asked of the upstream when the call's first request asks it of the hub: a
  // progress token a 2026-07-28 upstream (a peer hub) sees sends the call to its SDK path.
  const onprogress =
    stripDownstreamMeta(ctx.mcpReq._meta).progressToken === undefined
      ? undefined
      : (progress: Record<string, unknown>) => flow.onProgress?.(progress);
  flow.run((signal) => {
    const sent: UpstreamCall = {
      ...call,
      signal,
      ...(shares
        ? {
            // As a quiet tool's call on the fast path: the shared primary first, tracked there so
            // a question it asks after all reaches this flow when it can only be this session's.
            lease: { ...call.lease, interactive: false },
            asker: {
              party: round.session,
              name,
              mayShare: true,
              ask: (method, params) => flow.ask(method as InteractiveMethod, params),
            },
          }
        : { onConnection: (connection) => flows.attach(flow, connection) }),
      ...(onprogress ? { onprogress } : {}),
    };
    // A 2026-07-28 upstream's client drives its own input_required rounds.
    if (upstream.era !== 'legacy') return callUpstream(sent);
    // A 2025-era upstream's answer is relayed as it came (raw JSON-RPC, as the fast path relays a
    // plain call): its questions arrive on the connection either way, and the SDK client's decode
    // and result validation were most of an interactive call's own cost (bench/modern).
    return callUpstream({ ...sent, raw: true }).then((response) => {
      if (asked.has(flow)) noteAskingTool(upstream, name);
      else noteQuietCall(upstream, name);
      if ('error' in response) {
        throw FedmcpError.fromJsonRpcError(
          response.error as { code: number; message: string; data?: unknown },
        );
      }
      return response.result as Result;
    });
  });
  // Replicas on one store: this replica must hear the retries that reach the others.
  await serveForwardedRounds(round.services, (forwarded, signal, notify) =>
    holdForwardedRound(round.services, forwarded, signal, notify),
  );
  return driveRound(round, entry, ctx);
}

/**
 * A retry carrying answers to a round's questions (`requestState` = the flow's id); a flow that
 * another replica holds gets the round forwarded there (`cluster/forwarded-rounds.ts`).
 * @throws FedmcpError INVALID_PARAMS when the call is over, expired or another caller's.
 */
export function resumeInteractiveCall(
  round: Round,
  flowId: string,
  owner: string,
  ctx: ServerContext,
): Promise<Result> {
  const entry = (round.services.flows as InteractiveFlows).get(flowId, owner);
  if (!entry) {
    const holder = round.services.flows.forwarding?.holderOf(flowId);
    if (holder !== undefined) return forwardRound(round, holder, flowId, owner, ctx);
    throw hubError(
      'INVALID_PARAMS',
      'This interactive call is over or expired; call the tool again.',
    );
  }
  entry.flow.resume(ctx.mcpReq.inputResponses ?? {});
  return driveRound(round, entry, ctx);
}

/** Runs the flow until its next event: the client's questions, or the upstream's answer. */
async function driveRound(
  round: Round,
  entry: FlowEntry<InteractiveOutcome>,
  ctx: ServerContext,
): Promise<Result> {
  const { services, session, logLevel } = round;
  const { flow } = entry;
  flow.capabilities = clientCapabilities(ctx, session);
  const relay = createProgressRelay(ctx, stripDownstreamMeta(ctx.mcpReq._meta).progressToken);
  flow.onProgress = relay.onprogress;
  flow.onLog =
    logLevel === undefined
      ? undefined
      : (params) => {
          if (passesLevel(params.level, logLevel)) relay.send('notifications/message', params);
        };
  const end = await runRound(services, session, entry, ctx.mcpReq.signal, () => relay.flush());
  if (end.type === 'result') return end.result;
  return inputRequiredReply(
    Object.fromEntries(end.questions.map(({ key, method, params }) => [key, { method, params }])),
    await services.codec.mint(flow.id, ctx),
  );
}

/** How a round ends: the questions for the client, or the call's mapped result. */
type RoundEnd = { type: 'input'; questions: RoundQuestion[] } | { type: 'result'; result: Result };

/**
 * The part of a round that runs where the flow is held: waits for the flow's next event, then
 * asks the client, or maps and records the call's end.
 * @throws the client's error when the call failed (recorded first).
 */
async function runRound(
  services: HubServices,
  session: HubSession,
  entry: FlowEntry<InteractiveOutcome>,
  signal: AbortSignal,
  afterNext: () => Promise<void>,
): Promise<RoundEnd> {
  const { flow, outcome } = entry;
  if (flow.roundTimer) clearTimeout(flow.roundTimer);
  driven.add(flow);
  const event = await flow.next(signal).finally(() => driven.delete(flow));
  flow.onProgress = undefined;
  flow.onLog = undefined;
  await afterNext();
  if (event.type === 'input') {
    asked.add(flow);
    for (const question of event.questions) {
      if (question.method === 'elicitation/create') {
        services.notifications.trackElicitation(outcome.upstream, question.params, session);
      }
    }
    flow.roundTimer = setTimeout(
      () => flow.cancel(hubError('REQUEST_TIMEOUT', 'The client did not answer in time.')),
      services.settings.roundTimeoutMs,
    );
    const questions = event.questions.map(({ key, method, params }) => ({ key, method, params }));
    return { type: 'input', questions };
  }
  if (event.type === 'error') {
    const error = asClientError(event.error, outcome.upstream.id);
    await outcome.finish({ ok: false, error });
    throw error;
  }
  const result = outcome.map(event.result);
  await outcome.finish({ ok: true, result });
  return { type: 'result', result };
}

/**
 * A round another replica forwarded here, for a flow this replica holds: refused unless the
 * retrying caller made the call; its progress and log messages go back through `notify` (the
 * forwarding replica applies the client's token and log level).
 */
export async function holdForwardedRound(
  services: HubServices,
  round: ForwardedRound,
  signal: AbortSignal,
  notify: RoundNotify,
): Promise<HeldRoundOutcome> {
  const entry = (services.flows as InteractiveFlows).get(round.flowId, round.owner);
  if (!entry) {
    return wireError(
      hubError('INVALID_PARAMS', 'This interactive call is over or expired; call the tool again.'),
    );
  }
  const { flow } = entry;
  flow.capabilities = round.capabilities;
  flow.onProgress = (progress) => notify('notifications/progress', progress);
  flow.onLog = (params) => notify('notifications/message', params);
  flow.resume(round.inputResponses);
  try {
    return await runRound(services, entry.session, entry, signal, async () => {});
  } catch (error) {
    return wireError(error);
  }
}
