/** Streams and consumer groups of the memory engine. */
import { checkCount, checkDuration, checkTrim, checkWait } from './check-arguments.js';
import type {
  DeadLetterOrigin,
  DeliveredMessage,
  PendingMessage,
  StreamEntry,
  StreamStore,
} from './store.js';
import { StoreError } from './store-error.js';
import {
  compareStreamIds,
  formatStreamId,
  nextStreamId,
  parseStreamId,
  type StreamIdParts,
} from './stream-id.js';

interface StoredEntry {
  parts: StreamIdParts;
  entry: StreamEntry;
}

interface PendingRecord {
  parts: StreamIdParts;
  consumer: string;
  deliveryCount: number;
  deliveredAt: number;
}

interface MemoryGroup {
  lastDelivered: StreamIdParts;
  pending: Map<string, PendingRecord>;
}

interface MemoryStream {
  entries: StoredEntry[];
  last?: StreamIdParts;
  groups: Map<string, MemoryGroup>;
}

export interface MemoryStreamsContext {
  now: () => number;
  prefix: string;
  guard: () => void;
  defaultDeadLetterStream: (stream: string) => string;
}

const beforeEverything: StreamIdParts = { ms: -1, sequence: 0 };

/** Builds the {@link StreamStore} of a memory store; `wakeAll` releases blocked reads on close. */
export function createMemoryStreams(context: MemoryStreamsContext): {
  streams: StreamStore;
  wakeAll: () => void;
} {
  const { now, prefix, guard } = context;
  const streams = new Map<string, MemoryStream>();
  const streamOf = (name: string): MemoryStream => {
    let stream = streams.get(prefix + name);
    if (!stream) {
      stream = { entries: [], groups: new Map() };
      streams.set(prefix + name, stream);
    }
    return stream;
  };
  const groupOf = (name: string, group: string): MemoryGroup => {
    const found = streams.get(prefix + name)?.groups.get(group);
    if (!found) {
      throw new StoreError(
        'STORE_NO_GROUP',
        `No consumer group "${group}" on stream "${name}"; call createGroup() first.`,
      );
    }
    return found;
  };
  // Index of the first entry whose id is greater than `after` (binary search; entries are sorted).
  const firstAfter = (entries: StoredEntry[], after: StreamIdParts): number => {
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareStreamIds(entries[middle]!.parts, after) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  };
  const find = (stream: MemoryStream, parts: StreamIdParts): StoredEntry | undefined => {
    const index = firstAfter(stream.entries, { ms: parts.ms, sequence: parts.sequence - 1 });
    const candidate = stream.entries[index];
    return candidate && compareStreamIds(candidate.parts, parts) === 0 ? candidate : undefined;
  };
  // Blocked readGroup calls wait here; every append wakes them to look again.
  const appendWaiters = new Set<() => void>();
  const waitForAppend = (timeoutMs: number): Promise<void> =>
    new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        appendWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      appendWaiters.add(wake);
    });
  const appendEntry = (name: string, data: string, deadLetter?: DeadLetterOrigin): string => {
    const stream = streamOf(name);
    const parts = nextStreamId(stream.last, now());
    stream.last = parts;
    const id = formatStreamId(parts);
    const entry: StreamEntry = { id, data, timestamp: parts.ms };
    if (deadLetter) entry.deadLetter = deadLetter;
    stream.entries.push({ parts, entry });
    for (const wake of [...appendWaiters]) wake();
    return id;
  };

  const wakeAll = (): void => {
    for (const wake of [...appendWaiters]) wake();
  };
  const streamStore: StreamStore = {
    async append(name, data) {
      guard();
      return appendEntry(name, data);
    },
    async read(name, options = {}) {
      guard();
      const limit = checkCount('limit', options.limit, 100);
      const entries = streams.get(prefix + name)?.entries ?? [];
      const start =
        options.after === undefined ? 0 : firstAfter(entries, parseStreamId(options.after));
      return entries.slice(start, start + limit).map(({ entry }) => ({ ...entry }));
    },
    async length(name) {
      guard();
      return streams.get(prefix + name)?.entries.length ?? 0;
    },
    async trim(name, options) {
      guard();
      checkTrim(options);
      const stream = streams.get(prefix + name);
      if (!stream) return 0;
      let drop = 0;
      if (options.maxLength !== undefined) {
        drop = Math.max(0, stream.entries.length - Math.max(0, options.maxLength));
      }
      if (options.maxAgeMs !== undefined) {
        const oldest = { ms: now() - options.maxAgeMs, sequence: 0 };
        drop = Math.max(drop, firstAfter(stream.entries, { ms: oldest.ms, sequence: -1 }));
      }
      stream.entries.splice(0, drop);
      return drop;
    },
    async delete(name) {
      guard();
      return streams.delete(prefix + name);
    },
    async createGroup(name, group, options = {}) {
      guard();
      const stream = streamOf(name);
      if (stream.groups.has(group)) return;
      const lastDelivered =
        options.from === 'end' ? (stream.last ?? beforeEverything) : beforeEverything;
      stream.groups.set(group, { lastDelivered, pending: new Map() });
    },
    async readGroup(name, group, consumer, options = {}) {
      guard();
      const count = checkCount('count', options.count, 10);
      const deadline = Date.now() + checkWait('blockMs', options.blockMs);
      for (;;) {
        guard();
        const state = groupOf(name, group);
        const entries = streamOf(name).entries;
        const start = firstAfter(entries, state.lastDelivered);
        const delivered: DeliveredMessage[] = [];
        for (const { parts, entry } of entries.slice(start, start + count)) {
          state.lastDelivered = parts;
          state.pending.set(entry.id, { parts, consumer, deliveryCount: 1, deliveredAt: now() });
          delivered.push({ ...entry, deliveryCount: 1 });
        }
        const remaining = deadline - Date.now();
        if (delivered.length > 0 || remaining <= 0) return delivered;
        await waitForAppend(remaining);
      }
    },
    async ack(name, group, ids) {
      guard();
      const state = streams.get(prefix + name)?.groups.get(group);
      if (!state) return 0;
      let acknowledged = 0;
      for (const id of ids)
        if (state.pending.delete(formatStreamId(parseStreamId(id)))) acknowledged += 1;
      return acknowledged;
    },
    async claim(name, group, consumer, options) {
      guard();
      checkDuration('minIdleMs', options.minIdleMs);
      const count = checkCount('count', options.count, 10);
      const maxDeliveries = options.maxDeliveries ?? Number.POSITIVE_INFINITY;
      const deadLetterStream = options.deadLetterStream ?? context.defaultDeadLetterStream(name);
      const state = groupOf(name, group);
      const stream = streamOf(name);
      const messages: DeliveredMessage[] = [];
      const deadLettered: string[] = [];
      const time = now();
      const candidates = [...state.pending.entries()].sort(([, a], [, b]) =>
        compareStreamIds(a.parts, b.parts),
      );
      for (const [id, record] of candidates) {
        if (messages.length + deadLettered.length >= count) break;
        if (time - record.deliveredAt < options.minIdleMs) continue;
        const stored = find(stream, record.parts);
        if (!stored) {
          // Trimmed while pending: nothing left to deliver (Redis 7 XAUTOCLAIM does the same).
          state.pending.delete(id);
          continue;
        }
        if (record.deliveryCount >= maxDeliveries) {
          appendEntry(deadLetterStream, stored.entry.data, {
            stream: name,
            group,
            id,
            deliveryCount: record.deliveryCount,
          });
          state.pending.delete(id);
          deadLettered.push(id);
          continue;
        }
        record.consumer = consumer;
        record.deliveryCount += 1;
        record.deliveredAt = time;
        messages.push({ ...stored.entry, deliveryCount: record.deliveryCount });
      }
      return { messages, deadLettered };
    },
    async pending(name, group, options = {}) {
      guard();
      const limit = checkCount('limit', options.limit, 100);
      const state = groupOf(name, group);
      const time = now();
      return [...state.pending.entries()]
        .sort(([, a], [, b]) => compareStreamIds(a.parts, b.parts))
        .slice(0, limit)
        .map(
          ([id, record]): PendingMessage => ({
            id,
            consumer: record.consumer,
            deliveryCount: record.deliveryCount,
            idleMs: time - record.deliveredAt,
          }),
        );
    },
  };
  return { streams: streamStore, wakeAll };
}
