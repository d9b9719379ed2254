/**
 * Stage 4 for an interactive tools/call (its client can answer sampling, elicitation or roots,
 * or wants its logs): the upstream call runs in a `Flow` on a leased connection, and its
 * questions come back to the client as `input_required` rounds (pushed to 2025-era clients by
 * the SDK's legacy shim); each retry carries the answers and drives the flow on, until the
 * upstream answers. The flow's end is mapped and recorded once (stages 5 and 6).
 */
import type { LoggingLevel, Result, ServerContext } from '@modelcontextprotocol/server';
import { asClientError, hubError } from '../errors.js';
import { clientCapabilities } from '../handlers/session-scope.js';
import { inputRequiredReply } from '../sdk-seams.js';
import type { FlowEntry, FlowRegistry } from '../services/flow-registry.js';
import type { HubServices } from '../services/hub-services.js';
import { passesLevel } from '../services/notification-router.js';
import type { HubSession } from '../services/session-registry.js';
import type { Upstream } from '../upstream.js';
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
interface Round {
  services: HubServices;
  session: HubSession;
  /** The client's log level for this round, if it wants log messages. */
  logLevel: LoggingLevel | undefined;
}

/** The flows a round is waiting on; a flow that ends between rounds is recorded on its own. */
const driven = new WeakSet<object>();

/** Starts an interactive call and drives its first round. */
export function startInteractiveCall(
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
  flow.run((signal) =>
    callUpstream({
      ...call,
      signal,
      onConnection: (connection) => flows.attach(flow, connection),
      onprogress: (progress) => flow.onProgress?.(progress),
    }),
  );
  return driveRound(round, entry, ctx);
}

/**
 * A retry carrying answers to a round's questions (`requestState` = the flow's id).
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
  const { flow, outcome } = entry;
  flow.capabilities = clientCapabilities(ctx, session);
  const relay = createProgressRelay(ctx, stripDownstreamMeta(ctx.mcpReq._meta).progressToken);
  flow.onProgress = relay.onprogress;
  flow.onLog =
    logLevel === undefined
      ? undefined
      : (params) => {
          if (passesLevel(params.level, logLevel)) relay.send('notifications/message', params);
        };
  if (flow.roundTimer) clearTimeout(flow.roundTimer);
  driven.add(flow);
  const event = await flow.next(ctx.mcpReq.signal).finally(() => driven.delete(flow));
  flow.onProgress = undefined;
  flow.onLog = undefined;
  await relay.flush();
  if (event.type === 'input') {
    for (const question of event.questions) {
      if (question.method === 'elicitation/create') {
        services.notifications.trackElicitation(outcome.upstream, question.params, session);
      }
    }
    flow.roundTimer = setTimeout(
      () => flow.cancel(hubError('REQUEST_TIMEOUT', 'The client did not answer in time.')),
      services.settings.roundTimeoutMs,
    );
    return inputRequiredReply(
      Object.fromEntries(
        event.questions.map((question) => [
          question.key,
          { method: question.method, params: question.params },
        ]),
      ),
      await services.codec.mint(flow.id, ctx),
    );
  }
  if (event.type === 'error') {
    const error = asClientError(event.error, outcome.upstream.id);
    await outcome.finish({ ok: false, error });
    throw error;
  }
  const result = outcome.map(event.result);
  await outcome.finish({ ok: true, result });
  return result;
}
