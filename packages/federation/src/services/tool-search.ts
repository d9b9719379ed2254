/**
 * Tool search for large catalogs: which of a session's tools are listed and which sit behind the
 * `find_tools` / `call_tool` meta-tools (per upstream `exposure`, overridden by the session's
 * view), the ranking index over the catalog's tools (rebuilt when the catalog changes), and
 * searches limited to what the session may see (policy through the session views, its view).
 */
import type { Tool } from '@modelcontextprotocol/server';
import { META_TOOL_NAMES, metaToolDefinitions, type SearchSummary } from '../search-meta-tools.js';
import { createSearchIndex, type SearchDocument, type SearchIndex } from '../search-ranking.js';
import type { CatalogViews } from './catalog-views.js';
import type { HubCatalog } from './hub-catalog.js';
import type { HubSession } from './session-registry.js';
import type { SessionViews } from './session-views.js';

/** How a session's visible tools split between the list and the search. */
interface Shape {
  /** What `tools/list` shows: the meta-tools (when anything is searchable), then listed tools. */
  listed: Tool[];
  /** The searchable tools by exposed name. */
  searchable: Map<string, { tool: Tool; upstream: string }>;
}

/** Options of {@link ToolSearch}. */
export interface ToolSearchOptions {
  catalog: HubCatalog;
  views: SessionViews;
  catalogViews: CatalogViews;
}

/** Options of {@link ToolSearch.find}. */
export interface FindToolsOptions {
  limit: number;
  /** Only the tools of these upstreams. */
  servers?: readonly string[];
  /** Only the tools it accepts (those the caller's client can use). */
  accept?: (tool: Tool) => boolean;
}

function documentOf(tool: Tool, server: string): SearchDocument {
  const properties = (tool.inputSchema?.properties ?? {}) as Record<
    string,
    { description?: unknown; title?: unknown }
  >;
  const argumentText = Object.values(properties)
    .flatMap((property) => [property?.title, property?.description])
    .filter((text): text is string => typeof text === 'string')
    .join(' ');
  return {
    id: tool.name,
    name: tool.name,
    title: [tool.title, tool.annotations?.title].filter(Boolean).join(' '),
    ...(tool.description ? { description: tool.description } : {}),
    argumentNames: Object.keys(properties),
    argumentText,
    server,
  };
}

/** The tool search service; see the file comment. */
export class ToolSearch {
  readonly #options: ToolSearchOptions;
  #index: { version: number; index: SearchIndex } | undefined;
  /** Shapes by the visible-tools array they were made from (a new array after every change). */
  readonly #shapes = new WeakMap<readonly Tool[], Shape>();

  constructor(options: ToolSearchOptions) {
    this.#options = options;
  }

  /** The tools `tools/list` shows a session: the meta-tools first when it has searchable tools. */
  listTools(session: HubSession): Tool[] {
    return this.#shape(session).listed;
  }

  /** Whether a session has tools behind search (and so the meta-tools). */
  searching(session: HubSession): boolean {
    return this.#shape(session).searchable.size > 0;
  }

  /** The best searchable tools of a session for a query, with their full definitions. */
  find(session: HubSession, query: string, options: FindToolsOptions): Tool[] {
    const { searchable } = this.#shape(session);
    if (searchable.size === 0) return [];
    const servers = options.servers ? new Set(options.servers) : undefined;
    const hits = this.#currentIndex().search(query, {
      limit: options.limit,
      filter: (name) => {
        const entry = searchable.get(name);
        return (
          entry !== undefined &&
          (servers === undefined || servers.has(entry.upstream)) &&
          (options.accept === undefined || options.accept(entry.tool))
        );
      },
    });
    return hits.map((hit) => searchable.get(hit.id)!.tool);
  }

  #currentIndex(): SearchIndex {
    const catalog = this.#options.catalog.current;
    if (this.#index?.version !== catalog.version) {
      const documents = catalog.tools.list.map((tool) =>
        documentOf(tool, catalog.tools.byName.get(tool.name)?.upstream.id ?? ''),
      );
      this.#index = { version: catalog.version, index: createSearchIndex(documents) };
    }
    return this.#index.index;
  }

  #visible(session: HubSession): readonly Tool[] {
    const { views, catalog } = this.#options;
    return views.filtering ? views.items<Tool>(session, 'tools/list') : catalog.current.tools.list;
  }

  #shape(session: HubSession): Shape {
    const visible = this.#visible(session);
    const cached = this.#shapes.get(visible);
    if (cached) return cached;
    const { catalog, catalogViews } = this.#options;
    const viewExposure = catalogViews.get(session.view)?.exposure;
    const listed: Tool[] = [];
    const searchable = new Map<string, { tool: Tool; upstream: string }>();
    const counts = new Map<string, number>();
    for (const tool of visible) {
      const upstream = catalog.current.tools.byName.get(tool.name)?.upstream;
      const exposure = viewExposure ?? upstream?.options.exposure ?? 'all';
      if (exposure !== 'search' || !upstream) {
        listed.push(tool);
        continue;
      }
      searchable.set(tool.name, { tool, upstream: upstream.id });
      counts.set(upstream.id, (counts.get(upstream.id) ?? 0) + 1);
    }
    let shape: Shape = { listed: visible as Tool[], searchable };
    if (searchable.size > 0) {
      const summary: SearchSummary = {
        total: searchable.size,
        servers: [...counts]
          .map(([id, tools]) => ({ id, tools }))
          .sort((a, b) => b.tools - a.tools || a.id.localeCompare(b.id)),
      };
      // The meta-tools' names are reserved: they take the place of a same-named upstream tool.
      const direct = listed.filter((tool) => !META_TOOL_NAMES.has(tool.name));
      shape = { listed: [...metaToolDefinitions(summary), ...direct], searchable };
    }
    this.#shapes.set(visible, shape);
    return shape;
  }
}
