/**
 * `@fedmcp/server`: the thin composition of the fedmcp packages into a running hub —
 * config file → packages wired together → one HTTP host.
 */
export {
  checkAnonymousAccess,
  createServerAuthentication,
  hubResourceUri,
  principalKey,
  type ServerAuthentication,
  type ServerAuthenticationOptions,
} from './auth/server-authentication.js';
export {
  openConfigSecrets,
  resolveConfigSecrets,
  type SecretsLocation,
  secretsLocation,
} from './auth/upstream-secrets.js';
export { ConfigError, type ConfigIssue } from './config/config-error.js';
export {
  configSchema,
  type FedmcpConfig,
  type FedmcpConfigInput,
  type McpServerEntry,
  upstreamIdFromName,
} from './config/config-schema.js';
export { interpolateEnv, type MissingVariable } from './config/interpolate-env.js';
export { type LoadConfigOptions, loadConfig, parseConfig } from './config/load-config.js';
export { stripJsonComments } from './config/strip-json-comments.js';
export { type WatchConfigOptions, watchConfig } from './config/watch-config.js';
export {
  createFedmcpServer,
  type FedmcpServer,
  type FedmcpServerOptions,
  type ServerLogger,
} from './create-fedmcp-server.js';
export { type CreateLoggerOptions, createLogger, redactedLogPaths } from './create-logger.js';
export {
  buildDiscoveryDocument,
  createDiscoveryRoutes,
  FEDMCP_SERVER_VERSION,
  JWKS_PATH,
} from './federation/discovery-routes.js';
export {
  createPeerAuthentication,
  type PeerAuthentication,
  type PeerAuthenticationOptions,
  trustedPeersOf,
} from './federation/peer-authentication.js';
export {
  type PeerConfig,
  type PeersConfig,
  peerBaseUrl,
  peerConfigSchema,
  peersConfigSchema,
} from './federation/peers-config.js';
export {
  hubIdOf,
  hubKeysFile,
  keyGracePeriodMs,
  openServerHubIdentity,
  type ServerHubIdentity,
} from './federation/server-hub-identity.js';
export {
  loadTlsFiles,
  tlsFilePaths,
  type WatchTlsFilesOptions,
  watchTlsFiles,
} from './tls/load-tls-files.js';
export {
  type ConfiguredUpstream,
  toUpstreamConfig,
  upstreamsFromConfig,
} from './upstreams-from-config.js';
