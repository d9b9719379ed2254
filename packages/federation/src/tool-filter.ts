/**
 * Per-upstream tool filtering (`UpstreamOptions.tools`): globs over the upstream's own tool
 * names, `*` any run of characters, `?` exactly one; a name must match an `allow` pattern (when
 * `allow` is given) and no `deny` pattern (deny wins).
 */

/** Which of an upstream's tools the hub exposes. */
export interface ToolFilter {
  /** Only tools matching one of these globs are exposed. @default every tool */
  allow?: string[];
  /** Tools matching one of these globs are hidden, even when allowed. @default none */
  deny?: string[];
}

/** Compiles a glob (`*`, `?`) to an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const character of glob) {
    if (character === '*') source += '.*';
    else if (character === '?') source += '.';
    else source += character.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/** A predicate telling whether a tool name passes the filter; undefined filter = all pass. */
export function createToolFilter(filter: ToolFilter | undefined): (name: string) => boolean {
  if (!filter || (filter.allow === undefined && filter.deny === undefined)) return () => true;
  const allow = filter.allow?.map(globToRegExp);
  const deny = (filter.deny ?? []).map(globToRegExp);
  return (name) =>
    (allow === undefined || allow.some((pattern) => pattern.test(name))) &&
    !deny.some((pattern) => pattern.test(name));
}
