/**
 * The pins that count: for each item, the newer (by `pinnedAt`) of the store's pin and the pin
 * file's entry, so an approval made after the file was written is kept, and a newer file overrides
 * older approvals.
 */
import type { PinRecord, PinStore } from './create-pin-store.js';
import type { PinnedKind } from './definition-digest.js';
import { itemPath, listKey, parseItemPath } from './item-path.js';
import type { PinFile, UpstreamPins } from './pin-file.js';
import { seedFilePins } from './seed-file-pins.js';

/** Options of {@link createEffectivePins}. */
export interface EffectivePinsOptions {
  store: PinStore;
  /** Approved pins loaded from a pin file. @default none */
  pinFile?: PinFile;
  /** The current time as ISO 8601, for `exportedAt`. */
  iso: () => string;
}

/** The pins of {@link createEffectivePins}. */
export interface EffectivePins {
  /**
   * Settles once the pin file is read; call it before {@link EffectivePins.pin}.
   * @throws {FedmcpError} `INVALID_CONFIG` when a pin file entry's digest does not match its
   *   definition.
   */
  ready(): Promise<void>;
  /** The pin that counts for an item, if any. */
  pin(upstream: string, kind: PinnedKind, name: string): Promise<PinRecord | undefined>;
  /** Every pin that counts, as a pin file, sorted by item. */
  exportPins(): Promise<PinFile>;
}

/** The newer of two pins; the first on a tie. */
function newer(a: PinRecord | undefined, b: PinRecord | undefined): PinRecord | undefined {
  if (!a) return b;
  if (!b) return a;
  return Date.parse(b.pinnedAt) > Date.parse(a.pinnedAt) ? b : a;
}

/** Creates the merged view of the store's pins and the pin file's; starts reading the file now. */
export function createEffectivePins(options: EffectivePinsOptions): EffectivePins {
  const { store } = options;
  let filePins = new Map<string, PinRecord>();
  const ready = seedFilePins(options.pinFile).then((seeded) => {
    filePins = seeded;
  });
  ready.catch(() => {}); // surfaced by ready(); no unhandled rejection when nobody asks

  return {
    ready: () => ready,

    async pin(upstream, kind, name) {
      return newer(
        await store.storedPin(upstream, kind, name),
        filePins.get(itemPath(upstream, kind, name)),
      );
    },

    async exportPins() {
      await ready;
      const pins = new Map<string, PinRecord>(filePins);
      for (const { item, pin } of await store.storedPins()) {
        const path = itemPath(item.upstream, item.kind, item.name);
        pins.set(path, newer({ ...pin, source: 'store' }, pins.get(path)) as PinRecord);
      }
      const upstreams: Record<string, UpstreamPins> = {};
      for (const [path, pin] of [...pins].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const item = parseItemPath(path);
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
      return { version: 1, exportedAt: options.iso(), upstreams };
    },
  };
}
