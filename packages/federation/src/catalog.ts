/**
 * The merged catalog the hub serves: every available upstream's tools, prompts, resources and
 * resource templates under their exposed names, with the explicit map back to (upstream,
 * original name). Rebuilt whenever an upstream's lists or state change; list requests are
 * answered from it without touching the upstreams.
 */

import { extendOrigin, readOrigin } from '@fedmcp/protocol';
import type { Prompt, Resource, ResourceTemplateType, Tool } from '@modelcontextprotocol/server';
import { UriTemplate } from '@modelcontextprotocol/server';
import type { QuarantinedItem } from './catalog-guard.js';
import { requiredCapabilitiesOf, withRequiredCapabilities } from './client-capability-hints.js';
import { hubError } from './errors.js';
import {
  createNameEncoder,
  exposeUri,
  exposeUriTemplate,
  mapUiMeta,
  uiResourceUriOf,
  unexposeUri,
} from './namespacing.js';
import type { Upstream } from './upstream.js';

/** A name or URI exposed by two upstreams at once. */
export interface CatalogCollision {
  kind: 'tool' | 'prompt' | 'resource';
  name: string;
  upstreams: [string, string];
}

/** Where an exposed name leads. */
export interface CatalogRoute<T> {
  upstream: Upstream;
  /** The upstream's own name or URI. */
  name: string;
  item: T;
}

interface Section<T> {
  list: T[];
  byName: Map<string, CatalogRoute<T>>;
  /** Serialised list, to tell whether a rebuild changed anything. */
  signature: string;
}

function emptySection<T>(): Section<T> {
  return { list: [], byName: new Map(), signature: '[]' };
}

/** What the catalog takes from one upstream: its lists as a catalog guard let them through. */
export interface UpstreamLists {
  tools: Tool[];
  prompts: Prompt[];
  quarantined: QuarantinedItem[];
}

/** A held-back item, by exposed name. */
export interface QuarantineRoute {
  upstream: Upstream;
  item: QuarantinedItem;
}

/** Options of {@link Catalog.rebuild}. */
export interface CatalogRebuildOptions {
  /** The lists of an upstream to expose. @default its raw lists */
  lists?: (upstream: Upstream) => UpstreamLists;
  /**
   * This hub's id: exposed tools and prompts carry their origin path (`io.fedmcp/origin`), and
   * items that originated at this hub (re-imported through a peer) are left out.
   */
  selfId?: string;
}

function originatedAt(meta: unknown, selfId: string): boolean {
  try {
    return readOrigin(meta as Record<string, unknown> | undefined)?.hubs.includes(selfId) ?? false;
  } catch {
    return false;
  }
}

/**
 * A tool as exposed: its name, its MCP Apps resource URI (`_meta.ui.resourceUri` and the legacy
 * `ui/resourceUri`) namespaced like the resource itself (the rest of `_meta.ui` unchanged), and
 * the client capabilities the operator says it needs in its `_meta` hint.
 */
function exposeTool(upstream: Upstream, tool: Tool, name: string): Tool {
  const configured = upstream.options.requiresClientCapabilities?.[tool.name];
  const marked = withRequiredCapabilities(tool, configured);
  const meta = mapUiMeta(marked._meta, (uri) => exposeUri(upstream.prefix, uri));
  if (marked.name === name && meta === marked._meta) return marked;
  return { ...marked, name, ...(meta ? { _meta: meta } : {}) };
}

/** Exposed `ui://` URI → the exposed tools that point at it. */
function appToolsOf(tools: Tool[]): Map<string, string[]> {
  const apps = new Map<string, string[]>();
  for (const tool of tools) {
    const uri = uiResourceUriOf(tool._meta);
    if (uri === undefined) continue;
    const names = apps.get(uri);
    if (names) names.push(tool.name);
    else apps.set(uri, [tool.name]);
  }
  return apps;
}

/** The merged, namespaced catalog of a hub. */
export class Catalog {
  tools: Section<Tool> = emptySection();
  prompts: Section<Prompt> = emptySection();
  resources: Section<Resource> = emptySection();
  templates: Section<ResourceTemplateType> = emptySection();
  collisions: CatalogCollision[] = [];
  /** Tools and prompts a catalog guard holds back, by exposed name. */
  quarantined = new Map<string, QuarantineRoute>();
  /**
   * MCP Apps: each exposed `ui://` resource URI that exposed tools point at
   * (`_meta.ui.resourceUri`), with those tools' exposed names.
   */
  appTools = new Map<string, string[]>();
  /** Whether a tool is marked as needing a client capability (`io.fedmcp/requiresClientCapabilities`). */
  capabilityBound = false;
  /** Bumped by every rebuild that changed a list. */
  version = 0;

  /**
   * Rebuilds from the available upstreams, in registration order (the first upstream keeps a
   * colliding name). Returns which lists changed.
   */
  rebuild(
    upstreams: Upstream[],
    options: CatalogRebuildOptions = {},
  ): Set<'tools' | 'prompts' | 'resources'> {
    const collisions: CatalogCollision[] = [];
    const { selfId } = options;
    const lists = new Map<Upstream, UpstreamLists>();
    const listsOf = (upstream: Upstream): UpstreamLists => {
      let found = lists.get(upstream);
      if (!found) {
        found = options.lists?.(upstream) ?? {
          tools: upstream.tools,
          prompts: upstream.prompts,
          quarantined: [],
        };
        lists.set(upstream, found);
      }
      return found;
    };
    const withOrigin = <T extends { _meta?: Record<string, unknown> }>(
      upstream: Upstream,
      item: T,
    ): T => {
      if (selfId === undefined) return item;
      try {
        return { ...item, _meta: extendOrigin(item._meta, { selfId, upstreamId: upstream.id }) };
      } catch {
        return item;
      }
    };
    const build = <T extends object>(
      kind: CatalogCollision['kind'],
      items: (upstream: Upstream) => T[],
      key: (item: T) => string,
      expose: (upstream: Upstream, name: string) => string,
      rename: (item: T, exposed: string, upstream: Upstream) => T,
    ): Section<T> => {
      const list: T[] = [];
      const byName = new Map<string, CatalogRoute<T>>();
      for (const upstream of upstreams) {
        if (!upstream.available) continue;
        for (const item of items(upstream)) {
          if (selfId !== undefined && originatedAt((item as { _meta?: unknown })._meta, selfId)) {
            continue; // re-imported through a peer: it is this hub's own
          }
          const name = key(item);
          const exposed = expose(upstream, name);
          const existing = byName.get(exposed);
          if (existing) {
            collisions.push({
              kind,
              name: exposed,
              upstreams: [existing.upstream.id, upstream.id],
            });
            continue;
          }
          byName.set(exposed, { upstream, name, item });
          const renamed = rename(item, exposed, upstream);
          list.push(withOrigin(upstream, renamed));
        }
      }
      return { list, byName, signature: JSON.stringify(list) };
    };
    const changed = new Set<'tools' | 'prompts' | 'resources'>();
    const encode = createNameEncoder();
    const tools = build<Tool>(
      'tool',
      (upstream) => listsOf(upstream).tools,
      (tool) => tool.name,
      (upstream, name) => encode(upstream.prefix, name, 'tool'),
      (tool, name, upstream) => exposeTool(upstream, tool, name),
    );
    const prompts = build<Prompt>(
      'prompt',
      (upstream) => listsOf(upstream).prompts,
      (prompt) => prompt.name,
      (upstream, name) => encode(upstream.prefix, name, 'prompt'),
      (prompt, name) => (prompt.name === name ? prompt : { ...prompt, name }),
    );
    const resources = build<Resource>(
      'resource',
      (upstream) => upstream.resources,
      (resource) => resource.uri,
      (upstream, uri) => exposeUri(upstream.prefix, uri),
      (resource, uri) => (resource.uri === uri ? resource : { ...resource, uri }),
    );
    const templates = build<ResourceTemplateType>(
      'resource',
      (upstream) => upstream.templates,
      (template) => template.uriTemplate,
      (upstream, uri) => exposeUriTemplate(upstream.prefix, uri),
      (template, uriTemplate) =>
        template.uriTemplate === uriTemplate ? template : { ...template, uriTemplate },
    );
    if (tools.signature !== this.tools.signature) changed.add('tools');
    if (prompts.signature !== this.prompts.signature) changed.add('prompts');
    if (
      resources.signature !== this.resources.signature ||
      templates.signature !== this.templates.signature
    ) {
      changed.add('resources');
    }
    const quarantined = new Map<string, QuarantineRoute>();
    for (const upstream of upstreams) {
      if (!upstream.available) continue;
      for (const item of listsOf(upstream).quarantined) {
        quarantined.set(encode(upstream.prefix, item.name, item.kind), { upstream, item });
      }
    }
    this.tools = tools;
    this.prompts = prompts;
    this.resources = resources;
    this.templates = templates;
    this.collisions = collisions;
    this.quarantined = quarantined;
    this.appTools = appToolsOf(tools.list);
    this.capabilityBound = tools.list.some((tool) => requiredCapabilitiesOf(tool).length > 0);
    if (changed.size > 0) this.version += 1;
    return changed;
  }

  /**
   * The upstream behind an exposed resource URI: a listed resource, else the upstream whose
   * prefix the URI carries, else (unprefixed upstreams) the one whose template matches.
   */
  routeUri(uri: string, upstreams: Upstream[]): { upstream: Upstream; uri: string } {
    const listed = this.resources.byName.get(uri);
    if (listed) return { upstream: listed.upstream, uri: listed.name };
    for (const upstream of upstreams) {
      if (upstream.prefix === false) continue;
      const original = unexposeUri(upstream.prefix, uri);
      if (original !== undefined) return { upstream, uri: original };
    }
    const unprefixed = upstreams.filter(
      (upstream) => upstream.prefix === false && upstream.serverCapabilities.resources,
    );
    for (const upstream of unprefixed) {
      for (const template of upstream.templates) {
        if (new UriTemplate(template.uriTemplate).match(uri)) return { upstream, uri };
      }
    }
    if (unprefixed.length === 1 && unprefixed[0]) return { upstream: unprefixed[0], uri };
    throw hubError('NOT_FOUND', `No upstream serves the resource ${uri}.`, { uri });
  }
}
