/**
 * How upstream names and URIs are exposed through the hub: tools and prompts as
 * `<prefix>__<name>`, resource URIs as `<prefix>+<uri>` (the prefix joins the URI scheme, so
 * templates stay templates and every URI maps back to exactly one upstream). `prefix: false`
 * leaves names and URIs unchanged. This is the hub's adapter over the namespacing rules of
 * ARCHITECTURE.md; routing never splits on the separator — the catalog keeps an explicit map
 * from exposed name to (upstream, original name).
 */

/** The separator between prefix and name. */
export const NAME_SEPARATOR = '__';

/** Longest exposed name; longer ones are shortened deterministically (stable across restarts). */
export const MAX_NAME_LENGTH = 64;

/** FNV-1a, 32 bit: a small stable hash for shortening names (not for security). */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/** The name a tool or prompt is exposed under. */
export function exposeName(prefix: string | false, name: string): string {
  if (prefix === false) return name;
  const exposed = `${prefix}${NAME_SEPARATOR}${name}`;
  if (exposed.length <= MAX_NAME_LENGTH) return exposed;
  const hash = fnv1a(exposed);
  return `${exposed.slice(0, MAX_NAME_LENGTH - hash.length - 1)}_${hash}`;
}

/** The URI (or URI template) a resource is exposed under. */
export function exposeUri(prefix: string | false, uri: string): string {
  return prefix === false ? uri : `${prefix}+${uri}`;
}

/**
 * The upstream URI behind an exposed URI for a given prefix, or `undefined` when the exposed
 * URI does not belong to that prefix.
 */
export function unexposeUri(prefix: string | false, exposed: string): string | undefined {
  if (prefix === false) return exposed;
  const head = `${prefix}+`;
  return exposed.startsWith(head) ? exposed.slice(head.length) : undefined;
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
