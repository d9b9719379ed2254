/**
 * `@fedmcp/server`: the thin composition of the fedmcp packages into a running hub —
 * config file → packages wired together → one HTTP host.
 */

// Federation lives in @fedmcp/federation; these map the config file onto it, or re-export it.
export {
  createDiscoveryRoutes,
  createPeerAuthentication,
  JWKS_PATH,
  type PeerAuthentication,
  type PeerAuthenticationOptions,
  peerBaseUrl,
} from '@fedmcp/federation';
export {
  type AuditJournalPlace,
  type AuditJournalStreams,
  auditJournalFile,
  createJournaledAuditSink,
  type JournaledAuditSink,
  type JournaledAuditSinkOptions,
  type RecoverAuditJournalsOptions,
  recoverAuditJournals,
  replayAuditJournals,
} from './audit-journal.js';
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
export {
  CLUSTER_CONFIG_CHANNEL,
  type ConfigSync,
  type ConfigSyncOptions,
  createConfigSync,
} from './cluster/config-sync.js';
export { sealConfigStore } from './cluster/sealed-replica-pubsub.js';
export { closestName, editDistance } from './config/closest-name.js';
export { ConfigError, type ConfigIssue } from './config/config-error.js';
export {
  resolveConfigPaths,
  type UserDataDirectoryOptions,
  userDataDirectory,
} from './config/config-paths.js';
export {
  configSchema,
  type FedmcpConfig,
  type FedmcpConfigInput,
  type McpServerEntry,
  mcpServerEntryKeys,
  upstreamIdFromName,
} from './config/config-schema.js';
export { interpolateEnv, type MissingVariable } from './config/interpolate-env.js';
export {
  type ConfigFileContent,
  type LoadConfigOptions,
  loadConfig,
  parseConfig,
  readConfigFile,
} from './config/load-config.js';
export { stripJsonComments } from './config/strip-json-comments.js';
export { type WatchConfigOptions, watchConfig } from './config/watch-config.js';
export {
  type ClusterConfigReloads,
  createFedmcpServer,
  type FedmcpServer,
  type FedmcpServerOptions,
  type ServerLogger,
} from './create-fedmcp-server.js';
export {
  type CreateLoggerOptions,
  createLogger,
  isLogLevel,
  logLevels,
  redactedLogPaths,
} from './create-logger.js';
export {
  buildDiscoveryDocument,
  FEDMCP_SERVER_VERSION,
  hubIdOf,
  hubKeysFile,
  keyGracePeriodMs,
  openServerHubIdentity,
  type ServerHubIdentity,
  trustedPeersOf,
} from './federation/federation-from-config.js';
export {
  type PeerConfig,
  type PeersConfig,
  peerConfigSchema,
  peersConfigSchema,
} from './federation/peers-config.js';
export { type LoginUpstreamOptions, loginUpstream } from './oauth/upstream-login.js';
export { type LogoutUpstreamOptions, logoutUpstream } from './oauth/upstream-logout.js';
export {
  createUserUpstreamOAuth,
  USER_LOGIN_TTL_MS,
  type UserUpstreamOAuth,
  type UserUpstreamOAuthOptions,
} from './oauth/user-upstream-oauth.js';
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
