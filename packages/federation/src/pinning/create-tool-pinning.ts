/**
 * Tool-definition pinning ("rug pull" protection): a {@link CatalogGuard} that records the digest
 * of every tool's and prompt's definition per upstream — on first sight, or from an approved pin
 * file — and holds back an item whose definition later changes until an operator approves the
 * change. Pins and pending changes live in the store's key/value space, so every replica and the
 * `fedmcp tools diff|approve` command see the same state; approvals made by another process reach
 * a running hub through the store's pub/sub (when given) and a version counter it polls.
 *
 * This file wires the parts together: the store ({@link createPinStore}), the pins that count
 * ({@link createEffectivePins}), the review ({@link createPinReview}), the operator API
 * ({@link createPinApprovals}) and `onChange` ({@link createChangeNotifier}).
 */
import { type Logger, silentLogger } from '@fedmcp/protocol';
import type { AuditLog } from '@fedmcp/proxy-auth';
import type { KeyValueStore, PubSub } from '@fedmcp/store';
import type { CatalogGuard, CatalogReview, GuardedLists } from '../catalog-guard.js';
import { createChangeNotifier } from './create-change-notifier.js';
import { createEffectivePins } from './create-effective-pins.js';
import {
  type ApprovedItem,
  type ApproveOptions,
  createPinApprovals,
  type PendingChange,
} from './create-pin-approvals.js';
import { createPinReview } from './create-pin-review.js';
import { createPinStore } from './create-pin-store.js';
import type { PinnedKind } from './definition-digest.js';
import type { PinFile } from './pin-file.js';

export type { ApprovedItem, ApproveOptions, PendingChange } from './create-pin-approvals.js';
export { NEW_ITEM_REASON } from './create-pin-review.js';
export type { PinRecord } from './create-pin-store.js';

/** Options of {@link createToolPinning}. */
export interface ToolPinningOptions {
  /** Where pins and pending changes live: `store.kv` of `@fedmcp/store` (share it between replicas). */
  kv: KeyValueStore;
  /**
   * Approved pins loaded from a pin file (validate it with `parsePinFile`). For each item the
   * newer of the pin file's entry and the store's pin (by `pinnedAt`) is the one that counts, so
   * an approval made after the file was written is kept, and a newer file overrides older approvals.
   * @default none
   */
  pinFile?: PinFile;
  /**
   * What happens to an item seen for the first time: `'trust'` pins it and exposes it (trust on
   * first use); `'hold'` quarantines it as `'new, awaiting approval'` until an operator approves it.
   * @default 'trust'
   */
  newItems?: 'trust' | 'hold';
  /**
   * How a quarantined item appears in lists: `'hide'` leaves it out; `'warn'` lists it with a warning
   * in front of its description (and its last approved definition, never the unapproved text, so a
   * poisoned description does not reach the model). Its calls are refused either way.
   * @default 'hide'
   */
  onQuarantined?: 'hide' | 'warn';
  /** Records quarantines, approvals and first-use pins (`type: 'pin'`). @default none */
  audit?: AuditLog;
  /**
   * The store's pub/sub (`store.pubsub`): approvals are announced there, and approvals announced
   * by another replica or the CLI reach this guard's `onChange` listeners at once. Polling then
   * only catches approvals by a process that does not announce them.
   * @default none (polling only)
   */
  pubsub?: Pick<PubSub, 'publish' | 'subscribe'>;
  /**
   * How often a guard with `onChange` listeners checks the store for approvals made by another
   * process (the CLI, another replica); 0 turns polling off. Timers are unref'd.
   * @default 2000; 30000 with `pubsub`
   */
  pollIntervalMs?: number;
  /** Prefix of the store keys. @default 'pins:' */
  keyPrefix?: string;
  /** Receives background failures (polling). @default silent */
  logger?: Logger;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** The guard {@link createToolPinning} returns, with the operator API. */
export interface ToolPinning extends CatalogGuard {
  review(upstream: string, lists: GuardedLists): Promise<CatalogReview>;
  onChange(listener: () => void): () => void;
  /** Items held back, with before/after definitions; of one upstream, or of all. */
  pending(upstream?: string): Promise<PendingChange[]>;
  /** A readable field diff of a pending change; `undefined` when none is pending for the item. */
  diff(upstream: string, kind: PinnedKind, name: string): Promise<string | undefined>;
  /**
   * Makes the pending definition of an item (or, with `'*'`, of every pending item of that kind
   * of the upstream) its pin, and tells the hub (this process at once; others at once through
   * `pubsub`, else at their next poll).
   * Resolves with what was approved: empty when nothing matched.
   * @throws {FedmcpError} `INVALID_PARAMS` on a bad kind, upstream or name.
   */
  approve(
    upstream: string,
    kind: PinnedKind,
    name: string,
    options?: ApproveOptions,
  ): Promise<ApprovedItem[]>;
  /** Every effective pin (store and pin file, newest wins), as a pin file. */
  exportPins(): Promise<PinFile>;
  /** Stops polling and drops listeners (the store stays open: it is the caller's). */
  close(): Promise<void>;
}

/**
 * Creates the pinning guard: pass it to `createHub({ catalogGuard })`, and use its `pending`,
 * `diff` and `approve` from operator tooling.
 *
 * @example
 * ```ts
 * const store = await createStore('sqlite:./.fedmcp/state.db');
 * const pinning = createToolPinning({ kv: store.kv, newItems: 'hold' });
 * const hub = createHub({ upstreams, catalogGuard: pinning });
 * // later, an operator:
 * for (const change of await pinning.pending()) console.log(await pinning.diff(change.upstream, change.kind, change.name));
 * await pinning.approve('github', 'tool', 'create_issue');
 * ```
 * @throws {FedmcpError} `INVALID_CONFIG` from `review` when a pin file entry's digest does not
 *   match its definition.
 */
export function createToolPinning(options: ToolPinningOptions): ToolPinning {
  const now = options.now ?? Date.now;
  const iso = () => new Date(now()).toISOString();
  const store = createPinStore({ kv: options.kv, keyPrefix: options.keyPrefix ?? 'pins:' });
  const pins = createEffectivePins({
    store,
    ...(options.pinFile === undefined ? {} : { pinFile: options.pinFile }),
    iso,
  });
  const changes = createChangeNotifier({
    store,
    pollIntervalMs: options.pollIntervalMs ?? (options.pubsub ? 30_000 : 2000),
    ...(options.pubsub ? { pubsub: options.pubsub } : {}),
    logger: options.logger ?? silentLogger,
  });
  const reviewLists = createPinReview({
    store,
    pins,
    newItems: options.newItems ?? 'trust',
    onQuarantined: options.onQuarantined ?? 'hide',
    ...(options.audit === undefined ? {} : { audit: options.audit }),
    iso,
  });
  const approvals = createPinApprovals({
    store,
    pins,
    changes,
    ...(options.audit === undefined ? {} : { audit: options.audit }),
    iso,
  });

  return {
    async review(upstream, lists) {
      await pins.ready();
      // The version this review reflects: approvals counted after it are news for onChange.
      await changes.baseline();
      return reviewLists(upstream, lists);
    },

    onChange: (listener) => changes.subscribe(listener),

    pending: approvals.pending,
    diff: approvals.diff,
    approve: approvals.approve,
    exportPins: pins.exportPins,

    async close() {
      changes.close();
    },
  };
}
