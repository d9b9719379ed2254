// @fedmcp/proxy-auth/node: the Node.js-only parts of @fedmcp/proxy-auth (file system).
export type { LoadOrCreateHubKeysOptions } from './hub-key-file.js';
export {
  HUB_KEYS_FILE_NAME,
  hubKeysPath,
  loadOrCreateHubKeys,
  readHubKeys,
  writeHubKeys,
} from './hub-key-file.js';
export type { SecretsFile, SecretsFileOptions } from './secrets-file.js';
export {
  generateSecretKey,
  loadOrCreateKeyFile,
  openSecretsFile,
  parseSecretKey,
} from './secrets-file.js';
