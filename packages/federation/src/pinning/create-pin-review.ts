/**
 * The review of an upstream's lists against the pins: the decision, item by item, between
 * exposing it (unchanged, or trusted on first sight) and holding it back as a pending change,
 * quarantined until an operator approves it.
 */
import type { AuditLog } from '@fedmcp/proxy-auth';
import type { KeyValueEntry } from '@fedmcp/store';
import type { Prompt, Tool } from '@modelcontextprotocol/server';
import type { CatalogReview, GuardedLists, QuarantinedItem } from '../catalog-guard.js';
import type { EffectivePins } from './create-effective-pins.js';
import type { PinRecord, PinStore } from './create-pin-store.js';
import { changedFields, digestDefinition, type PinnedKind } from './definition-digest.js';
import { itemPath } from './item-path.js';
import { recordPinEvent } from './record-pin-event.js';

/** The reason given for an item seen for the first time under `newItems: 'hold'`. */
export const NEW_ITEM_REASON = 'new, awaiting approval';

/** Options of {@link createPinReview}. */
export interface PinReviewOptions {
  store: PinStore;
  /** The pins to compare with; ready before the first review. */
  pins: EffectivePins;
  /** What happens to an item seen for the first time. */
  newItems: 'trust' | 'hold';
  /** How a quarantined item appears in lists. */
  onQuarantined: 'hide' | 'warn';
  audit?: AuditLog;
  /** The current time as ISO 8601. */
  iso: () => string;
}

/** Reviews one upstream's lists; see {@link createPinReview}. */
export type PinReview = (upstream: string, lists: GuardedLists) => Promise<CatalogReview>;

function reasonFor(changed: string[]): string {
  return changed.length === 0 ? 'definition changed' : `${changed.join(', ')} changed`;
}

function approveHint(upstream: string, kind: PinnedKind, name: string): string {
  return `fedmcp tools approve ${upstream} ${name}${kind === 'prompt' ? ' --prompt' : ''}`;
}

/** The item as listed under `onQuarantined: 'warn'`: its last approved definition, with a warning. */
function warned<T extends Tool | Prompt>(
  kind: PinnedKind,
  item: T,
  reason: string,
  pinned: PinRecord | undefined,
): T {
  const warning = `⚠ QUARANTINED by fedmcp (${reason}; awaiting operator approval). Calls are refused.`;
  const base = pinned?.definition ?? {
    name: item.name,
    ...(kind === 'tool' ? { inputSchema: { type: 'object' } } : {}),
  };
  const description = typeof base.description === 'string' ? ` ${base.description}` : '';
  return { ...base, name: item.name, description: `${warning}${description}` } as T;
}

/**
 * Creates the review: it pins new items (or holds them), exposes items whose definition matches
 * their pin, and holds back the rest. A pending change of an item the upstream no longer presents
 * is dropped.
 */
export function createPinReview(options: PinReviewOptions): PinReview {
  const { store, pins, newItems, onQuarantined, audit, iso } = options;

  async function reviewItem<T extends Tool | Prompt>(
    upstream: string,
    kind: PinnedKind,
    item: T,
    held: Map<string, KeyValueEntry>,
  ): Promise<{ item?: T; quarantined?: QuarantinedItem }> {
    const path = itemPath(upstream, kind, item.name);
    const heldEntry = held.get(path);
    held.delete(path); // what is left afterwards is no longer presented
    const presented = await digestDefinition(kind, item);
    let pinned = await pins.pin(upstream, kind, item.name);
    if (!pinned && newItems === 'trust') {
      const pin = { digest: presented.digest, pinnedAt: iso(), definition: presented.definition };
      if (await store.createPin(upstream, kind, item.name, pin)) {
        await recordPinEvent(audit, {
          outcome: 'pinned',
          upstream,
          kind,
          name: item.name,
          reason: 'first sight, trusted',
          details: { digest: presented.digest },
        });
        return { item };
      }
      pinned = await pins.pin(upstream, kind, item.name); // another replica pinned it first
    }
    if (pinned?.digest === presented.digest) {
      // Unchanged (an upstream restart), or changed back: nothing is held.
      if (heldEntry) await store.discard(heldEntry);
      return { item };
    }
    const changed = pinned?.definition
      ? changedFields(kind, pinned.definition, presented.definition)
      : [];
    const reason = pinned ? reasonFor(changed) : NEW_ITEM_REASON;
    const { pending, written } = await store.holdBack(upstream, kind, item.name, {
      digest: presented.digest,
      definition: presented.definition,
      detectedAt: iso(),
      reason,
      changed,
    });
    if (written) {
      await recordPinEvent(audit, {
        outcome: 'quarantined',
        upstream,
        kind,
        name: item.name,
        reason: pending.reason,
        details: { changed: pending.changed, digest: pending.digest },
      });
    }
    const quarantined: QuarantinedItem = {
      kind,
      name: item.name,
      reason,
      data: {
        upstream,
        changed,
        ...(pinned ? { pinnedDigest: pinned.digest } : {}),
        presentedDigest: presented.digest,
        detectedAt: pending.detectedAt,
        approve: approveHint(upstream, kind, item.name),
      },
    };
    return onQuarantined === 'warn'
      ? { item: warned(kind, item, reason, pinned), quarantined }
      : { quarantined };
  }

  return async (upstream, lists) => {
    const held = await store.heldEntries(upstream);
    const tools = await Promise.all(
      lists.tools.map((tool) => reviewItem(upstream, 'tool', tool, held)),
    );
    const prompts = await Promise.all(
      lists.prompts.map((prompt) => reviewItem(upstream, 'prompt', prompt, held)),
    );
    // Pending changes of items the upstream no longer presents are moot.
    for (const entry of held.values()) await store.discard(entry);
    const quarantined = [...tools, ...prompts].flatMap((result) =>
      result.quarantined ? [result.quarantined] : [],
    );
    return {
      tools: tools.flatMap((result) => (result.item ? [result.item] : [])),
      prompts: prompts.flatMap((result) => (result.item ? [result.item] : [])),
      quarantined,
    };
  };
}
