/**
 * Stream ids shaped like Redis stream ids, `<ms>-<sequence>`, used by every engine so that ids,
 * ordering and age-based trimming mean the same everywhere.
 */
import { StoreError } from './store-error.js';

export interface StreamIdParts {
  ms: number;
  sequence: number;
}

/** Parses `<ms>-<sequence>` (a bare `<ms>` means sequence 0). */
export function parseStreamId(id: string): StreamIdParts {
  const match = /^(\d+)(?:-(\d+))?$/.exec(id);
  if (!match) {
    throw new StoreError(
      'STORE_INVALID_ARGUMENT',
      `"${id}" is not a stream id; use an id returned by append().`,
    );
  }
  return { ms: Number(match[1]), sequence: Number(match[2] ?? 0) };
}

export function formatStreamId(parts: StreamIdParts): string {
  return `${parts.ms}-${parts.sequence}`;
}

/** Negative, zero or positive like a sort comparator. */
export function compareStreamIds(a: StreamIdParts, b: StreamIdParts): number {
  return a.ms === b.ms ? a.sequence - b.sequence : a.ms - b.ms;
}

/** The next id after `last`, given the clock: strictly greater even if the clock went back. */
export function nextStreamId(last: StreamIdParts | undefined, now: number): StreamIdParts {
  if (!last || now > last.ms) return { ms: now, sequence: 0 };
  return { ms: last.ms, sequence: last.sequence + 1 };
}
