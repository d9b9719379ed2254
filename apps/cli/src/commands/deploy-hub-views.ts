/**
 * Views at the edge: the config's `views` (named subsets of the catalog) reach the hub
 * `fedmcp deploy cloudflare|supabase` bundles, which serves each at `/mcp/<view>` as the Node hub
 * does (`createHubHandler`), and the deploy names their URLs. No `node:` imports: the hub entry
 * (`deploy-hub-entry.ts`) imports this module.
 */
import type { CatalogViewOptions, HubOptions } from '@fedmcp/federation';

/** The part of the bundled definition that carries the views. */
export interface ViewsDefinition {
  /** The config's `views`, as `HubOptions.views` takes them. */
  views?: Record<string, CatalogViewOptions>;
}

/** The definition's part for a config's `views` (nothing when it has none). */
export function viewsDefinitionOf(
  views: Record<string, CatalogViewOptions> | undefined,
): ViewsDefinition {
  return views === undefined || Object.keys(views).length === 0 ? {} : { views };
}

/** The `createHub` options of the bundled hub for the definition's views. */
export function viewsHubOptions(definition: ViewsDefinition): Pick<HubOptions, 'views'> {
  return definition.views ? { views: definition.views } : {};
}

/**
 * The lines `fedmcp deploy` prints for the views of a config (`configText`), in the format of its
 * plan: each view's URL, from `hub.url` (the hub's public MCP URL) when the config sets it, else
 * the path the platform serves it at (`/functions/v1/<slug>/mcp/<view>` on Supabase). None when
 * the config has no views or is not JSON.
 */
export function viewPlanLines(
  configText: string | undefined,
  target: string,
  slug: string,
): string[] {
  let config: { hub?: { url?: unknown }; views?: Record<string, unknown> };
  try {
    config = JSON.parse(configText ?? '{}') ?? {};
  } catch {
    return [];
  }
  const names = Object.keys(config.views ?? {});
  const url = typeof config.hub?.url === 'string' ? config.hub.url.replace(/\/+$/, '') : undefined;
  const base = url ?? (target === 'supabase' ? `/functions/v1/${slug}/mcp` : '/mcp');
  return names.map((name) => `  ${'view'.padEnd(16)} ${base}/${name}\n`);
}
