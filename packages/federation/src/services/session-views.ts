/**
 * What each session may see of the catalog's lists through the access hook's `visible`, cached
 * per catalog version and access version (a policy reload bumps the latter).
 */
import type { HubAccess, HubListAction } from '../hub-access.js';
import type { Upstream } from '../upstream.js';
import type { HubCatalog, ListKind } from './hub-catalog.js';
import type { HubSession } from './session-registry.js';

/** A list as one session sees it through the access hook. */
interface SessionView {
  catalogVersion: number;
  accessVersion: number;
  items: unknown[];
  signature: string;
}

interface Section {
  list: unknown[];
  byName: Map<string, { upstream: Upstream; item: unknown }>;
}

const LIST_ACTIONS = ['tools/list', 'prompts/list', 'resources/list'] as const;

function kindOf(action: HubListAction): ListKind {
  return action === 'tools/list' ? 'tools' : action === 'prompts/list' ? 'prompts' : 'resources';
}

/** The per-session list views; see the file comment. */
export class SessionViews {
  readonly #views = new WeakMap<HubSession, Map<HubListAction, SessionView>>();
  #accessVersion = 0;

  constructor(
    private readonly catalog: HubCatalog,
    private readonly access: HubAccess | undefined,
  ) {}

  /** Whether lists are filtered per caller at all. */
  get filtering(): boolean {
    return this.access?.visible !== undefined;
  }

  /** The items of a list that a session may see. */
  items<T>(session: HubSession, action: HubListAction): T[] {
    return this.#view(session, action).items as T[];
  }

  /**
   * The access hook's decisions may have changed: returns, per session given, the lists whose
   * view changed since the session last saw them.
   */
  refresh(sessions: Iterable<HubSession>): Map<HubSession, Set<ListKind>> {
    this.#accessVersion += 1;
    const changes = new Map<HubSession, Set<ListKind>>();
    if (!this.filtering) return changes;
    for (const session of sessions) {
      const changed = new Set<ListKind>();
      for (const [action, previous] of this.#views.get(session) ?? []) {
        if (this.#view(session, action).signature !== previous.signature)
          changed.add(kindOf(action));
      }
      if (changed.size > 0) changes.set(session, changed);
    }
    return changes;
  }

  /** Whether a session's filtered lists hold anything of `upstream`. */
  mayUse(session: HubSession, upstream: Upstream): boolean {
    for (const action of LIST_ACTIONS) {
      const { section, key } = this.#section(action);
      for (const item of this.#view(session, action).items as Array<Record<string, unknown>>) {
        if (section.byName.get(item[key] as string)?.upstream === upstream) return true;
      }
    }
    return false;
  }

  #view(session: HubSession, action: HubListAction): SessionView {
    let views = this.#views.get(session);
    const cached = views?.get(action);
    const catalog = this.catalog.current;
    if (
      cached &&
      cached.catalogVersion === catalog.version &&
      cached.accessVersion === this.#accessVersion
    ) {
      return cached;
    }
    const { section, key } = this.#section(action);
    const visible = this.access?.visible;
    const items: unknown[] = [];
    const names: string[] = [];
    for (const item of section.list as Array<Record<string, unknown>>) {
      const exposed = item[key] as string;
      const route = section.byName.get(exposed);
      if (!route) continue;
      const annotations = (route.item as { annotations?: Record<string, unknown> }).annotations;
      if (
        visible &&
        !visible.call(this.access, session.principal, action, exposed, {
          upstream: route.upstream.id,
          ...(annotations ? { annotations } : {}),
        })
      ) {
        continue;
      }
      items.push(item);
      names.push(exposed);
    }
    const view: SessionView = {
      catalogVersion: catalog.version,
      accessVersion: this.#accessVersion,
      items,
      signature: names.join('\n'),
    };
    if (!views) {
      views = new Map();
      this.#views.set(session, views);
    }
    views.set(action, view);
    return view;
  }

  /** A list's catalog section, and the key its items are exposed under. */
  #section(action: HubListAction): { section: Section; key: 'name' | 'uri' | 'uriTemplate' } {
    const catalog = this.catalog.current;
    switch (action) {
      case 'tools/list':
        return { section: catalog.tools, key: 'name' };
      case 'prompts/list':
        return { section: catalog.prompts, key: 'name' };
      case 'resources/list':
        return { section: catalog.resources, key: 'uri' };
      default:
        return { section: catalog.templates, key: 'uriTemplate' };
    }
  }
}
