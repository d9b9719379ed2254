/**
 * How upstream names and URIs are exposed through the hub, over the namespacing codec of
 * `@fedmcp/protocol`: tools and prompts as `<prefix>__<name>`, resource URIs and templates as
 * `fedmcp://<prefix>/<uri>` — except MCP Apps UI resources (`ui://…`), which keep their scheme
 * (hosts render only `ui://` resources) and take the prefix as their first segment:
 * `ui://get-time/mcp-app.html` → `ui://<prefix>/get-time/mcp-app.html`. `prefix: false` leaves
 * names and URIs unchanged (a collision is then a configuration error, not a silent rename).
 * Routing never splits on the separator — the catalog keeps an explicit map from exposed name to
 * (upstream, original name).
 */
import {
  createNamespaceCodec,
  fromHubResourceUri,
  isHubResourceUri,
  NAMESPACE_SEPARATOR,
  toHubResourceUri,
  toHubResourceUriTemplate,
} from '@fedmcp/protocol';

/** The separator between prefix and name (`NAMESPACE_SEPARATOR` of `@fedmcp/protocol`). */
export const NAME_SEPARATOR: string = NAMESPACE_SEPARATOR;

/**
 * Encodes names with the codec of `@fedmcp/protocol` (stable shortening over 64 characters,
 * sanitising of names that break the MCP rules). One table per catalog build; the catalog keeps
 * its own exposed → (upstream, name) map.
 */
export function createNameEncoder(): (
  prefix: string | false,
  name: string,
  kind: 'tool' | 'prompt',
) => string {
  const codec = createNamespaceCodec();
  return (prefix, name, kind) =>
    prefix === false ? name : (kind === 'tool' ? codec.tools : codec.prompts).encode(prefix, name);
}

/** The name a tool or prompt is exposed under (one-off; the catalog uses {@link createNameEncoder}). */
export function exposeName(prefix: string | false, name: string): string {
  return createNameEncoder()(prefix, name, 'tool');
}

/** The scheme of MCP Apps UI resources (`io.modelcontextprotocol/ui`). */
export const UI_SCHEME = 'ui://';

/** Whether a URI is an MCP Apps UI resource (`ui://…`; schemes are case-insensitive). */
export function isUiUri(uri: string): boolean {
  return uri.slice(0, UI_SCHEME.length).toLowerCase() === UI_SCHEME;
}

/**
 * The URI a resource is exposed under: `fedmcp://<prefix>/<uri>`, `ui://<prefix>/<rest>` for an
 * MCP Apps UI resource `ui://<rest>`, or unchanged for `false`.
 */
export function exposeUri(prefix: string | false, uri: string): string {
  if (prefix === false) return uri;
  if (isUiUri(uri)) return `${UI_SCHEME}${prefix}/${uri.slice(UI_SCHEME.length)}`;
  return toHubResourceUri(prefix, uri);
}

/** The URI template a resource template is exposed under (a `ui://` one keeps its scheme). */
export function exposeUriTemplate(prefix: string | false, uriTemplate: string): string {
  if (prefix === false) return uriTemplate;
  if (isUiUri(uriTemplate)) return exposeUri(prefix, uriTemplate);
  return toHubResourceUriTemplate(prefix, uriTemplate);
}

/**
 * The upstream URI behind an exposed URI for a given prefix, or `undefined` when the exposed
 * URI does not belong to that prefix.
 */
export function unexposeUri(prefix: string | false, exposed: string): string | undefined {
  if (prefix === false) return exposed;
  if (isUiUri(exposed)) {
    const head = `${UI_SCHEME}${prefix}/`;
    return exposed.startsWith(head) ? `${UI_SCHEME}${exposed.slice(head.length)}` : undefined;
  }
  const parsed = isHubResourceUri(exposed) ? fromHubResourceUri(exposed) : undefined;
  return parsed?.upstreamId === prefix ? parsed.uri : undefined;
}

/** The `_meta` key of MCP Apps UI metadata (`{ resourceUri, csp, permissions, domain, … }`). */
const UI_META = 'ui';
/** The legacy flat `_meta` key of a tool's UI resource, still written by `@modelcontextprotocol/ext-apps`. */
const LEGACY_UI_RESOURCE_URI = 'ui/resourceUri';

/** The MCP Apps UI resource a tool (or tool result) `_meta` points at, if any. */
export function uiResourceUriOf(meta: unknown): string | undefined {
  if (meta === null || typeof meta !== 'object') return undefined;
  const record = meta as Record<string, unknown>;
  const ui = record[UI_META] as { resourceUri?: unknown } | undefined;
  if (typeof ui?.resourceUri === 'string') return ui.resourceUri;
  const legacy = record[LEGACY_UI_RESOURCE_URI];
  return typeof legacy === 'string' ? legacy : undefined;
}

/**
 * A `_meta` with its MCP Apps resource URIs (`ui.resourceUri` and the legacy `ui/resourceUri`)
 * mapped; every other key of `ui` (CSP, permissions, domain, visibility) is kept as it is. The
 * same object back when there is nothing to map.
 */
export function mapUiMeta<T>(meta: T, map: (uri: string) => string): T {
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return meta;
  const record = meta as Record<string, unknown>;
  const ui = record[UI_META] as Record<string, unknown> | undefined;
  const nested = ui && typeof ui === 'object' && typeof ui.resourceUri === 'string';
  const legacy = typeof record[LEGACY_UI_RESOURCE_URI] === 'string';
  if (!nested && !legacy) return meta;
  const mapped: Record<string, unknown> = { ...record };
  if (nested) mapped[UI_META] = { ...ui, resourceUri: map(ui.resourceUri as string) };
  if (legacy) mapped[LEGACY_UI_RESOURCE_URI] = map(record[LEGACY_UI_RESOURCE_URI] as string);
  return mapped as T;
}

/** The exposed id of an upstream task: `<upstream id>__<task id>`. */
export function exposeTaskId(upstreamId: string, taskId: string): string {
  return `${upstreamId}${NAME_SEPARATOR}${taskId}`;
}

type ContentLike = { type?: unknown; uri?: unknown; resource?: unknown };

/**
 * Rewrites the resource URIs inside content blocks (`resource_link` and embedded `resource`),
 * returning new objects; other blocks pass through untouched.
 */
export function mapContentUris<T>(content: T, map: (uri: string) => string): T {
  if (!Array.isArray(content)) return content;
  return content.map((block: ContentLike) => {
    if (block === null || typeof block !== 'object') return block;
    if (block.type === 'resource_link' && typeof block.uri === 'string') {
      return { ...block, uri: map(block.uri) };
    }
    if (block.type === 'resource' && block.resource && typeof block.resource === 'object') {
      const resource = block.resource as { uri?: unknown };
      if (typeof resource.uri === 'string') {
        return { ...block, resource: { ...resource, uri: map(resource.uri) } };
      }
    }
    return block;
  }) as T;
}
