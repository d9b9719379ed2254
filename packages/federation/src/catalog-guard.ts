/**
 * A catalog guard reviews every upstream's tools and prompts before the hub exposes them: what it
 * holds back (a tool whose definition changed after it was trusted, a new tool awaiting an
 * operator's approval) is hidden from lists and its calls are refused with the guard's reason.
 * `createToolPinning` (definition pinning) is the guard fedmcp ships.
 */
import type { Prompt, Tool } from '@modelcontextprotocol/server';

/** The lists of one upstream a guard reviews. */
export interface GuardedLists {
  tools: Tool[];
  prompts: Prompt[];
}

/** An item a guard holds back. */
export interface QuarantinedItem {
  kind: 'tool' | 'prompt';
  /** The upstream's own name of the item. */
  name: string;
  /** What happened, shown to callers of the item: `'description changed'`, `'new, awaiting approval'`. */
  reason: string;
  /** Details for operators and the call error's `data` (changed fields). */
  data?: Record<string, unknown>;
}

/** The outcome of {@link CatalogGuard.review}: what may be exposed and what is held back. */
export interface CatalogReview extends GuardedLists {
  quarantined: QuarantinedItem[];
}

/** Reviews upstream lists before the hub exposes them. */
export interface CatalogGuard {
  /** Reviews an upstream's fresh lists (called each time they are fetched). */
  review(upstream: string, lists: GuardedLists): Promise<CatalogReview>;
  /** Subscribes to verdict changes (an approval): the hub re-reviews every upstream. */
  onChange?(listener: () => void): () => void;
}
