/**
 * Tool-definition pinning ("rug pull" protection): a {@link CatalogGuard} that records the digest
 * of every tool's and prompt's definition per upstream — on first sight, or from an approved pin
 * file — and holds back an item whose definition later changes until an operator approves the
 * change. Pins and pending changes live in the store's key/value space, so every replica and the
 * `fedmcp tools diff|approve` command see the same state; approvals made by another process reach
 * a running hub through a version counter it polls.
 */
import { FedmcpError, type Logger, silentLogger } from '@fedmcp/protocol';
import type { AuditLog } from '@fedmcp/proxy-auth';
import type { KeyValueEntry, KeyValueStore } from '@fedmcp/store';
import type { Prompt, Tool } from '@modelcontextprotocol/server';
import type {
  CatalogGuard,
  CatalogReview,
  GuardedLists,
  QuarantinedItem,
} from '../catalog-guard.js';
import { diffDefinitions } from './definition-diff.js';
import {
  type CanonicalDefinition,
  changedFields,
  digestDefinition,
  type PinnedKind,
} from './definition-digest.js';
import type { PinEntry, PinFile, UpstreamPins } from './pin-file.js';

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
   * How often a guard with `onChange` listeners checks the store for approvals made by another
   * process (the CLI, another replica); 0 turns polling off. Timers are unref'd.
   * @default 2000
   */
  pollIntervalMs?: number;
  /** Prefix of the store keys. @default 'pins:' */
  keyPrefix?: string;
  /** Receives background failures (polling). @default silent */
  logger?: Logger;
  /** The clock. @default Date.now */
  now?: () => number;
}

/** A pinned definition as recorded. */
export interface PinRecord {
  digest: string;
  pinnedAt: string;
  definition?: CanonicalDefinition;
  /** Who approved it (absent for a trust-on-first-use pin). */
  approvedBy?: string;
  /** Where the pin came from. */
  source: 'store' | 'pin-file';
}

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

/** One item {@link ToolPinning.approve} pinned. */
export interface ApprovedItem {
  upstream: string;
  kind: PinnedKind;
  name: string;
  digest: string;
  pinnedAt: string;
}

/** Options of {@link ToolPinning.approve}. */
export interface ApproveOptions {
  /** Who approves, for the audit trail and the pin. @default none */
  by?: string;
  /** Approve only if the pending definition still has this digest (what the operator reviewed). */
  digest?: string;
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
   * of the upstream) its pin, and tells the hub (this process at once, others at their next poll).
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

interface PendingRecord {
  digest: string;
  definition: CanonicalDefinition;
  detectedAt: string;
  reason: string;
  changed: string[];
}

/** The reason given for an item seen for the first time under `newItems: 'hold'`. */
export const NEW_ITEM_REASON = 'new, awaiting approval';

const KINDS: readonly PinnedKind[] = ['tool', 'prompt'];

function listKey(kind: PinnedKind): 'tools' | 'prompts' {
  return kind === 'tool' ? 'tools' : 'prompts';
}

function parseJson<T>(entry: KeyValueEntry | undefined): T | undefined {
  if (!entry) return undefined;
  try {
    return JSON.parse(entry.value) as T;
  } catch {
    return undefined; // a damaged entry counts as absent
  }
}

function newer(a: PinRecord | undefined, b: PinRecord | undefined): PinRecord | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b.pinnedAt) > Date.parse(a.pinnedAt) ? b : a;
}

function reasonFor(changed: string[]): string {
  return changed.length === 0 ? 'definition changed' : `${changed.join(', ')} changed`;
}

function approveHint(upstream: string, kind: PinnedKind, name: string): string {
  return `fedmcp tools approve ${upstream} ${name}${kind === 'prompt' ? ' --prompt' : ''}`;
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
  const { kv } = options;
  const newItems = options.newItems ?? 'trust';
  const onQuarantined = options.onQuarantined ?? 'hide';
  const pollIntervalMs = options.pollIntervalMs ?? 2000;
  const keyPrefix = options.keyPrefix ?? 'pins:';
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const iso = () => new Date(now()).toISOString();
  const versionKey = `${keyPrefix}version`;
  const itemPath = (upstream: string, kind: PinnedKind, name: string) =>
    `${upstream}/${kind}/${encodeURIComponent(name)}`;
  const pinKey = (upstream: string, kind: PinnedKind, name: string) =>
    `${keyPrefix}pin/${itemPath(upstream, kind, name)}`;
  const pendingKey = (upstream: string, kind: PinnedKind, name: string) =>
    `${keyPrefix}pending/${itemPath(upstream, kind, name)}`;

  // The pin file, with each definition canonicalised and its digest checked once.
  const filePins = new Map<string, PinRecord>();
  const ready = (async () => {
    for (const [upstream, pins] of Object.entries(options.pinFile?.upstreams ?? {})) {
      for (const kind of KINDS) {
        for (const [name, entry] of Object.entries(
          (pins as UpstreamPins)[listKey(kind)] ?? {},
        ) as Array<[string, PinEntry]>) {
          const record: PinRecord = {
            digest: entry.digest,
            pinnedAt: entry.pinnedAt,
            source: 'pin-file',
          };
          if (entry.definition) {
            const digested = await digestDefinition(kind, entry.definition);
            if (digested.digest !== entry.digest) {
              throw new FedmcpError(
                'INVALID_CONFIG',
                `The pin file entry upstreams.${upstream}.${listKey(kind)}.${name} has a digest that does not match its definition (${digested.digest}); export the pins again instead of editing definitions by hand.`,
                { data: { upstream, kind, name } },
              );
            }
            record.definition = digested.definition;
          }
          filePins.set(itemPath(upstream, kind, name), record);
        }
      }
    }
  })();
  ready.catch(() => {}); // surfaced by review(); no unhandled rejection when nobody reviews

  async function scan(prefix: string): Promise<KeyValueEntry[]> {
    const entries: KeyValueEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = await kv.list({
        prefix,
        limit: 500,
        ...(cursor === undefined ? {} : { cursor }),
      });
      entries.push(...page.entries);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return entries;
  }

  /** Parses `<prefix><kind>/<upstream>/<kind>/<name>` keys. */
  function parseKey(key: string, area: 'pin/' | 'pending/') {
    const [upstream, kind, ...rest] = key.slice(keyPrefix.length + area.length).split('/');
    if (!upstream || (kind !== 'tool' && kind !== 'prompt') || rest.length === 0) return undefined;
    try {
      return { upstream, kind: kind as PinnedKind, name: decodeURIComponent(rest.join('/')) };
    } catch {
      return undefined;
    }
  }

  async function storedPin(upstream: string, kind: PinnedKind, name: string) {
    const stored = parseJson<Omit<PinRecord, 'source'>>(await kv.get(pinKey(upstream, kind, name)));
    return stored ? ({ ...stored, source: 'store' } as PinRecord) : undefined;
  }

  async function effectivePin(upstream: string, kind: PinnedKind, name: string) {
    return newer(
      await storedPin(upstream, kind, name),
      filePins.get(itemPath(upstream, kind, name)),
    );
  }

  async function record(
    outcome: 'quarantined' | 'approved' | 'pinned',
    upstream: string,
    kind: PinnedKind,
    name: string,
    reason: string,
    details: Record<string, unknown>,
  ) {
    await options.audit?.record({
      type: 'pin',
      outcome,
      action: outcome === 'approved' ? 'pin/approve' : `${listKey(kind)}/list`,
      target: name,
      upstream,
      reason,
      details: { kind, ...details },
    });
  }

  /** Stores a pending change unless the same definition is already pending (audited once). */
  async function holdBack(
    upstream: string,
    kind: PinnedKind,
    name: string,
    pending: PendingRecord,
  ): Promise<PendingRecord> {
    const key = pendingKey(upstream, kind, name);
    for (let attempt = 0; attempt < 5; attempt++) {
      const entry = await kv.get(key);
      const current = parseJson<PendingRecord>(entry);
      if (current?.digest === pending.digest) return current;
      const written = await kv.compareAndSet(key, JSON.stringify(pending), {
        expectedVersion: entry?.version ?? null,
      });
      if (written.ok) {
        await record('quarantined', upstream, kind, name, pending.reason, {
          changed: pending.changed,
          digest: pending.digest,
        });
        return pending;
      }
    }
    return pending; // another replica keeps writing it: it records the event
  }

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

  async function reviewItem<T extends Tool | Prompt>(
    upstream: string,
    kind: PinnedKind,
    item: T,
    held: Map<string, KeyValueEntry>,
  ): Promise<{ item?: T; quarantined?: QuarantinedItem }> {
    const heldKey = pendingKey(upstream, kind, item.name);
    const heldEntry = held.get(heldKey);
    held.delete(heldKey); // what is left afterwards is no longer presented
    const presented = await digestDefinition(kind, item);
    let pinned = await effectivePin(upstream, kind, item.name);
    if (!pinned && newItems === 'trust') {
      const pin = { digest: presented.digest, pinnedAt: iso(), definition: presented.definition };
      const created = await kv.compareAndSet(
        pinKey(upstream, kind, item.name),
        JSON.stringify(pin),
        { expectedVersion: null },
      );
      if (created.ok) {
        await record('pinned', upstream, kind, item.name, 'first sight, trusted', {
          digest: presented.digest,
        });
        return { item };
      }
      pinned = await effectivePin(upstream, kind, item.name); // another replica pinned it first
    }
    if (pinned?.digest === presented.digest) {
      // Unchanged (an upstream restart), or changed back: nothing is held.
      if (heldEntry) await kv.delete(heldKey, { expectedVersion: heldEntry.version });
      return { item };
    }
    const changed = pinned?.definition
      ? changedFields(kind, pinned.definition, presented.definition)
      : [];
    const reason = pinned ? reasonFor(changed) : NEW_ITEM_REASON;
    const pending = await holdBack(upstream, kind, item.name, {
      digest: presented.digest,
      definition: presented.definition,
      detectedAt: iso(),
      reason,
      changed,
    });
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

  // onChange: local listeners, fed by approvals here and by polling the version counter.
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let lastVersion: string | undefined;
  let polling = false;
  let closed = false;

  function emit() {
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch (error) {
        logger.error({ err: error }, 'A pinning change listener threw');
      }
    }
  }

  async function poll() {
    if (polling || closed) return;
    polling = true;
    try {
      const value = (await kv.get(versionKey))?.value ?? '0';
      if (lastVersion !== undefined && value !== lastVersion) {
        lastVersion = value;
        emit();
      }
      lastVersion = value;
    } catch (error) {
      logger.warn({ err: error }, 'Could not check the store for pin approvals');
    } finally {
      polling = false;
    }
  }

  function startPolling() {
    if (timer || pollIntervalMs <= 0 || closed) return;
    void poll(); // learns the current version
    timer = setInterval(() => void poll(), pollIntervalMs);
    (timer as { unref?: () => void }).unref?.();
  }

  function stopPolling() {
    if (timer) clearInterval(timer);
    timer = undefined;
  }

  async function pendingChanges(upstream?: string): Promise<PendingChange[]> {
    await ready;
    const prefix = `${keyPrefix}pending/${upstream === undefined ? '' : `${upstream}/`}`;
    const changes: PendingChange[] = [];
    for (const entry of await scan(prefix)) {
      const item = parseKey(entry.key, 'pending/');
      const pending = parseJson<PendingRecord>(entry);
      if (!item || !pending) continue;
      const before = await effectivePin(item.upstream, item.kind, item.name);
      changes.push({
        ...item,
        reason: pending.reason,
        changed: pending.changed,
        detectedAt: pending.detectedAt,
        ...(before ? { before } : {}),
        after: { digest: pending.digest, definition: pending.definition },
      });
    }
    return changes;
  }

  return {
    async review(upstream, lists) {
      await ready;
      // The version this review reflects: approvals counted after it are news for onChange.
      if (lastVersion === undefined) lastVersion = (await kv.get(versionKey))?.value ?? '0';
      const held = new Map(
        (await scan(`${keyPrefix}pending/${upstream}/`)).map((entry) => [entry.key, entry]),
      );
      const tools = await Promise.all(
        lists.tools.map((tool) => reviewItem(upstream, 'tool', tool, held)),
      );
      const prompts = await Promise.all(
        lists.prompts.map((prompt) => reviewItem(upstream, 'prompt', prompt, held)),
      );
      // Pending changes of items the upstream no longer presents are moot.
      for (const entry of held.values()) {
        await kv.delete(entry.key, { expectedVersion: entry.version });
      }
      const quarantined = [...tools, ...prompts].flatMap((result) =>
        result.quarantined ? [result.quarantined] : [],
      );
      return {
        tools: tools.flatMap((result) => (result.item ? [result.item] : [])),
        prompts: prompts.flatMap((result) => (result.item ? [result.item] : [])),
        quarantined,
      };
    },

    onChange(listener) {
      listeners.add(listener);
      startPolling();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) stopPolling();
      };
    },

    pending: pendingChanges,

    async diff(upstream, kind, name) {
      checkItem(upstream, kind, name);
      const change = (await pendingChanges(upstream)).find(
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
      const candidates = (await pendingChanges(upstream)).filter(
        (change) => change.kind === kind && (name === '*' || change.name === name),
      );
      const approved: ApprovedItem[] = [];
      for (const change of candidates) {
        if (approveOptions.digest !== undefined && change.after.digest !== approveOptions.digest) {
          continue;
        }
        const pinnedAt = iso();
        const pin = {
          digest: change.after.digest,
          pinnedAt,
          definition: change.after.definition,
          ...(approveOptions.by === undefined ? {} : { approvedBy: approveOptions.by }),
        };
        await kv.set(pinKey(upstream, kind, change.name), JSON.stringify(pin));
        // Only the pending change that was approved goes; a newer one stays held.
        const key = pendingKey(upstream, kind, change.name);
        const entry = await kv.get(key);
        if (entry && parseJson<PendingRecord>(entry)?.digest === change.after.digest) {
          await kv.delete(key, { expectedVersion: entry.version });
        }
        approved.push({ upstream, kind, name: change.name, digest: change.after.digest, pinnedAt });
        await record('approved', upstream, kind, change.name, change.reason, {
          changed: change.changed,
          digest: change.after.digest,
          ...(change.before ? { previousDigest: change.before.digest } : {}),
          ...(approveOptions.by === undefined ? {} : { approvedBy: approveOptions.by }),
        });
      }
      if (approved.length > 0) {
        // After the pins are written, so whoever sees the new version also sees the pins.
        lastVersion = String(await kv.increment(versionKey));
        emit();
      }
      return approved;
    },

    async exportPins() {
      await ready;
      const pins = new Map<string, PinRecord>(filePins);
      for (const entry of await scan(`${keyPrefix}pin/`)) {
        const item = parseKey(entry.key, 'pin/');
        const stored = parseJson<Omit<PinRecord, 'source'>>(entry);
        if (!item || !stored) continue;
        const path = itemPath(item.upstream, item.kind, item.name);
        pins.set(path, newer({ ...stored, source: 'store' }, pins.get(path)) as PinRecord);
      }
      const upstreams: Record<string, UpstreamPins> = {};
      for (const [path, pin] of [...pins].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const item = parseKey(`${keyPrefix}pin/${path}`, 'pin/');
        if (!item) continue;
        const forUpstream = upstreams[item.upstream] ?? {};
        upstreams[item.upstream] = forUpstream;
        const entries = forUpstream[listKey(item.kind)] ?? {};
        forUpstream[listKey(item.kind)] = entries;
        entries[item.name] = {
          digest: pin.digest,
          pinnedAt: pin.pinnedAt,
          ...(pin.definition ? { definition: pin.definition } : {}),
        };
      }
      return { version: 1, exportedAt: iso(), upstreams };
    },

    async close() {
      closed = true;
      stopPolling();
      listeners.clear();
    },
  };
}
