/**
 * The hub's views (`HubOptions.views`, see `../catalog-view.ts`): which exist, and whether an item
 * is in the view a session was opened on. A session without a view sees the whole catalog.
 * Handlers ask {@link CatalogViews.assertAdmits} before they route a request, so a name outside
 * the session's view is unknown there (NOT_FOUND), exactly as if the catalog lacked it.
 */
import {
  type CatalogView,
  type CatalogViewItem,
  type CatalogViewKind,
  type CatalogViewOptions,
  compileCatalogView,
} from '../catalog-view.js';
import { hubError } from '../errors.js';

/** What a view check needs of a session. */
export interface ViewedSession {
  readonly view?: string | undefined;
}

const NOUNS: Record<CatalogViewKind, string> = {
  tools: 'tool',
  prompts: 'prompt',
  resources: 'resource',
  templates: 'resource template',
};

/** The views of a hub; see the file comment. */
export class CatalogViews {
  readonly #views = new Map<string, CatalogView>();

  /** @throws FedmcpError INVALID_CONFIG for a malformed view. */
  constructor(views: Record<string, CatalogViewOptions> = {}) {
    for (const [name, options] of Object.entries(views)) {
      this.#views.set(name, compileCatalogView(name, options));
    }
  }

  /** Whether the hub has views at all (lists are then filtered per session). */
  get any(): boolean {
    return this.#views.size > 0;
  }

  /** The names of the views, in configuration order. */
  names(): string[] {
    return [...this.#views.keys()];
  }

  /** A view by name. */
  get(name: string | undefined): CatalogView | undefined {
    return name === undefined ? undefined : this.#views.get(name);
  }

  /**
   * The view a new session asks for, checked.
   * @throws FedmcpError NOT_FOUND for a view this hub does not have.
   */
  resolve(name: string | undefined): CatalogView | undefined {
    if (name === undefined) return undefined;
    const view = this.#views.get(name);
    if (!view) {
      const known = this.names();
      throw hubError(
        'NOT_FOUND',
        `Unknown view "${name}": ${known.length > 0 ? `this hub serves the views ${known.join(', ')}` : 'this hub has no views'}.`,
        { view: name },
      );
    }
    return view;
  }

  /** Whether an item is in a session's view (always, for a session without one). */
  admits(session: ViewedSession, kind: CatalogViewKind, item: CatalogViewItem): boolean {
    const view = this.get(session.view);
    return view === undefined || view.admits(kind, item);
  }

  /**
   * Refuses an item outside a session's view as unknown.
   * @throws FedmcpError NOT_FOUND.
   */
  assertAdmits(session: ViewedSession, kind: CatalogViewKind, item: CatalogViewItem): void {
    if (this.admits(session, kind, item)) return;
    // Worded as the resolve stage words a name the catalog lacks.
    throw hubError('NOT_FOUND', `Unknown ${NOUNS[kind]}: ${item.name}`, {
      [kind === 'tools' || kind === 'prompts' ? 'name' : 'uri']: item.name,
    });
  }
}
