/**
 * What becomes of a task whose hub died before it finished (the sweep of another hub, or of the
 * restarted one): an idempotent tool runs again from the start — questions it was waiting on are
 * dropped, it will ask again — any other call is failed with a reason that says why, and whether
 * it was waiting for its client's input.
 */
import { HOP_TRAIL_META_KEY, ON_BEHALF_OF_META_KEY } from '@fedmcp/protocol';
import type { Tool } from '@modelcontextprotocol/server';
import type { CatalogRoute } from '../catalog.js';
import type { AccessRequest } from '../hub-access.js';
import type { HubTaskOrigin, HubTaskRecord } from './hub-task.js';

type Params = Record<string, unknown>;

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * What a task keeps of who its call was for: the principal's identity (subject, issuer, how it
 * authenticated, a peer's verified delegation — no token, no other claim) and the federation
 * `_meta` keys the hub wrote upstream (hop trail, on-behalf-of).
 */
export function taskOrigin(
  principal: unknown,
  upstreamMeta: unknown,
  capabilities: Params,
): HubTaskOrigin {
  const who = (principal ?? {}) as Params;
  const kept = {
    ...(text(who.subject) ? { subject: text(who.subject) } : {}),
    ...(text(who.issuer) ? { issuer: text(who.issuer) } : {}),
    ...(text(who.authMethod) ? { authMethod: text(who.authMethod) } : {}),
    ...(Array.isArray(who.via) ? { via: who.via.filter((hop) => typeof hop === 'string') } : {}),
  };
  const sent = (upstreamMeta ?? {}) as Params;
  const meta = Object.fromEntries(
    [HOP_TRAIL_META_KEY, ON_BEHALF_OF_META_KEY]
      .filter((key) => sent[key] !== undefined)
      .map((key) => [key, sent[key]]),
  );
  return {
    ...(Object.keys(kept).length > 0 ? { principal: kept } : {}),
    ...(Object.keys(meta).length > 0 ? { meta } : {}),
    ...(Object.keys(capabilities).length > 0 ? { capabilities } : {}),
  };
}

/** The access request a resumed run is audited with (the original caller's, as kept). */
export function resumedAccess(record: HubTaskRecord, route: CatalogRoute<Tool>): AccessRequest {
  return {
    principal: record.origin?.principal,
    action: 'tools/call',
    target: record.tool,
    upstream: route.upstream.id,
    upstreamTarget: route.name,
    ...(record.arguments ? { arguments: record.arguments } : {}),
    ...(route.item.annotations ? { annotations: route.item.annotations as Params } : {}),
    canElicit: false,
    ...(record.origin?.meta ? { meta: record.origin.meta } : {}),
  };
}

/** The record of a task that runs again after its hub died (idempotent tools). */
export function resumedRecord(task: HubTaskRecord): HubTaskRecord {
  const { inputRequests: _dropped, ...rest } = task;
  return {
    ...rest,
    status: 'working',
    attempts: task.attempts + 1,
    statusMessage: 'Resumed: the hub running it stopped; the tool is idempotent, so it runs again.',
  };
}

/** How a task that cannot run again ends after its hub died. */
export function lostRunnerOutcome(task: HubTaskRecord): Partial<HubTaskRecord> {
  const waiting = task.status === 'input_required';
  const when = waiting ? 'while the task waited for its client’s input' : 'before it finished';
  return {
    status: 'failed',
    statusMessage: `The hub running this task stopped ${when}, and the tool is not marked idempotent (idempotentHint), so it was not run again.`,
    inputRequests: undefined,
    error: {
      code: -32603,
      message: `The hub running this task stopped ${when}; the tool is not idempotent, so the hub did not run it again. Its effects are unknown.`,
    },
  };
}
