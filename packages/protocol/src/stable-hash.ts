/**
 * A small, synchronous, pure-JS hash for deterministic name shortening: FNV-1a 64 over the UTF-8
 * bytes, finished with the MurmurHash3 fmix64 mixer (FNV's low bits depend only on the input's low
 * bits), printed in lowercase base32. The same input gives the same output on every runtime and
 * across restarts. Not a cryptographic hash.
 */

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;
const ALPHABET = '0123456789abcdefghijklmnopqrstuv';
const encoder = new TextEncoder();

function fmix64(value: bigint): bigint {
  let mixed = value;
  mixed ^= mixed >> 33n;
  mixed = (mixed * 0xff51afd7ed558ccdn) & MASK_64;
  mixed ^= mixed >> 33n;
  mixed = (mixed * 0xc4ceb9fe1a85ec53n) & MASK_64;
  mixed ^= mixed >> 33n;
  return mixed;
}

/**
 * Hashes `text` to `length` base32 characters (5 bits each, at most 12).
 * @default length 10 (50 bits)
 */
export function stableHash(text: string, length = 10): string {
  let hash = FNV_OFFSET;
  for (const byte of encoder.encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * FNV_PRIME) & MASK_64;
  }
  let mixed = fmix64(hash);
  let out = '';
  for (let index = 0; index < Math.min(length, 12); index++) {
    out += ALPHABET[Number(mixed & 31n)];
    mixed >>= 5n;
  }
  return out;
}
