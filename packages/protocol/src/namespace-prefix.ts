import { InvalidConfigError } from './invalid-config-error.js';

/**
 * The separator between a namespace prefix and a name: `github__create_issue`. Prefixes never
 * contain `_`, so the first `__` of an exposed name always ends the prefix.
 */
export const NAMESPACE_SEPARATOR = '__';

/** What an upstream id (and so a namespace prefix) must look like: `[a-z0-9][a-z0-9-]{0,31}`. */
export const NAMESPACE_PREFIX_PATTERN: RegExp = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** Returns true when `prefix` is a valid upstream id / namespace prefix. */
export function isValidNamespacePrefix(prefix: unknown): prefix is string {
  return typeof prefix === 'string' && NAMESPACE_PREFIX_PATTERN.test(prefix);
}

/**
 * Throws unless `prefix` is a valid upstream id / namespace prefix.
 *
 * @param path - Where the value came from, for the error message (e.g. `'upstreams.github.id'`).
 * @throws {InvalidConfigError} `INVALID_CONFIG` naming the bad value and the rule.
 */
export function assertNamespacePrefix(
  prefix: unknown,
  path = 'upstreamId',
): asserts prefix is string {
  if (isValidNamespacePrefix(prefix)) return;
  const shown = typeof prefix === 'string' ? JSON.stringify(prefix) : String(prefix);
  let detail = '';
  if (typeof prefix === 'string') {
    if (prefix.length === 0) detail = ' (it is empty)';
    else if (prefix.length > 32) detail = ` (it has ${prefix.length} characters)`;
    else if (/[A-Z]/.test(prefix)) detail = ' (it has uppercase letters)';
    else if (prefix.includes('_')) detail = ' (it has "_", reserved because "__" ends the prefix)';
    else if (prefix.startsWith('-')) detail = ' (it starts with "-")';
  }
  throw new InvalidConfigError({
    path,
    reason: `${shown} is not a valid upstream id${detail}; use 1 to 32 characters from a-z, 0-9 and "-", starting with a letter or digit`,
  });
}

/**
 * `name` as an id of the prefix pattern (`[a-z0-9][a-z0-9-]{0,31}`): unchanged when it is one,
 * else lower-cased, accents folded, runs of other characters as `-`, cut to 32 characters
 * ("GitHub Server" → "github-server"); `fallback` when nothing is left.
 */
export function toNamespaceId(name: string, fallback: string): string {
  if (NAMESPACE_PREFIX_PATTERN.test(name)) return name;
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 32)
    .replace(/-+$/, '');
  return slug.length > 0 ? slug : fallback;
}
