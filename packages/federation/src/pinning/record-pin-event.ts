/**
 * The audit trail of pinning: one `type: 'pin'` event per quarantine, approval and first-use pin.
 */
import type { AuditLog } from '@fedmcp/proxy-auth';
import type { PinnedKind } from './definition-digest.js';
import { listKey } from './item-path.js';

/** What happened to an item's pin. */
export type PinOutcome = 'quarantined' | 'approved' | 'pinned';

/** One pinning event, as {@link recordPinEvent} records it. */
export interface PinEvent {
  outcome: PinOutcome;
  upstream: string;
  kind: PinnedKind;
  name: string;
  reason: string;
  /** Added to the event's details, after its `kind`. */
  details: Record<string, unknown>;
}

/**
 * Records a pinning event in `audit`: an approval as `pin/approve`, anything else as the list
 * (`tools/list`, `prompts/list`) that brought it about. Does nothing without an audit log.
 */
export async function recordPinEvent(audit: AuditLog | undefined, event: PinEvent): Promise<void> {
  const { outcome, upstream, kind, name, reason, details } = event;
  await audit?.record({
    type: 'pin',
    outcome,
    action: outcome === 'approved' ? 'pin/approve' : `${listKey(kind)}/list`,
    target: name,
    upstream,
    reason,
    details: { kind, ...details },
  });
}
