/**
 * The hub's merged catalog and its rebuilds: the `Catalog` of every available upstream's lists
 * (through the catalog guard's reviews, when there is a guard), rebuilt when an upstream's lists
 * or state change; each rebuild that changes a list tells `onListsChanged`.
 */
import type { Logger } from '@fedmcp/protocol';
import { Catalog } from '../catalog.js';
import type { CatalogGuard } from '../catalog-guard.js';
import { CatalogReviews } from './catalog-reviews.js';
import type { UpstreamSet } from './upstream-set.js';

/** A list kind whose change clients are told about. */
export type ListKind = 'tools' | 'prompts' | 'resources';

/** Options of {@link HubCatalog}. */
export interface HubCatalogOptions {
  upstreams: UpstreamSet;
  guard: CatalogGuard | undefined;
  logger: Logger;
  /** This hub's id (origin paths, re-import filtering); undefined = not federated. */
  hubId(): string | undefined;
  /** A rebuild changed these lists. */
  onListsChanged(kinds: Set<ListKind>): void;
}

/** The catalog service; see the file comment. */
export class HubCatalog {
  /** The current merged catalog (replaced sections on every rebuild; read it, never write it). */
  readonly current = new Catalog();
  readonly reviews: CatalogReviews | undefined;
  readonly #options: HubCatalogOptions;

  constructor(options: HubCatalogOptions) {
    this.#options = options;
    this.reviews = options.guard
      ? new CatalogReviews({
          guard: options.guard,
          logger: options.logger,
          onChange: () => this.rebuild(),
        })
      : undefined;
  }

  /** Rebuilds the catalog from the upstreams' current lists and states. */
  rebuild(): void {
    const reviews = this.reviews;
    const selfId = this.#options.hubId();
    const changed = this.current.rebuild(this.#options.upstreams.list(), {
      ...(reviews ? { lists: (upstream) => reviews.listsOf(upstream) } : {}),
      ...(selfId ? { selfId } : {}),
    });
    for (const collision of this.current.collisions) {
      this.#options.logger.warn(
        collision,
        'name collision between upstreams; the first one keeps it',
      );
    }
    if (changed.size > 0) this.#options.onListsChanged(changed);
  }

  /** Waits until every catalog guard review in flight has been applied. */
  async reviewsSettled(): Promise<void> {
    await this.reviews?.settled();
  }

  close(): void {
    this.reviews?.close();
  }
}
