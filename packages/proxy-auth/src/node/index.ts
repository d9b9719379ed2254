// @fedmcp/proxy-auth/node: the Node.js-only parts of @fedmcp/proxy-auth (file system).
export type { SecretsFile, SecretsFileOptions } from './secrets-file.js';
export {
  generateSecretKey,
  loadOrCreateKeyFile,
  openSecretsFile,
  parseSecretKey,
} from './secrets-file.js';
