import { hubError } from './errors.js';

/** One page of a merged list and the hub-issued cursor of the next one. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * Pages a merged list with hub-issued cursors (opaque to clients, MCP 2025-11-25
 * server/utilities/pagination). An unknown or malformed cursor gets JSON-RPC -32602.
 */
export function paginate<T>(items: T[], kind: string, cursor: unknown, pageSize: number): Page<T> {
  let offset = 0;
  if (cursor !== undefined) {
    const match = typeof cursor === 'string' ? /^([a-z]+)\.(\d+)$/.exec(decode(cursor)) : null;
    if (!match || match[1] !== kind) {
      throw hubError(
        'INVALID_PARAMS',
        `Invalid cursor for ${kind}/list; list again without a cursor.`,
      );
    }
    offset = Number(match[2]);
  }
  const end = offset + pageSize;
  const page: Page<T> = { items: items.slice(offset, end) };
  if (end < items.length) page.nextCursor = encode(`${kind}.${end}`);
  return page;
}

function encode(text: string): string {
  return btoa(text).replaceAll('=', '');
}

function decode(text: string): string {
  try {
    return atob(text);
  } catch {
    return '';
  }
}
