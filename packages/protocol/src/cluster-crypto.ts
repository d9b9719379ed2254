/**
 * The keys replicas derive from their shared cluster secret, and the one way they seal with them
 * (the store's sealed pub/sub, the transports' client-carried session ids): HKDF-SHA-256 (salt
 * `fedmcp cluster`, one `purpose` label per use, so the key that seals pub/sub messages never
 * opens a session id), AES-256-GCM with a random 96-bit IV and a context string bound as
 * additional authenticated data. Web Crypto only (`globalThis.crypto.subtle`):
 * Node, Deno, Bun and workerd run it alike.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const SALT = encoder.encode('fedmcp cluster');
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A key derived from a cluster secret for one purpose, with a short public id naming it. */
export interface ClusterKey {
  /** 8 base64url characters, derived (HKDF, its own label) from the same secret: names the key without revealing it. */
  readonly id: string;
  readonly key: CryptoKey;
}

/** `bytes` as unpadded base64url. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  // Chunks keep `String.fromCharCode` under the engines' argument limits.
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** The bytes of unpadded (or padded) base64url text; `undefined` when it is not base64url. */
export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(text)) return undefined;
  try {
    const binary = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
    const bytes = new Uint8Array(binary.length);
    for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
    return bytes;
  } catch {
    return undefined;
  }
}

/**
 * Derives the AES-256-GCM key of `purpose` (an HKDF `info` label such as
 * `fedmcp/cluster-pubsub/aes-256-gcm/v1`) from a cluster secret, and its id (HKDF with the label
 * `idLabel`, by default `<purpose>/key-id`).
 * @throws {TypeError} when `secret` is empty.
 */
export async function deriveClusterKey(
  secret: string,
  purpose: string,
  idLabel = `${purpose}/key-id`,
): Promise<ClusterKey> {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new TypeError('deriveClusterKey: the cluster secret must be a non-empty string');
  }
  const material = await crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, [
    'deriveBits',
    'deriveKey',
  ]);
  const key = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: SALT, info: encoder.encode(purpose) },
    material,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt', 'decrypt'],
  );
  const idBits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: SALT, info: encoder.encode(idLabel) },
    material,
    48,
  );
  return { id: toBase64Url(new Uint8Array(idBits)), key };
}

/** Seals `text` under `key` with `context` bound to it: `base64url(iv ‖ ciphertext ‖ tag)`. */
export async function sealClusterText(
  key: CryptoKey,
  text: string,
  context: string,
): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: encoder.encode(context) },
      key,
      encoder.encode(text),
    ),
  );
  const joined = new Uint8Array(IV_BYTES + sealed.byteLength);
  joined.set(iv);
  joined.set(sealed, IV_BYTES);
  return toBase64Url(joined);
}

/**
 * Opens what {@link sealClusterText} sealed; `undefined` when it is not base64url, was sealed
 * under another key or another context, or was altered.
 */
export async function openClusterText(
  key: CryptoKey,
  sealed: string,
  context: string,
): Promise<string | undefined> {
  const bytes = fromBase64Url(sealed);
  if (!bytes || bytes.byteLength < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const plain = await crypto.subtle.decrypt(
      {
        name: 'AES-GCM',
        iv: bytes.subarray(0, IV_BYTES),
        additionalData: encoder.encode(context),
      },
      key,
      bytes.subarray(IV_BYTES),
    );
    return decoder.decode(plain);
  } catch {
    return undefined;
  }
}
