/**
 * Compares two byte arrays in time that depends only on their lengths, never on where they
 * differ: every byte is visited and differences are OR-ed together, with no early exit. Use it
 * for secrets and digests; compare fixed-length digests so the length reveals nothing either.
 *
 * @example
 * ```ts
 * constantTimeEqual(await sha256(presented), storedDigest); // true or false
 * ```
 */
export function constantTimeEqual(left: Uint8Array, right: Uint8Array): boolean {
  const length = Math.max(left.length, right.length);
  // Unequal lengths are a difference, but we still walk the longer input.
  let difference = left.length ^ right.length;
  for (let index = 0; index < length; index += 1) {
    difference |= (left[index] ?? 0) ^ (right[index] ?? 0);
  }
  return difference === 0;
}
