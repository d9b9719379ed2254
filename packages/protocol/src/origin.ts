import * as z from 'zod';
import { HubIdSchema, type MetaObject, readMetaValue, writeMetaValue } from './federation-meta.js';
import { assertNamespacePrefix } from './namespace-prefix.js';

/**
 * `_meta` key of the origin of an aggregated tool, prompt, resource or resource template: the
 * hubs it came through and the upstream that serves it.
 */
export const ORIGIN_META_KEY = 'io.fedmcp/origin';

/** Schema of the origin value. */
export const OriginSchema = z.object({
  /** Hub ids from the hub nearest the client to the hub that owns the upstream. */
  hubs: z.array(HubIdSchema).min(1).max(64),
  /** The upstream id at the last hub. */
  upstreamId: HubIdSchema,
});

/** Where an aggregated tool, prompt or resource comes from. */
export type Origin = z.infer<typeof OriginSchema>;

/**
 * The origin in a `_meta` object, or `undefined`.
 * @throws {InvalidRequestError} when the value is malformed.
 */
export function readOrigin(meta: Readonly<MetaObject> | undefined): Origin | undefined {
  return readMetaValue(meta, ORIGIN_META_KEY, OriginSchema);
}

/**
 * A copy of `meta` with its origin set to `origin`. Does not modify `meta`.
 * @throws {InvalidRequestError} when the value is invalid.
 */
export function withOrigin(meta: Readonly<MetaObject> | undefined, origin: Origin): MetaObject {
  return writeMetaValue(meta, ORIGIN_META_KEY, OriginSchema, origin);
}

/** Options of {@link extendOrigin}. */
export interface ExtendOriginOptions {
  /** The id of the hub aggregating the item. */
  selfId: string;
  /** The upstream (or peer) the hub got the item from. */
  upstreamId: string;
}

/**
 * The `_meta` a hub gives an item it aggregates: when the item already has an origin (it came
 * from a peer hub), `selfId` is put in front of its hubs; otherwise the origin becomes
 * `{ hubs: [selfId], upstreamId }`. Does not modify `meta`.
 *
 * @example
 * ```ts
 * extendOrigin(undefined, { selfId: 'eu', upstreamId: 'github' });
 * // { 'io.fedmcp/origin': { hubs: ['eu'], upstreamId: 'github' } }
 * ```
 */
export function extendOrigin(
  meta: Readonly<MetaObject> | undefined,
  options: ExtendOriginOptions,
): MetaObject {
  assertNamespacePrefix(options.selfId, 'selfId');
  assertNamespacePrefix(options.upstreamId, 'upstreamId');
  const existing = readOrigin(meta);
  const origin: Origin =
    existing === undefined
      ? { hubs: [options.selfId], upstreamId: options.upstreamId }
      : { hubs: [options.selfId, ...existing.hubs], upstreamId: existing.upstreamId };
  return { ...meta, [ORIGIN_META_KEY]: origin };
}
