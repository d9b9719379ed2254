/**
 * The two ends of a 2026-07-28 round forwarded between replicas (`flow-forwarding.ts`): the
 * replica that got the retry sends it to the flow's holder and turns the holder's answer into
 * its own reply to the client (the next `input_required`, with a `requestState` it signs for the
 * same flow, or the call's result or error); the holder starts hearing forwarded rounds when it
 * opens its first flow.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { LoggingLevel, Result, ServerContext } from '@modelcontextprotocol/server';
import { clientCapabilities } from '../handlers/session-scope.js';
import { stripDownstreamMeta } from '../pipeline/meta.js';
import { createProgressRelay } from '../pipeline/progress-relay.js';
import { inputRequiredReply } from '../sdk-seams.js';
import type { HubServices } from '../services/hub-services.js';
import { passesLevel } from '../services/notification-router.js';
import type { HubSession } from '../services/session-registry.js';
import type { HoldRound } from './flow-forwarding.js';

/**
 * Hears the rounds other replicas forward here (once; again after a failure). A store that
 * cannot be reached is logged and the call goes on: its retries must then come back here.
 */
export async function serveForwardedRounds(services: HubServices, hold: HoldRound): Promise<void> {
  const forwarding = services.flows.forwarding;
  if (!forwarding) return;
  try {
    await forwarding.serve(hold);
  } catch (error) {
    services.logger.warn(
      { err: error },
      'Cannot hear retries forwarded by other replicas (store unavailable); retries of this call must reach this replica',
    );
  }
}

/**
 * Sends a retry to the replica holding its flow and answers the client with what it answers.
 * @throws FedmcpError the holder's error for the call, or UPSTREAM_UNAVAILABLE /
 *   STORE_UNAVAILABLE when the holder cannot be reached (call the tool again).
 */
export async function forwardRound(
  round: { services: HubServices; session: HubSession; logLevel: LoggingLevel | undefined },
  holder: string,
  flowId: string,
  owner: string,
  ctx: ServerContext,
): Promise<Result> {
  const { services, session, logLevel } = round;
  const forwarding = services.flows.forwarding;
  if (!forwarding) throw new TypeError('flow forwarding is not configured');
  // The call's progress and log messages, relayed by the holder, go out on this request's stream.
  const relay = createProgressRelay(ctx, stripDownstreamMeta(ctx.mcpReq._meta).progressToken);
  const outcome = await forwarding
    .forward(
      holder,
      {
        flowId,
        owner,
        inputResponses: ctx.mcpReq.inputResponses ?? {},
        capabilities: clientCapabilities(ctx, session),
      },
      ctx.mcpReq.signal,
      (method, params) => {
        if (method === 'notifications/progress') relay.onprogress?.(params);
        else if (method === 'notifications/message' && logLevel !== undefined) {
          if (passesLevel(params.level, logLevel)) relay.send(method, params);
        }
      },
    )
    .finally(() => relay.flush());
  if (outcome.type === 'result') return outcome.result;
  if (outcome.type === 'error') throw FedmcpError.fromJsonRpcError(outcome.error);
  return inputRequiredReply(
    Object.fromEntries(
      outcome.questions.map(({ key, method, params }) => [key, { method, params }]),
    ),
    await services.codec.mint(flowId, ctx),
  );
}
