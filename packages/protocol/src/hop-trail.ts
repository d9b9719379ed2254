import * as z from 'zod';
import { HubIdSchema, type MetaObject, readMetaValue } from './federation-meta.js';
import { InvalidConfigError } from './invalid-config-error.js';
import { LoopDetectedError } from './loop-detected-error.js';
import { assertNamespacePrefix, NAMESPACE_PREFIX_PATTERN } from './namespace-prefix.js';

/**
 * `_meta` key of the hop trail: the ids of the hubs a request has passed through, oldest first.
 * Each hub checks it on receipt and appends itself before forwarding to a peer.
 */
export const HOP_TRAIL_META_KEY = 'io.fedmcp/hops';

/** The most hubs a request may pass through unless configured otherwise. */
export const DEFAULT_MAX_HOPS = 4;

/** The most hub ids a hop trail may hold (whatever `maxHops` a hub sets). */
const MAX_TRAIL_LENGTH = 64;

/** Schema of the hop trail value: hub ids, oldest first. */
export const HopTrailSchema = z.array(HubIdSchema).max(MAX_TRAIL_LENGTH);

/**
 * The trail as {@link HopTrailSchema} would return it, or `undefined` when the value is not
 * plainly valid (then the schema decides, and words the error). Accepts a strict subset of what
 * the schema accepts — a real array of at most 64 strings, each a hub id — so a request's
 * untrusted `_meta` is still fully checked; this only skips zod on the common, valid path.
 */
function plainTrail(value: unknown): string[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_TRAIL_LENGTH) return undefined;
  const trail: string[] = [];
  for (let index = 0; index < value.length; index += 1) {
    const hub: unknown = value[index];
    if (typeof hub !== 'string' || !NAMESPACE_PREFIX_PATTERN.test(hub)) return undefined;
    trail.push(hub);
  }
  return trail;
}

/** Options of {@link checkHopTrail} and {@link recordHop}. */
export interface CheckHopTrailOptions {
  /** The id of the hub doing the check. */
  selfId: string;
  /**
   * The most hubs a request may pass through, this one included.
   * @default 4
   */
  maxHops?: number;
}

/**
 * The hop trail of a `_meta` object; empty when absent.
 * @throws {InvalidRequestError} when the value is not a list of hub ids.
 */
export function readHopTrail(meta: Readonly<MetaObject> | undefined): string[] {
  if (meta === undefined || meta === null || !Object.hasOwn(meta, HOP_TRAIL_META_KEY)) return [];
  const plain = plainTrail(meta[HOP_TRAIL_META_KEY]);
  if (plain !== undefined) return plain;
  return readMetaValue(meta, HOP_TRAIL_META_KEY, HopTrailSchema) ?? [];
}

/**
 * A copy of `meta` with `hubId` appended to its hop trail. Does not modify `meta`.
 * @throws {InvalidConfigError} when `hubId` is not a valid hub id.
 * @throws {InvalidRequestError} when the existing trail is malformed.
 */
export function appendHop(meta: Readonly<MetaObject> | undefined, hubId: string): MetaObject {
  assertNamespacePrefix(hubId, 'hubId');
  return { ...meta, [HOP_TRAIL_META_KEY]: [...readHopTrail(meta), hubId] };
}

/**
 * Refuses a request that would loop or go too far: throws when the trail already contains
 * `selfId`, or already holds `maxHops` hubs (so this hub would be one too many).
 * @throws {LoopDetectedError} `LOOP_DETECTED`.
 * @throws {InvalidConfigError} when `maxHops` is not a positive integer.
 */
export function checkHopTrail(trail: readonly string[], options: CheckHopTrailOptions): void {
  const maxHops = options.maxHops ?? DEFAULT_MAX_HOPS;
  if (!Number.isInteger(maxHops) || maxHops < 1) {
    throw new InvalidConfigError({
      path: 'maxHops',
      reason: `${maxHops} is not a positive integer`,
    });
  }
  if (trail.includes(options.selfId)) {
    throw new LoopDetectedError({
      hopTrail: trail,
      reason: 'revisit',
      selfId: options.selfId,
      maxHops,
    });
  }
  if (trail.length >= maxHops) {
    throw new LoopDetectedError({
      hopTrail: trail,
      reason: 'max-hops',
      selfId: options.selfId,
      maxHops,
    });
  }
}

/**
 * What a hub does with the `_meta` of a request it is about to forward: reads the hop trail,
 * checks it ({@link checkHopTrail}) and returns a copy of `meta` with this hub appended.
 *
 * @throws {LoopDetectedError} when the request would loop or exceed `maxHops`.
 * @throws {InvalidRequestError} when the trail is malformed.
 * @example
 * ```ts
 * const forwardedMeta = recordHop(request.params._meta, { selfId: 'eu', maxHops: 4 });
 * ```
 */
export function recordHop(
  meta: Readonly<MetaObject> | undefined,
  options: CheckHopTrailOptions,
): MetaObject {
  checkHopTrail(readHopTrail(meta), options);
  return appendHop(meta, options.selfId);
}
