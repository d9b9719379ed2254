/**
 * The spine of the pipeline: a request the handlers resolved (stage 1) and gave its upstream
 * `_meta` (stage 2) is gated (stage 3), sent (stage 4, or answered by the hub itself), mapped
 * (stage 5) and recorded (stage 6), each stage entered once, in this order.
 */
import type { ClientCapabilities, Result, ServerContext } from '@modelcontextprotocol/server';
import { callUpstream, type UpstreamCall } from './call-upstream.js';
import { finishing } from './finish.js';
import { type GateContext, type GateRequest, gate } from './gate.js';

/** Who makes a request, as the gate sees them. */
export interface Caller {
  principal: unknown;
  capabilities: ClientCapabilities;
}

/** One request to forward. */
export interface Forwarding {
  /** The request as the access hook sees it. */
  access: GateRequest;
  /** The upstream request; or `local` answers it in the hub. */
  call?: UpstreamCall;
  local?: () => Promise<Result>;
  /** Stage 5: the answer as the client sees it. @default unchanged */
  map?: (result: Result) => Result;
}

/** Gates, sends (or answers locally), maps and records one request. */
export async function forward(
  context: GateContext,
  caller: Caller,
  ctx: ServerContext,
  forwarding: Forwarding,
): Promise<Result> {
  const gated = await gate(context, forwarding.access, caller, ctx);
  if ('reply' in gated) return gated.reply;
  return finishing(gated.finish, async () => {
    const result = forwarding.call
      ? await callUpstream(forwarding.call)
      : ((await forwarding.local?.()) ?? {});
    return forwarding.map ? forwarding.map(result) : result;
  });
}
