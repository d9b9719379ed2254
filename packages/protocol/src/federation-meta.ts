/**
 * Shared ground of the `_meta` keys of the fedmcp federation extension: the `io.fedmcp/` prefix
 * (MCP 2025-11-25 basic/index "_meta": a reverse-DNS prefix followed by `/` names the owner of a
 * key), the hub id schema, and the reader that validates one key with a clear error.
 */
import * as z from 'zod';
import { InvalidRequestError } from './invalid-request-error.js';
import { NAMESPACE_PREFIX_PATTERN } from './namespace-prefix.js';

/** The prefix of every fedmcp `_meta` key. */
export const FEDMCP_META_PREFIX = 'io.fedmcp/';

/** A `_meta` object: the `_meta` of an MCP request, notification, result or list item. */
export type MetaObject = Record<string, unknown>;

/**
 * A hub id: the same shape as an upstream id (`[a-z0-9][a-z0-9-]{0,31}`), because a hub is an
 * upstream of its peers and its id becomes their namespace prefix.
 */
export const HubIdSchema = z
  .string()
  .regex(
    NAMESPACE_PREFIX_PATTERN,
    'must be 1 to 32 characters from a-z, 0-9 and "-", starting with a letter or digit',
  );

/** Reads and validates one `_meta` key; `undefined` when absent. */
export function readMetaValue<T>(
  meta: Readonly<MetaObject> | undefined,
  key: string,
  schema: z.ZodType<T>,
): T | undefined {
  if (meta === undefined || meta === null || !Object.hasOwn(meta, key)) return undefined;
  const parsed = schema.safeParse(meta[key]);
  if (parsed.success) return parsed.data;
  throw new InvalidRequestError({
    reason: `_meta["${key}"] is malformed: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`,
    data: { metaKey: key },
  });
}

/**
 * A copy of `meta` with `key` set to `value`, validated first. Does not modify `meta`.
 * @throws {InvalidRequestError} when `value` does not match `schema`.
 */
export function writeMetaValue<T>(
  meta: Readonly<MetaObject> | undefined,
  key: string,
  schema: z.ZodType<T>,
  value: T,
): MetaObject {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InvalidRequestError({
      reason: `the value for _meta["${key}"] is invalid: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`,
      data: { metaKey: key },
    });
  }
  return { ...meta, [key]: parsed.data };
}
