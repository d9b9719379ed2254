/**
 * Seeding from a pin file: its entries as pin records, each definition canonicalised and its
 * digest checked once, so that a hand-edited definition cannot pass as approved.
 */
import { FedmcpError } from '@fedmcp/protocol';
import type { PinRecord } from './create-pin-store.js';
import { digestDefinition } from './definition-digest.js';
import { itemPath, listKey, PINNED_KINDS } from './item-path.js';
import type { PinEntry, PinFile, UpstreamPins } from './pin-file.js';

/**
 * Reads a pin file's entries into pin records (`source: 'pin-file'`) by {@link itemPath}.
 * @throws {FedmcpError} `INVALID_CONFIG` when an entry's digest does not match its definition.
 */
export async function seedFilePins(pinFile: PinFile | undefined): Promise<Map<string, PinRecord>> {
  const filePins = new Map<string, PinRecord>();
  for (const [upstream, pins] of Object.entries(pinFile?.upstreams ?? {})) {
    for (const kind of PINNED_KINDS) {
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
  return filePins;
}
