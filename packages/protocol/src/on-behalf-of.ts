import * as z from 'zod';
import { HubIdSchema, type MetaObject, readMetaValue, writeMetaValue } from './federation-meta.js';

/**
 * `_meta` key of the end user a request is made for, as the first hub authenticated them. Peer
 * hubs use it for policy and audit; it is informational, the signed peer token (`sub`) is what
 * a peer trusts.
 */
export const ON_BEHALF_OF_META_KEY = 'io.fedmcp/onBehalfOf';

/** Schema of the on-behalf-of value. */
export const OnBehalfOfSchema = z.object({
  /** The end user's subject identifier (a JWT `sub`, an API key's owner). */
  subject: z.string().min(1).max(1024),
  /** Who authenticated the subject (an OAuth issuer URL, or a hub id). */
  issuer: z.string().min(1).max(2048).optional(),
  /**
   * The hubs the request crossed before the hub that wrote this value, nearest first, as that hub
   * verified them (its caller's peer token). Peer tokens name them in `act`; never a client's claim.
   */
  via: z.array(HubIdSchema).max(64).optional(),
});

/** The end user a request is made for. */
export type OnBehalfOf = z.infer<typeof OnBehalfOfSchema>;

/**
 * The on-behalf-of subject in a `_meta` object, or `undefined`.
 * @throws {InvalidRequestError} when the value is malformed.
 */
export function readOnBehalfOf(meta: Readonly<MetaObject> | undefined): OnBehalfOf | undefined {
  return readMetaValue(meta, ON_BEHALF_OF_META_KEY, OnBehalfOfSchema);
}

/**
 * A copy of `meta` with its on-behalf-of subject set. Does not modify `meta`.
 * @throws {InvalidRequestError} when the value is invalid.
 */
export function withOnBehalfOf(
  meta: Readonly<MetaObject> | undefined,
  onBehalfOf: OnBehalfOf,
): MetaObject {
  return writeMetaValue(meta, ON_BEHALF_OF_META_KEY, OnBehalfOfSchema, onBehalfOf);
}
