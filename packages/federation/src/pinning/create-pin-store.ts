/**
 * The pinning state in the store's key/value space, shared by every replica and the CLI:
 * `<prefix>pin/<item>` (the approved definition), `<prefix>pending/<item>` (a change held back)
 * and `<prefix>version` (a counter bumped after approvals). Only this module knows the keys.
 */
import type { KeyValueEntry, KeyValueStore } from '@fedmcp/store';
import type { CanonicalDefinition, PinnedKind } from './definition-digest.js';
import { itemPath, type PinnedItem, parseItemPath } from './item-path.js';

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

/** A pin as the store keeps it (its source is the store). */
export type StoredPin = Omit<PinRecord, 'source'>;

/** A definition held back, as the store keeps it. */
export interface PendingRecord {
  digest: string;
  definition: CanonicalDefinition;
  detectedAt: string;
  reason: string;
  changed: string[];
}

/** Options of {@link createPinStore}. */
export interface PinStoreOptions {
  kv: KeyValueStore;
  /** Prefix of the store keys. */
  keyPrefix: string;
}

/** The pins, pending changes and version counter of {@link createPinStore}. */
export interface PinStore {
  /** The store's pin of an item, if any. */
  storedPin(upstream: string, kind: PinnedKind, name: string): Promise<PinRecord | undefined>;
  /** Pins an item only if it has no pin yet; `false` when another writer pinned it first. */
  createPin(upstream: string, kind: PinnedKind, name: string, pin: StoredPin): Promise<boolean>;
  /** Pins an item, replacing its pin. */
  setPin(upstream: string, kind: PinnedKind, name: string, pin: StoredPin): Promise<void>;
  /** Every pin the store holds (damaged entries left out), with the item it pins. */
  storedPins(): Promise<Array<{ item: PinnedItem; pin: StoredPin }>>;
  /** The raw pending entries of one upstream, by {@link itemPath}, for a conditional delete. */
  heldEntries(upstream: string): Promise<Map<string, KeyValueEntry>>;
  /** Deletes an entry from {@link heldEntries} unless it was rewritten since. */
  discard(entry: KeyValueEntry): Promise<void>;
  /**
   * Stores a pending change unless the same definition is already pending. Resolves with what is
   * pending, and whether this call wrote it (so that the event is recorded once).
   */
  holdBack(
    upstream: string,
    kind: PinnedKind,
    name: string,
    pending: PendingRecord,
  ): Promise<{ pending: PendingRecord; written: boolean }>;
  /** Every pending change (damaged entries left out); of one upstream, or of all. */
  pendingChanges(upstream?: string): Promise<Array<{ item: PinnedItem; pending: PendingRecord }>>;
  /** Deletes an item's pending change if it still has this digest (a newer one stays). */
  dropPending(upstream: string, kind: PinnedKind, name: string, digest: string): Promise<void>;
  /** The approval counter; `'0'` before the first approval. */
  version(): Promise<string>;
  /** Bumps the approval counter and resolves with its new value. */
  bumpVersion(): Promise<string>;
}

function parseJson<T>(entry: KeyValueEntry | undefined): T | undefined {
  if (!entry) return undefined;
  try {
    return JSON.parse(entry.value) as T;
  } catch {
    return undefined; // a damaged entry counts as absent
  }
}

/** Creates the pin store over `kv`: the only module that reads or writes pinning keys. */
export function createPinStore(options: PinStoreOptions): PinStore {
  const { kv, keyPrefix } = options;
  const versionKey = `${keyPrefix}version`;
  const pinKey = (upstream: string, kind: PinnedKind, name: string) =>
    `${keyPrefix}pin/${itemPath(upstream, kind, name)}`;
  const pendingKey = (upstream: string, kind: PinnedKind, name: string) =>
    `${keyPrefix}pending/${itemPath(upstream, kind, name)}`;

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

  /** Parses `<prefix><area><upstream>/<kind>/<name>` keys. */
  function parseKey(key: string, area: 'pin/' | 'pending/') {
    return parseItemPath(key.slice(keyPrefix.length + area.length));
  }

  return {
    async storedPin(upstream, kind, name) {
      const stored = parseJson<StoredPin>(await kv.get(pinKey(upstream, kind, name)));
      return stored ? ({ ...stored, source: 'store' } as PinRecord) : undefined;
    },

    async createPin(upstream, kind, name, pin) {
      const created = await kv.compareAndSet(pinKey(upstream, kind, name), JSON.stringify(pin), {
        expectedVersion: null,
      });
      return created.ok;
    },

    async setPin(upstream, kind, name, pin) {
      await kv.set(pinKey(upstream, kind, name), JSON.stringify(pin));
    },

    async storedPins() {
      const pins: Array<{ item: PinnedItem; pin: StoredPin }> = [];
      for (const entry of await scan(`${keyPrefix}pin/`)) {
        const item = parseKey(entry.key, 'pin/');
        const pin = parseJson<StoredPin>(entry);
        if (item && pin) pins.push({ item, pin });
      }
      return pins;
    },

    async heldEntries(upstream) {
      const area = `${keyPrefix}pending/`;
      return new Map(
        (await scan(`${area}${upstream}/`)).map((entry) => [entry.key.slice(area.length), entry]),
      );
    },

    async discard(entry) {
      await kv.delete(entry.key, { expectedVersion: entry.version });
    },

    async holdBack(upstream, kind, name, pending) {
      const key = pendingKey(upstream, kind, name);
      for (let attempt = 0; attempt < 5; attempt++) {
        const entry = await kv.get(key);
        const current = parseJson<PendingRecord>(entry);
        if (current?.digest === pending.digest) return { pending: current, written: false };
        const written = await kv.compareAndSet(key, JSON.stringify(pending), {
          expectedVersion: entry?.version ?? null,
        });
        if (written.ok) return { pending, written: true };
      }
      return { pending, written: false }; // another replica keeps writing it: it records the event
    },

    async pendingChanges(upstream) {
      const prefix = `${keyPrefix}pending/${upstream === undefined ? '' : `${upstream}/`}`;
      const changes: Array<{ item: PinnedItem; pending: PendingRecord }> = [];
      for (const entry of await scan(prefix)) {
        const item = parseKey(entry.key, 'pending/');
        const pending = parseJson<PendingRecord>(entry);
        if (item && pending) changes.push({ item, pending });
      }
      return changes;
    },

    async dropPending(upstream, kind, name, digest) {
      const key = pendingKey(upstream, kind, name);
      const entry = await kv.get(key);
      if (entry && parseJson<PendingRecord>(entry)?.digest === digest) {
        await kv.delete(key, { expectedVersion: entry.version });
      }
    },

    async version() {
      return (await kv.get(versionKey))?.value ?? '0';
    },

    async bumpVersion() {
      return String(await kv.increment(versionKey));
    },
  };
}
