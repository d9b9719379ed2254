/**
 * The catalog guard's reviews of upstream lists (definition pinning): what each upstream may
 * expose, decided in the background for every fresh list and again when the guard changes (a pin
 * approval). Until a review lands the last verdicts stay exposed (nothing before the first one),
 * and calls wait for it, so nothing unreviewed is ever exposed or called, and neither a refresh
 * nor an approval blinks an upstream's tools away.
 */
import type { Logger } from '@fedmcp/protocol';
import type { UpstreamLists } from '../catalog.js';
import type { CatalogGuard, CatalogReview } from '../catalog-guard.js';
import { hubError } from '../errors.js';
import type { Upstream } from '../upstream.js';

/** How long a call waits for the catalog guard's review of its upstream's lists. */
const REVIEW_WAIT_MS = 10_000;
/** When a failed catalog guard review is tried again. */
const REVIEW_RETRY_MS = 5_000;

const NOTHING: UpstreamLists = { tools: [], prompts: [], quarantined: [] };

/** Options of {@link CatalogReviews}. */
export interface CatalogReviewsOptions {
  guard: CatalogGuard;
  logger: Logger;
  /** A review landed or the guard changed: the catalog must be rebuilt. */
  onChange(): void;
}

/** The reviews of a catalog guard; see the file comment. */
export class CatalogReviews {
  readonly #options: CatalogReviewsOptions;
  /** Verdicts per upstream, for the raw lists and the guard generation they were made on. */
  readonly #reviews = new Map<
    string,
    { tools: unknown; prompts: unknown; generation: number; review: CatalogReview }
  >();
  readonly #reviewing = new Map<string, Promise<void>>();
  /** Bumped by every guard change; a review from an older generation is not kept. */
  #generation = 0;
  #closed = false;
  readonly #stopGuard: (() => void) | undefined;

  constructor(options: CatalogReviewsOptions) {
    this.#options = options;
    this.#stopGuard = options.guard.onChange?.(() => {
      // Verdicts made before the change, and reviews in flight, are out of date: every upstream
      // is reviewed again (the rebuild starts it), its last verdicts exposed meanwhile.
      this.#generation += 1;
      options.onChange();
    });
  }

  /** An upstream's lists as the guard let them through (starting a review of fresh lists). */
  listsOf(upstream: Upstream): UpstreamLists {
    const reviewed = this.#reviews.get(upstream.id);
    if (
      reviewed &&
      reviewed.tools === upstream.tools &&
      reviewed.prompts === upstream.prompts &&
      reviewed.generation === this.#generation
    ) {
      return reviewed.review;
    }
    // One from before a guard change still in flight is dropped when it lands, and its end
    // rebuilds the catalog, which starts this generation's.
    if (!this.#reviewing.has(upstream.id)) this.#review(upstream);
    return reviewed?.review ?? NOTHING;
  }

  #review(upstream: Upstream): void {
    const { tools, prompts } = upstream;
    const generation = this.#generation;
    const review = this.#options.guard
      .review(upstream.id, { tools, prompts })
      .then(
        (result) => {
          if (generation === this.#generation) {
            this.#reviews.set(upstream.id, { tools, prompts, generation, review: result });
          }
        },
        (error: unknown) => {
          // A guard that cannot decide holds everything back (fail closed), says why, and tries
          // again a little later.
          this.#options.logger.error(
            { upstream: upstream.id, error },
            'catalog guard review failed',
          );
          this.#reviews.set(upstream.id, { tools, prompts, generation, review: NOTHING });
          const retry = setTimeout(() => {
            if (this.#reviews.get(upstream.id)?.tools !== tools || this.#closed) return;
            this.#reviews.delete(upstream.id);
            this.#options.onChange();
          }, REVIEW_RETRY_MS);
          (retry as { unref?: () => void }).unref?.();
        },
      )
      .finally(() => {
        this.#reviewing.delete(upstream.id);
        if (!this.#closed) this.#options.onChange();
      });
    this.#reviewing.set(upstream.id, review);
  }

  /** Resolves once every review in flight has been applied. */
  async settled(): Promise<void> {
    while (this.#reviewing.size > 0) await Promise.all(this.#reviewing.values());
  }

  /** Whether any review is in flight. */
  get inFlight(): boolean {
    return this.#reviewing.size > 0;
  }

  /** Whether a review of this upstream's lists is in flight. */
  pending(upstreamId: string): boolean {
    return this.#reviewing.has(upstreamId);
  }

  /**
   * Waits for the review of one upstream's lists, if one is in flight, so a call is decided on
   * the verdict of the lists it is routed by.
   * @throws FedmcpError UPSTREAM_UNAVAILABLE when the review takes longer than 10 s; the abort
   * reason of `signal` when the caller gives up.
   */
  async settle(upstreamId: string, signal?: AbortSignal): Promise<void> {
    const deadline = Date.now() + REVIEW_WAIT_MS;
    for (
      let pending = this.#reviewing.get(upstreamId);
      pending;
      pending = this.#reviewing.get(upstreamId)
    ) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw hubError(
          'UPSTREAM_UNAVAILABLE',
          `The tool list of upstream "${upstreamId}" is still being reviewed; retry shortly.`,
          { upstream: upstreamId },
        );
      }
      await waitFor(pending, left, signal);
    }
  }

  /** Stops listening to the guard. */
  close(): void {
    this.#closed = true;
    this.#stopGuard?.();
  }
}

/** Resolves when `pending` settles or `ms` pass; rejects with the signal's reason on abort. */
function waitFor(pending: Promise<void>, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    void pending.finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
