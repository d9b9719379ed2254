/**
 * How upstream names and URIs are exposed through the hub, over the namespacing codec of
 * `@fedmcp/protocol`: tools and prompts as `<prefix>__<name>`, resource URIs and templates as
 * `fedmcp://<prefix>/<uri>`. `prefix: false` leaves names and URIs unchanged (a collision is
 * then a configuration error, not a silent rename). Routing never splits on the separator — the
 * catalog keeps an explicit map from exposed name to (upstream, original name).
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

/** The URI a resource is exposed under: `fedmcp://<prefix>/<uri>`, or unchanged for `false`. */
export function exposeUri(prefix: string | false, uri: string): string {
  return prefix === false ? uri : toHubResourceUri(prefix, uri);
}

/** The URI template a resource template is exposed under. */
export function exposeUriTemplate(prefix: string | false, uriTemplate: string): string {
  return prefix === false ? uriTemplate : toHubResourceUriTemplate(prefix, uriTemplate);
}

/**
 * The upstream URI behind an exposed URI for a given prefix, or `undefined` when the exposed
 * URI does not belong to that prefix.
 */
export function unexposeUri(prefix: string | false, exposed: string): string | undefined {
  if (prefix === false) return exposed;
  const parsed = isHubResourceUri(exposed) ? fromHubResourceUri(exposed) : undefined;
  return parsed?.upstreamId === prefix ? parsed.uri : undefined;
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
