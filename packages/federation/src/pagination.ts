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

/** The cache key of a page within its list. */
function pageKey(variant: string, pageSize: number, cursor: string | undefined): string {
  // The first page ('F') never shares a key with a cursor ('C…'), whatever the cursor says.
  return `${variant}\u0000${pageSize}\u0000${cursor === undefined ? 'F' : `C${cursor}`}`;
}

/** The most pages (cursor × variant) kept per list; past it they are built anew. */
const MAX_VARIANTS_PER_LIST = 64;

/**
 * The answers of list requests, built once per list and kept with it: keyed by the list array
 * (a WeakMap, so a list replaced by a catalog rebuild or a new view takes its pages with it), then
 * by the variant (what else shapes the items, e.g. the client's task support), the page size and
 * the cursor. {@link ListPages.page} gives each request its own result object around the shared
 * page of items; {@link ListPages.shared} gives the kept object itself, so what is derived from a
 * page (its serialised bytes) can be kept with it and goes when the page goes.
 */
export class ListPages {
  readonly #byList = new WeakMap<object, Map<string, Readonly<Record<string, unknown>>>>();

  /**
   * The result of a list request: `{ [field]: items, nextCursor? }`, from the cache or built from
   * `items()` (called only on a miss; it must depend on nothing but `list` and `variant`).
   * @throws {FedmcpError} `INVALID_PARAMS` (JSON-RPC -32602) for a cursor the hub did not issue.
   */
  page(
    list: object,
    variant: string,
    kind: string,
    field: string,
    cursor: unknown,
    pageSize: number,
    items: () => unknown[],
  ): Record<string, unknown> {
    return { ...this.shared(list, variant, kind, field, cursor, pageSize, items) };
  }

  /**
   * As {@link ListPages.page}, but the kept result itself: the same object for every request of
   * this page until the list is replaced (or the list's pages are dropped past
   * `MAX_VARIANTS_PER_LIST`). Read it, never write it.
   * @throws {FedmcpError} `INVALID_PARAMS` (JSON-RPC -32602) for a cursor the hub did not issue.
   */
  shared(
    list: object,
    variant: string,
    kind: string,
    field: string,
    cursor: unknown,
    pageSize: number,
    items: () => unknown[],
  ): Readonly<Record<string, unknown>> {
    let variants = this.#byList.get(list);
    // Only cursors the hub could have issued are looked up; anything else goes to `paginate`,
    // which refuses it.
    const cached =
      cursor === undefined || typeof cursor === 'string'
        ? variants?.get(pageKey(variant, pageSize, cursor))
        : undefined;
    if (cached) return cached;
    const page = paginate(items(), kind, cursor, pageSize);
    const result: Record<string, unknown> = {
      [field]: page.items,
      ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
    };
    if (!variants) {
      variants = new Map();
      this.#byList.set(list, variants);
    }
    if (variants.size >= MAX_VARIANTS_PER_LIST) variants.clear();
    variants.set(pageKey(variant, pageSize, cursor as string | undefined), result);
    return result;
  }
}
