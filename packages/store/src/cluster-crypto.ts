/**
 * The cluster keys and sealing of `@fedmcp/protocol` (HKDF-SHA-256, AES-256-GCM, base64url), which
 * the store's sealed pub/sub uses; re-exported from the store's root as before.
 */
export {
  type ClusterKey,
  deriveClusterKey,
  fromBase64Url,
  openClusterText,
  sealClusterText,
  toBase64Url,
} from '@fedmcp/protocol';
