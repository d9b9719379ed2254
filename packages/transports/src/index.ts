// @fedmcp/transports: every MCP transport, server and client side, both protocol eras. An explicit, reviewed list of exports.

// Server side (hosts): web-standard pieces shared by every adapter.
export {
  type AuthenticationOutcome,
  authenticationErrorResponse,
  isAuthInfoShaped,
  type McpAuthenticate,
  type McpAuthRequest,
  runAuthenticate,
} from './authenticate.js';
// Server side: 2025-era sessions any replica can serve (client-carried, sealed session ids).
export type { ClusterAnswers, ForwardedAnswerOutcome } from './cluster-answers.js';
export type { Cancellation, ClusterCancellations } from './cluster-cancellations.js';
export type { ClusterNotifications } from './cluster-notifications.js';
export {
  type ClusterSessions,
  type ClusterSessionsOptions,
  createClusterSessions,
  initializeParamsOf,
  replayInitialized,
  replayLogLevel,
  restoreSession,
  type SessionRefusalReason,
  setLevelOf,
} from './cluster-sessions.js';
export type { ClusterSubscriptions } from './cluster-subscriptions.js';
// Client side (upstreams).
export {
  type ConnectUpstreamOptions,
  connectUpstream,
  createUpstreamClient,
  createUpstreamTransport,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_UPSTREAM_CLIENT_INFO,
  looksLikeSseOnlyServer,
  type UpstreamEra,
  type UpstreamVerdict,
  type UpstreamVerdictCache,
} from './connect-upstream.js';
export {
  CORS_EXPOSED_HEADERS,
  type CorsPolicy,
  type CorsPolicyOptions,
  type CorsRequest,
  type CorsRouteKind,
  createCorsPolicy,
  normalizeOrigin,
} from './cors.js';
export {
  createHostValidator,
  type HostValidationFailure,
  type HostValidator,
  type HostValidatorOptions,
} from './host-validation.js';
export {
  createInMemoryEventStore,
  type InMemoryEventStoreOptions,
} from './in-memory-event-store.js';
export { createInMemoryTransportPair, InMemoryTransport } from './in-memory-transport.js';
export { hasMethod } from './json-rpc-body.js';
export {
  createJsonRpcError,
  isJsonRpcMessageShape,
  JsonRpcErrorCode,
  type JsonRpcErrorResponse,
} from './json-rpc-error.js';
export type {
  McpModernFastRequestExtra,
  McpModernFastRequestHandler,
  McpModernFastSerializedResponse,
} from './mcp-modern-fast-request.js';
export type {
  CreateMcpServer,
  McpFastRequestExtra,
  McpFastRequestHandler,
  McpProtocolEra,
  McpServerInstance,
  McpSessionContext,
  McpTransportKind,
} from './mcp-session-context.js';
export {
  computeRestartDelay,
  DEFAULT_RESTART_BACKOFF,
  type RestartBackoffOptions,
} from './restart-backoff.js';
export {
  createStoreEventStore,
  type EventStreamStore,
  isSessionEventStores,
  type SessionEventStores,
  type StoreEventStoreOptions,
  scopeEventStore,
} from './session-event-store.js';
export {
  type ExpiringSessionEventStores,
  expireSessionEvents,
  type SessionEventExpiryOptions,
  type SessionEventExpiryStore,
} from './session-event-sweeper.js';
export {
  createSessionRevocations,
  type SessionRevocations,
  type SessionRevocationsOptions,
  type SessionStateStore,
} from './session-revocations.js';
export {
  createSessionTokens,
  MAX_SESSION_ID_LENGTH,
  MIN_CLUSTER_SECRET_LENGTH,
  type SessionTokenState,
  type SessionTokens,
  type SessionTokensOptions,
} from './session-token.js';
export {
  childTransportLogger,
  silentTransportLogger,
  type TransportLogger,
} from './transport-logger.js';
export {
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  UpstreamClient,
  type UpstreamClientOptions,
  type UpstreamRequestDefaults,
} from './upstream-client.js';
export {
  isStdioUpstreamSpec,
  parseUpstreamSpec,
  type RemoteUpstreamSpec,
  remoteUpstreamSpecSchema,
  remoteUpstreamTypes,
  requestedRemoteTransport,
  type StdioUpstreamSpec,
  stdioUpstreamSpecSchema,
  type UpstreamSpec,
  type UpstreamTransportKind,
  upstreamCacheKey,
  upstreamSpecSchema,
} from './upstream-spec.js';
export {
  createWebSocketClientTransport,
  MCP_WEBSOCKET_SUBPROTOCOL,
  WebSocketClientTransport,
  type WebSocketClientTransportOptions,
  type WebSocketConstructor,
  type WebSocketLike,
} from './websocket-client-transport.js';
