/**
 * What each session may see of the catalog's lists through the access hook's `visible`, cached
 * per catalog version and access version (a policy reload bumps the latter). An MCP Apps UI
 * resource (`ui://…`) goes with the tools that point at it: one that only tools hidden from the
 * caller point at is hidden too, and reading it is refused. Tools marked as needing a client
 * capability the caller lacks are left out of its tool list. And which app each session opened
 * last, so an app's own call by its bare tool name reaches that app's server.
 */
import type { ClientCapabilities } from '@modelcontextprotocol/server';
import type { CatalogViewKind } from '../catalog-view.js';
import { canUseTool } from '../client-capability-hints.js';
import type { HubAccess, HubListAction } from '../hub-access.js';
import type { Upstream } from '../upstream.js';
import type { CatalogViews } from './catalog-views.js';
import type { HubCatalog, ListKind } from './hub-catalog.js';
import type { HubSession } from './session-registry.js';

/** A list as one session sees it through the access hook. */
interface SessionView {
  catalogVersion: number;
  accessVersion: number;
  items: unknown[];
  names: Set<string>;
  signature: string;
}

interface Section {
  list: unknown[];
  byName: Map<string, { upstream: Upstream; item: unknown }>;
}

const LIST_ACTIONS = ['tools/list', 'prompts/list', 'resources/list'] as const;

const VIEW_KINDS: Record<HubListAction, CatalogViewKind> = {
  'tools/list': 'tools',
  'prompts/list': 'prompts',
  'resources/list': 'resources',
  'resources/templates/list': 'templates',
};

function kindOf(action: HubListAction): ListKind {
  return action === 'tools/list' ? 'tools' : action === 'prompts/list' ? 'prompts' : 'resources';
}

/** The per-session list views; see the file comment. */
export class SessionViews {
  readonly #views = new WeakMap<HubSession, Map<HubListAction, SessionView>>();
  /** The exposed `ui://` URI each session read last. */
  readonly #lastApp = new WeakMap<HubSession, string>();
  #accessVersion = 0;

  constructor(
    private readonly catalog: HubCatalog,
    private readonly access: HubAccess | undefined,
    /** The hub's views: a session opened on one sees only what it includes. */
    private readonly catalogViews?: CatalogViews,
  ) {}

  /** Changes whenever what a session may see can have changed (the catalog, the access decisions). */
  get version(): string {
    return `${this.catalog.current.version}:${this.#accessVersion}`;
  }

  /** Whether lists are filtered per caller at all. */
  get filtering(): boolean {
    return this.access?.visible !== undefined || this.catalogViews?.any === true;
  }

  /** The items of a list that a session may see. */
  items<T>(session: HubSession, action: HubListAction): T[] {
    return this.#view(session, action).items as T[];
  }

  /**
   * The tools of a list a client with `capabilities` can use: those marked as needing a client
   * capability (`io.fedmcp/requiresClientCapabilities`) it did not declare are left out.
   */
  usableTools<T extends { _meta?: Record<string, unknown> }>(
    tools: T[],
    capabilities: ClientCapabilities,
  ): T[] {
    if (!this.catalog.current.capabilityBound) return tools;
    return tools.filter((tool) => canUseTool(tool, capabilities));
  }

  /**
   * Whether an exposed URI is an MCP Apps UI resource that the session may not see: tools point
   * at it and none of them is visible to the session.
   */
  hidesApp(session: HubSession, uri: string): boolean {
    if (!this.filtering) return false;
    const tools = this.catalog.current.appTools.get(uri);
    if (!tools) return false;
    const visible = this.#view(session, 'tools/list').names;
    return !tools.some((name) => visible.has(name));
  }

  /** Notes that a session read an exposed URI (the app it opened, when it is one). */
  noteRead(session: HubSession, uri: string): void {
    if (this.catalog.current.appTools.has(uri)) this.#lastApp.set(session, uri);
  }

  /** The exposed `ui://` URI of the app the session opened last, if any. */
  lastApp(session: HubSession): string | undefined {
    return this.#lastApp.get(session);
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
    // MCP Apps: a UI resource goes with the tools pointing at it.
    const appTools = action === 'resources/list' ? catalog.appTools : undefined;
    const tools = appTools?.size ? this.#view(session, 'tools/list').names : undefined;
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
      const viewItem = { upstream: route.upstream.id, name: exposed, annotations };
      if (this.catalogViews?.admits(session, VIEW_KINDS[action], viewItem) === false) continue;
      const pointing = tools ? appTools?.get(exposed) : undefined;
      if (pointing && !pointing.some((name) => tools?.has(name))) continue;
      items.push(item);
      names.push(exposed);
    }
    const view: SessionView = {
      catalogVersion: catalog.version,
      accessVersion: this.#accessVersion,
      items,
      names: new Set(names),
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
