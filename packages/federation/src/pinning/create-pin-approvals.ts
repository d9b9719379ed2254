/**
 * The operator side of pinning: the pending changes with their before and after, a readable diff
 * of one, and approval, which makes a pending definition the item's pin.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { AuditLog } from '@fedmcp/proxy-auth';
import type { ChangeNotifier } from './create-change-notifier.js';
import type { EffectivePins } from './create-effective-pins.js';
import type { PinRecord, PinStore } from './create-pin-store.js';
import { diffDefinitions } from './definition-diff.js';
import type { CanonicalDefinition, PinnedKind } from './definition-digest.js';
import { recordPinEvent } from './record-pin-event.js';

/** A change waiting for an operator: an item held back, with its before and after. */
export interface PendingChange {
  upstream: string;
  kind: PinnedKind;
  /** The upstream's own name of the item. */
  name: string;
  /** As shown to callers: `'description changed'`, `'new, awaiting approval'`. */
  reason: string;
  /** The pinned fields that differ (empty for a new item). */
  changed: string[];
  /** When the presented definition was first seen (ISO 8601). */
  detectedAt: string;
  /** The pinned definition; absent for a new item. */
  before?: PinRecord;
  /** The definition the upstream presents now. */
  after: { digest: string; definition: CanonicalDefinition };
}

/** One item pinned by `ToolPinning.approve`. */
export interface ApprovedItem {
  upstream: string;
  kind: PinnedKind;
  name: string;
  digest: string;
  pinnedAt: string;
}

/** Options of `ToolPinning.approve`. */
export interface ApproveOptions {
  /** Who approves, for the audit trail and the pin. @default none */
  by?: string;
  /** Approve only if the pending definition still has this digest (what the operator reviewed). */
  digest?: string;
}

/** Options of {@link createPinApprovals}. */
export interface PinApprovalsOptions {
  store: PinStore;
  /** The pins shown as "before", and replaced by approvals. */
  pins: EffectivePins;
  /** Told after approvals are written. */
  changes: Pick<ChangeNotifier, 'approved'>;
  audit?: AuditLog;
  /** The current time as ISO 8601. */
  iso: () => string;
}

/** `pending`, `diff` and `approve` of `ToolPinning`. */
export interface PinApprovals {
  pending(upstream?: string): Promise<PendingChange[]>;
  diff(upstream: string, kind: PinnedKind, name: string): Promise<string | undefined>;
  approve(
    upstream: string,
    kind: PinnedKind,
    name: string,
    options?: ApproveOptions,
  ): Promise<ApprovedItem[]>;
}

function checkItem(upstream: unknown, kind: unknown, name: unknown): void {
  const problem =
    typeof upstream !== 'string' || upstream === ''
      ? 'upstream must be a non-empty upstream id'
      : kind !== 'tool' && kind !== 'prompt'
        ? `kind must be 'tool' or 'prompt', got ${JSON.stringify(kind)}`
        : typeof name !== 'string' || name === ''
          ? "name must be a non-empty item name or '*'"
          : undefined;
  if (problem) throw new FedmcpError('INVALID_PARAMS', `Cannot approve: ${problem}.`);
}

/**
 * Creates the operator API over the store's pending changes.
 * @throws {FedmcpError} `INVALID_PARAMS` from `diff` and `approve` on a bad kind, upstream or name.
 */
export function createPinApprovals(options: PinApprovalsOptions): PinApprovals {
  const { store, pins, changes, audit, iso } = options;

  async function pending(upstream?: string): Promise<PendingChange[]> {
    await pins.ready();
    const pendingChanges: PendingChange[] = [];
    for (const { item, pending } of await store.pendingChanges(upstream)) {
      const before = await pins.pin(item.upstream, item.kind, item.name);
      pendingChanges.push({
        ...item,
        reason: pending.reason,
        changed: pending.changed,
        detectedAt: pending.detectedAt,
        ...(before ? { before } : {}),
        after: { digest: pending.digest, definition: pending.definition },
      });
    }
    return pendingChanges;
  }

  return {
    pending,

    async diff(upstream, kind, name) {
      checkItem(upstream, kind, name);
      const change = (await pending(upstream)).find(
        (candidate) => candidate.kind === kind && candidate.name === name,
      );
      if (!change) return undefined;
      return diffDefinitions({
        upstream,
        kind,
        name,
        ...(change.before?.definition
          ? {
              before: {
                definition: change.before.definition,
                digest: change.before.digest,
                at: change.before.pinnedAt,
              },
            }
          : {}),
        after: { ...change.after, at: change.detectedAt },
      });
    },

    async approve(upstream, kind, name, approveOptions = {}) {
      checkItem(upstream, kind, name);
      const candidates = (await pending(upstream)).filter(
        (change) => change.kind === kind && (name === '*' || change.name === name),
      );
      const approved: ApprovedItem[] = [];
      for (const change of candidates) {
        if (approveOptions.digest !== undefined && change.after.digest !== approveOptions.digest) {
          continue;
        }
        const pinnedAt = iso();
        await store.setPin(upstream, kind, change.name, {
          digest: change.after.digest,
          pinnedAt,
          definition: change.after.definition,
          ...(approveOptions.by === undefined ? {} : { approvedBy: approveOptions.by }),
        });
        // Only the pending change that was approved goes; a newer one stays held.
        await store.dropPending(upstream, kind, change.name, change.after.digest);
        approved.push({ upstream, kind, name: change.name, digest: change.after.digest, pinnedAt });
        await recordPinEvent(audit, {
          outcome: 'approved',
          upstream,
          kind,
          name: change.name,
          reason: change.reason,
          details: {
            changed: change.changed,
            digest: change.after.digest,
            ...(change.before ? { previousDigest: change.before.digest } : {}),
            ...(approveOptions.by === undefined ? {} : { approvedBy: approveOptions.by }),
          },
        });
      }
      if (approved.length > 0) await changes.approved();
      return approved;
    },
  };
}
